#include "bench/cli/error_path.hpp"

#include <cstdio>

#include "base/check.hpp"
#include "base/exit_code.hpp"
#include "base/usage_error.hpp"

namespace cpb {

int exit_code_of(const std::exception& e) {
  return dynamic_cast<const UsageError*>(&e) ? exit_code::bad_input : exit_code::failed;
}

int report_error(const std::exception& e) {
  std::fprintf(stderr, "cpbench: error: %s\n", e.what());
  return exit_code_of(e);
}

void abort_on_error(const std::exception& e) {
  std::fprintf(stderr, "cpbench: error: %s [%s]\n", e.what(), process_tag().c_str());
  std::fflush(stderr);
  abort_job(exit_code_of(e));
}

}  // namespace cpb
