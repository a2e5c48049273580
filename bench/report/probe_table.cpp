#include "bench/report/probe_table.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/report/record_fields.hpp"
#include "bench/report/text_columns.hpp"
#include "bench/report/text_format.hpp"

namespace cpb {
namespace {

const std::vector<Column>& probe_columns() {
  static const std::vector<Column> cols = {
      {"transport", 9, false}, {"attn ms", 8, true}, {"comm ms", 8, true}, {"both ms", 8, true},
      {"hidden", 6, true},     {"comm GB/s", 9, true}, {"attn x", 6, true}, {"status", 7, false},
      {"note", 0, false}};
  return cols;
}

std::string fixed2(const nlohmann::json& r, const char* key) {
  const auto v = number_field(r, {key});
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", *v);
  return buf;
}

}  // namespace

void print_probe_header(std::ostream& out) { print_titles(probe_columns(), out); }

void print_probe_row(const nlohmann::json& r, std::ostream& out) {
  std::string note = string_field(r, {"reason"});
  std::replace(note.begin(), note.end(), '\n', ' ');
  const std::vector<std::string> cells = {string_field(r, {"transport"}, "?"),
                                          format_sig(number_field(r, {"attn_ms"})),
                                          format_sig(number_field(r, {"comm_ms"})),
                                          format_sig(number_field(r, {"both_ms"})),
                                          fixed2(r, "hidden"),
                                          format_sig(number_field(r, {"comm_gbps"})),
                                          fixed2(r, "attn_slowdown"),
                                          string_field(r, {"status"}, "-"),
                                          note};
  print_line(probe_columns(), cells, out);
}

}  // namespace cpb
