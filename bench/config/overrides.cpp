// "-a axis=v1,v2" overrides and the number syntax of command-line words (overrides.hpp).
#include "bench/config/overrides.hpp"

#include <cctype>

#include "bench/config/diagnostics.hpp"

namespace cpb::cfg {

nlohmann::json parse_cli_scalar(const std::string& text) {
  nlohmann::json v = nlohmann::json::parse(text, nullptr, false);
  if (v.is_number()) return v;
  return text;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

namespace {

// Items cut at ':', each a scalar: "4:3:3" -> [4, 3, 3].
nlohmann::json parse_cli_items(const std::string& text) {
  nlohmann::json items = nlohmann::json::array();
  for (const std::string& h : split_list(text, ':')) items.push_back(parse_cli_scalar(h));
  return items;
}

}  // namespace

nlohmann::json parse_cli_value(const AxisSpec& a, const std::string& text) {
  if (a.kind == AxisKind::IntList) return parse_cli_items(text);
  if (a.kind != AxisKind::Table) return parse_cli_scalar(text);
  nlohmann::json rows = nlohmann::json::array();
  for (const std::string& row : split_list(text, '/')) rows.push_back(parse_cli_items(row));
  return rows;
}

AxisOverride parse_override(const std::string& arg) {
  const std::string syntax = "axis=v1,v2,... with an axis of " + join(axis_names());
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    fail("-a " + arg, quote(arg) + " is not axis=values", syntax);

  AxisOverride o;
  o.axis = arg.substr(0, eq);
  o.where = "-a " + o.axis;
  const AxisSpec* spec = find_axis(o.axis);
  if (!spec) fail_name(o.where, o.axis, "an axis", axis_names());

  nlohmann::json raw = nlohmann::json::array();
  for (const std::string& item : split_list(arg.substr(eq + 1), ',')) {
    if (item.empty())
      fail(o.where, quote(arg) + " has an empty value", "v1,v2,... with no empty item");
    raw.push_back(parse_cli_value(*spec, item));
  }
  // One value is checked as a scalar, so messages name "-a S" rather than "-a S[0]".
  o.values = check_axis_values(*spec, raw.size() == 1 ? raw[0] : raw, o.where);
  return o;
}

}  // namespace cpb::cfg
