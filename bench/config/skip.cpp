#include "bench/config/skip.hpp"

#include <algorithm>

#include "bench/config/diagnostics.hpp"
#include "bench/config/keys.hpp"
#include "bench/config/schema.hpp"

namespace cpb::cfg {
namespace {

using nlohmann::json;

const char* kRuleShape = "an array of {\"if\": {axis: value or [values], ...}, \"reason\": \"...\"}";

// The member as JSON text, or "(missing)".
std::string shown(const json& obj, const char* key) {
  return obj.contains(key) ? show(obj[key]) : "(missing)";
}

json read_rule(const json& rule, const std::string& at) {
  if (!rule.is_object()) fail(at, show(rule) + " is not a skip rule", kRuleShape);
  check_keys(rule, skip_rule_keys(), at + ".", "a skip rule key");
  if (!rule.contains("if") || !rule["if"].is_object() || rule["if"].empty())
    fail(at + ".if", shown(rule, "if") + " is not a condition",
         "a non-empty object of axis (or P): value or [values]");
  if (!rule.contains("reason") || !rule["reason"].is_string() || rule["reason"].get<std::string>().empty())
    fail(at + ".reason", shown(rule, "reason") + " is not a reason", "a non-empty string");

  std::vector<std::string> keys = axis_names();
  keys.push_back("P");
  json cond = json::object();
  for (const auto& kv : rule["if"].items()) {
    const std::string where = at + ".if." + kv.key();
    const AxisSpec* spec = kv.key() == "P" ? &world_size_spec() : find_axis(kv.key());
    if (!spec) fail_name(where, kv.key(), "an axis", keys);
    cond[kv.key()] = check_axis_values(*spec, kv.value(), where);
  }
  return {{"if", cond}, {"reason", rule["reason"]}};
}

}  // namespace

json read_skip_rules(const json& skip, const std::string& file) {
  json rules = json::array();
  if (skip.is_null()) return rules;
  if (!skip.is_array()) fail(file + ": skip", show(skip) + " is not an array", kRuleShape);
  for (size_t i = 0; i < skip.size(); ++i)
    rules.push_back(read_rule(skip[i], file + ": skip[" + std::to_string(i) + "]"));
  return rules;
}

std::string skip_reason(const json& rules, const json& view) {
  for (const json& rule : rules) {
    const json& cond = rule["if"];
    const bool all = std::all_of(cond.items().begin(), cond.items().end(), [&](const auto& kv) {
      const json& values = kv.value();
      return view.contains(kv.key()) &&
             std::find(values.begin(), values.end(), view[kv.key()]) != values.end();
    });
    if (all) return rule["reason"].get<std::string>();
  }
  return "";
}

}  // namespace cpb::cfg
