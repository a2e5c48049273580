// "-a axis=v1,v2" command-line overrides of sweep axes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/config/schema.hpp"

namespace cpb::cfg {

// `s` without leading and trailing blanks.
std::string trim(const std::string& s);

// `s` cut at every `sep`, each piece without surrounding blanks ("" gives {""}).
std::vector<std::string> split_list(const std::string& s, char sep);

// A word of the command line as a value: a number when `text` is a JSON number ("256",
// "256.0", "2.56e2"; not "+1", "0x10" or "inf"), else the string itself. So numbers read
// the same on the command line as in a config file (docs/CONFIG.md, "Numbers").
nlohmann::json parse_cli_scalar(const std::string& text);

// One value of axis `a` as written on the command line, not yet checked: parse_cli_scalar(text);
// for chunk_heads and mask_doc_tokens, an array of such items cut at ':' ("4:3:3"); for
// mask_table, rows cut at '/', each such an array ("1:0/1:2" is [[1, 0], [1, 2]]).
nlohmann::json parse_cli_value(const AxisSpec& a, const std::string& text);

struct AxisOverride {
  std::string axis;       // the axis name, checked against the schema
  std::string where;      // "-a <axis>", for messages
  nlohmann::json values;  // array of checked values, as check_axis_values() returns
};

// Parses and checks one override, "axis=v1,v2,...". Values are read by parse_cli_value
// and checked like a config file's; chunk_heads values are head counts joined by ':'
// ("chunk_heads=4:3:3,3:3:2:2"), mask_table values rows joined by '/'. Throws UsageError
// naming "-a <axis>".
AxisOverride parse_override(const std::string& arg);

}  // namespace cpb::cfg
