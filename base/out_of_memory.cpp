#include "base/out_of_memory.hpp"

#include <cstdio>

namespace cpb {

std::string gib_text(size_t bytes) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
  return buf;
}

OutOfMemory::OutOfMemory(const std::string& memory, size_t requested, size_t available)
    : std::runtime_error("out of " + memory + ": needs " + gib_text(requested) + " (" + std::to_string(requested) +
                         " bytes), " + gib_text(available) + " free"),
      on_this_rank_(true),
      requested_(requested),
      available_(available) {}

OutOfMemory OutOfMemory::on_peer() { return OutOfMemory(std::string("another rank ran out of memory")); }

OutOfMemory OutOfMemory::over_limit(const std::string& memory, size_t requested, size_t limit) {
  OutOfMemory e("out of " + memory + ": needs " + gib_text(requested) + " (" + std::to_string(requested) +
                " bytes), the limit is " + gib_text(limit) + " (" + std::to_string(limit) + " bytes)");
  e.on_this_rank_ = true;
  e.requested_ = requested;
  e.available_ = limit;
  return e;
}

}  // namespace cpb
