// Skip rules: {"if": {axis or "P": value or [values], ...}, "reason": "..."}. A point
// that matches every condition of a rule is SKIPPED with its reason.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cpb::cfg {

// Checks the "skip" member of a config (null when absent) and returns the rules with
// every condition as an array of checked values. `file` prefixes messages.
nlohmann::json read_skip_rules(const nlohmann::json& skip, const std::string& file);

// The reason of the first rule whose every condition holds for `view` (a point's params
// plus "schedule"), or "". A condition on a key `view` lacks (an option the point's
// schedule does not read) does not hold.
std::string skip_reason(const nlohmann::json& rules, const nlohmann::json& view);

}  // namespace cpb::cfg
