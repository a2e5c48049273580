// libFuzzer harness of the config reader: load_config, then expand for P = 1..8 with a
// filter. Input: a config file, optionally followed by a line "%%" and lines
// "-a AXIS=V1,V2" (an axis override) or "--filter EXPR" (the last one is used).
// UsageError is the readers' answer to bad input; any other exception, a crash or a
// sanitizer report is a finding. Configs whose axes multiply to more than kFuzzMaxPoints
// combinations are not expanded: expanding a legal sweep of up to kMaxPoints (1,000,000)
// points takes seconds, which would only slow the search down (the kMaxPoints check
// itself runs before any expansion, from the same lengths, and is covered by
// tests/unit/test_config_expand.cpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/config/config.hpp"
#include "tests/fuzz/fuzz_text_file.hpp"

namespace {

constexpr int64_t kFuzzMaxPoints = 4096;

struct Input {
  std::string config;
  std::vector<std::string> overrides;
  std::string filter;
};

Input split(const std::string& text) {
  Input in;
  const size_t cut = text.find("\n%%\n");
  in.config = text.substr(0, cut);
  if (cut == std::string::npos) return in;
  size_t pos = cut + 4;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    if (line.rfind("-a ", 0) == 0) in.overrides.push_back(line.substr(3));
    if (line.rfind("--filter ", 0) == 0) in.filter = line.substr(9);
    pos = end + 1;
  }
  return in;
}

int64_t combinations(const nlohmann::json& axes) {
  int64_t n = 1;
  for (const auto& axis : axes) {
    n *= axis.is_array() ? static_cast<int64_t>(axis.size()) : 1;
    if (n > kFuzzMaxPoints) return n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cpb::fuzz::TextFile file;
  const Input in = split(std::string(reinterpret_cast<const char*>(data), size));
  cpb::SweepConfig cfg;
  try {
    cfg = cpb::load_config(file.write(reinterpret_cast<const uint8_t*>(in.config.data()), in.config.size()),
                           in.overrides);
  } catch (const cpb::UsageError&) {
    return 0;
  }
  if (combinations(cfg.axes) > kFuzzMaxPoints) return 0;
  for (int P = 1; P <= 8; ++P) {
    try {
      for (const cpb::Point& pt : cpb::expand(cfg, P, in.filter)) (void)pt.params();
    } catch (const cpb::UsageError&) {
    }
  }
  return 0;
}
