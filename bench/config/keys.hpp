// The keys a sweep config may hold at each level, and the check that rejects the others.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cpb::cfg {

const std::vector<std::string>& top_keys();        // name, description, world_size, ranks_per_node, axes, skip, measure
const std::vector<std::string>& measure_keys();    // warmup, iterations, max_seconds, ...
const std::vector<std::string>& skip_rule_keys();  // if, reason

// Throws UsageError for the first key of `obj` not in `allowed`, naming it as
// `path_prefix + key` (e.g. "configs/x.json: measure.iteration") with a suggestion.
// `noun` reads after "is not", e.g. "a measure setting".
void check_keys(const nlohmann::json& obj, const std::vector<std::string>& allowed,
                const std::string& path_prefix, const std::string& noun);

}  // namespace cpb::cfg
