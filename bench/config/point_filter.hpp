// --filter EXPR: keeps the sweep points whose parameters match every term.
//   EXPR  = TERM { "," TERM }
//   TERM  = KEY "=" V { "|" V }      the value is one of these
//         | KEY "!=" V { "|" V }     the value is none of these
//         | KEY ("<" | "<=" | ">" | ">=") NUMBER
// KEY is "schedule" or a key of Point::params(). A term on a key the point does not have
// (an option its schedule or a mask parameter its mask does not read) matches only with
// "!=". chunk_heads and mask_doc_tokens values are written 4:3:3, mask_table values
// 1:0/1:2. Names are checked against the allowed sets, like config values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cpb::cfg {

class PointFilter {
 public:
  // Throws UsageError naming --filter when `expr` is malformed. "" keeps every point.
  explicit PointFilter(const std::string& expr);
  // `view`: the point's params() plus "schedule".
  bool matches(const nlohmann::json& view) const;

 private:
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge };
  struct Term {
    std::string key;
    Op op = Op::Eq;
    std::vector<nlohmann::json> values;  // Eq, Ne: the listed values; else one number
  };
  static Term parse_term(const std::string& text);
  static bool holds(const Term& t, const nlohmann::json& view);
  std::vector<Term> terms_;
};

}  // namespace cpb::cfg
