#include "bench/config/keys.hpp"

#include <algorithm>

#include "bench/config/diagnostics.hpp"

namespace cpb::cfg {

const std::vector<std::string>& top_keys() {
  static const std::vector<std::string> k = {"name", "description", "world_size", "ranks_per_node", "axes", "skip", "measure"};
  return k;
}

const std::vector<std::string>& measure_keys() {
  static const std::vector<std::string> k = {"warmup", "warmup_ms", "iterations", "max_seconds", "min_iterations",
                                             "verify", "isolate",   "graph",      "align_start", "rounds",
                                             "timeout"};
  return k;
}

const std::vector<std::string>& skip_rule_keys() {
  static const std::vector<std::string> k = {"if", "reason"};
  return k;
}

void check_keys(const nlohmann::json& obj, const std::vector<std::string>& allowed,
                const std::string& path_prefix, const std::string& noun) {
  for (const auto& kv : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end())
      fail_name(path_prefix + kv.key(), kv.key(), noun, allowed);
  }
}

}  // namespace cpb::cfg
