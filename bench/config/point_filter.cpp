#include "bench/config/point_filter.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "bench/config/diagnostics.hpp"
#include "bench/config/overrides.hpp"
#include "bench/config/schema.hpp"

namespace cpb::cfg {
namespace {

const char* kSyntax = "key=v1|v2, key!=v, key<n, key<=n, key>n, key>=n, joined by ','";

std::vector<std::string> filter_keys() {
  std::vector<std::string> keys = {"P"};
  for (const std::string& a : axis_names()) keys.push_back(a);
  return keys;
}

bool numeric(const AxisSpec& a) {
  return a.kind == AxisKind::Size || a.kind == AxisKind::SizeOrAuto || a.kind == AxisKind::Count;
}

// "P, S, H, ...": the keys <, <=, >, >= compare.
std::string numeric_keys() {
  std::string out = world_size_spec().name;
  for (const AxisSpec& a : axis_specs())
    if (numeric(a)) out += ", " + a.name;
  return out;
}

// The spec that describes `key`'s values; `key` is one of filter_keys().
const AxisSpec& key_spec(const std::string& key) {
  const AxisSpec* a = find_axis(key);
  return a ? *a : world_size_spec();
}

}  // namespace

PointFilter::PointFilter(const std::string& expr) {
  if (trim(expr).empty()) return;
  for (const std::string& term : split_list(expr, ',')) terms_.push_back(parse_term(term));
}

PointFilter::Term PointFilter::parse_term(const std::string& text) {
  const std::string where = "--filter " + text;
  if (text.empty()) fail("--filter", "an empty term", kSyntax);
  const size_t at = text.find_first_of("!=<>");
  if (at == std::string::npos || at == 0)
    fail(where, quote(text) + " is not a term", kSyntax);

  // Two-character operators first, so "<=" is not read as "<" followed by "=".
  static const std::vector<std::pair<std::string, Op>> ops = {{"!=", Op::Ne}, {"<=", Op::Le}, {">=", Op::Ge},
                                                              {"=", Op::Eq},  {"<", Op::Lt},  {">", Op::Gt}};
  Term t;
  t.key = trim(text.substr(0, at));
  const std::string rest = text.substr(at);
  size_t op_len = 0;
  for (const auto& [sym, op] : ops) {
    if (rest.compare(0, sym.size(), sym) == 0) {
      t.op = op;
      op_len = sym.size();
      break;
    }
  }
  if (op_len == 0) fail(where, quote(text) + " is not a term", kSyntax);

  const std::vector<std::string> keys = filter_keys();
  if (std::find(keys.begin(), keys.end(), t.key) == keys.end()) fail_name(where, t.key, "a filter key", keys);
  const AxisSpec& spec = key_spec(t.key);
  const std::string value_text = trim(rest.substr(op_len));
  if (value_text.empty() || value_text.find_first_of("!=<>") != std::string::npos)
    fail(where, quote(text) + " is not a term", kSyntax);

  if (t.op == Op::Eq || t.op == Op::Ne) {
    for (const std::string& v : split_list(value_text, '|')) {
      if (v.empty())
        fail(where, quote(text) + " has an empty value", "v1|v2 with no empty item");
      t.values.push_back(check_axis_value(spec, parse_cli_value(spec, v), where));
    }
    return t;
  }
  if (!numeric(spec)) fail(where, "\"" + t.key + "\" is not numeric", "<, <=, >, >= on " + numeric_keys());
  t.values.push_back(check_int(parse_cli_value(spec, value_text), 0, std::numeric_limits<int64_t>::max(), where));
  return t;
}

bool PointFilter::holds(const Term& t, const nlohmann::json& view) {
  const bool has = view.contains(t.key);
  if (t.op == Op::Eq || t.op == Op::Ne) {
    const bool any = has && std::find(t.values.begin(), t.values.end(), view[t.key]) != t.values.end();
    return t.op == Op::Eq ? any : !any;
  }
  if (!has || !view[t.key].is_number_integer()) return false;
  const int64_t x = view[t.key].get<int64_t>();
  const int64_t n = t.values.front().get<int64_t>();
  switch (t.op) {
    case Op::Lt: return x < n;
    case Op::Le: return x <= n;
    case Op::Gt: return x > n;
    default: return x >= n;
  }
}

bool PointFilter::matches(const nlohmann::json& view) const {
  for (const Term& t : terms_)
    if (!holds(t, view)) return false;
  return true;
}

}  // namespace cpb::cfg
