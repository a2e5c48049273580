#include "bench/report/record_fields.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "bench/schedule.hpp"
#include "bench/report/metrics.hpp"
#include "bench/report/point_record.hpp"

namespace cpb {

const nlohmann::json* find_field(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    const auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::optional<double> number_field(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* v = find_field(j, path);
  if (!v || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::string string_field(const nlohmann::json& j, std::initializer_list<const char*> path,
                         const std::string& fallback) {
  const nlohmann::json* v = find_field(j, path);
  return v && v->is_string() ? v->get<std::string>() : fallback;
}

std::string record_status(const nlohmann::json& record) { return string_field(record, {record_key::status}); }

std::string point_identity(const nlohmann::json& record) {
  const nlohmann::json* params = find_field(record, {record_key::params});
  return string_field(record, {record_key::schedule}) + " " + (params ? params->dump() : "null");
}

namespace {

// Rows of one report table: the same problem moved over the same transport.
nlohmann::json table_key(const nlohmann::json& record) {
  nlohmann::json k = problem_key(record);
  const nlohmann::json* transport = find_field(record, {record_key::params, "transport"});
  if (transport) k["transport"] = *transport;
  return k;
}

}  // namespace

nlohmann::json schedule_options(const nlohmann::json& record) {
  nlohmann::json opts = nlohmann::json::object();
  const nlohmann::json* params = find_field(record, {record_key::params});
  if (!params || !params->is_object()) return opts;
  const nlohmann::json problem = table_key(record);
  for (const auto& [k, v] : params->items())
    if (!problem.contains(k) && k != "pass") opts[k] = v;  // problem_key drops an explicit "pass": "fwd"
  return opts;
}

nlohmann::json problem_group(const nlohmann::json& record) {
  const nlohmann::json* params = find_field(record, {record_key::params});
  if (!params || !params->is_object()) return nlohmann::json::object();
  nlohmann::json g = table_key(record);
  g.erase("S");
  return g;
}

std::string plain_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string s;
    for (const auto& e : v) s += (s.empty() ? "" : ",") + plain_text(e);
    return s;
  }
  return v.dump();
}

std::string summarize_names(const nlohmann::json& names) {
  if (!names.is_array()) return "";
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& n : names) {
    const std::string name = plain_text(n);
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == name; });
    if (it == counts.end())
      counts.emplace_back(name, 1);
    else
      ++it->second;
  }
  std::string s;
  for (const auto& [name, n] : counts) s += (s.empty() ? "" : ", ") + name + (n > 1 ? " x" + std::to_string(n) : "");
  return s;
}

std::string variant_label(const nlohmann::json& record) {
  std::string label = string_field(record, {record_key::schedule}, "?");
  const nlohmann::json opts = schedule_options(record);
  const std::string chunks = option_spec(Option::Chunks).name;
  const std::string chunk_heads = option_spec(Option::ChunkHeads).name;
  const bool explicit_heads = opts.contains(chunk_heads) && opts[chunk_heads].is_array() &&
                              !opts[chunk_heads].empty();
  for (const auto& [k, v] : opts.items()) {
    // A head list, when given, fixes the chunk count: show one of the two.
    if ((k == chunks && explicit_heads) || (k == chunk_heads && !explicit_heads)) continue;
    const OptionSpec* o = find_option(k);
    label += " " + (o && o->split_tag ? std::string(o->split_tag) : k) + "=" + plain_text(v);
  }
  return label;
}

std::string describe_group(const nlohmann::json& group, bool name_fwd) {
  if (!group.is_object()) return "";
  if (name_fwd && !group.contains("pass")) {
    nlohmann::json named = group;
    named["pass"] = "fwd";
    return describe_group(named);
  }
  // Sizes are shown as key=value, names (mask, dtype, transport, profile) bare.
  static const char* const kSizes[] = {"P", "S", "H", "Hkv", "D", "B"};
  static const char* const kNames[] = {"mask", "dtype", "transport", "profile"};
  std::string s;
  auto append = [&s](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
  for (const char* k : kSizes)
    if (group.contains(k)) append(std::string(k) + "=" + plain_text(group[k]));
  for (const char* k : kNames)
    if (group.contains(k)) append(plain_text(group[k]));
  for (const auto& [k, v] : group.items()) {
    bool known = false;
    for (const char* n : kSizes) known = known || k == n;
    for (const char* n : kNames) known = known || k == n;
    if (!known) append(k + "=" + plain_text(v));
  }
  return s;
}

std::string record_pass(const nlohmann::json& record) {
  return string_field(record, {record_key::params, "pass"}, "fwd");
}

bool has_other_pass(const nlohmann::json& points) {
  if (!points.is_array()) return false;
  return std::any_of(points.begin(), points.end(), [](const nlohmann::json& r) { return record_pass(r) != "fwd"; });
}

std::string describe_point(const nlohmann::json& record) {
  std::string s = variant_label(record);
  if (const nlohmann::json* S = find_field(record, {record_key::params, "S"})) s += " S=" + plain_text(*S);
  const std::string group = describe_group(problem_group(record));
  return group.empty() ? s : s + " " + group;
}

int schedule_order(const std::string& schedule) {
  static const char* const kOrder[] = {"ulysses", "hcms", "ring", "zigzag_ring", "usp", "tiled"};
  int i = 0;
  for (const char* name : kOrder) {
    if (schedule == name) return i;
    ++i;
  }
  return i;
}

}  // namespace cpb
