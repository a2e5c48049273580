#include "bench/report/report_passes.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "bench/report/record_fields.hpp"
#include "bench/report/text_format.hpp"

namespace cpb {
namespace {

constexpr std::array<const char*, 3> kPasses = {"fwd", "bwd", "fwd_bwd"};

// One row: the p50 time of each pass that PASSed.
struct Row {
  std::string size;  // S as the records write it
  std::array<std::optional<double>, kPasses.size()> ms;
};

std::string ratio_text(std::optional<double> num, std::optional<double> den) {
  if (!num || !den || *den <= 0) return "";
  return format_sig(*num / *den, 3);
}

std::string ms_text(std::optional<double> v) { return v ? format_sig(v) : ""; }

}  // namespace

void write_pass_tables(const std::vector<nlohmann::json>& points, std::ostream& out) {
  if (!has_other_pass(nlohmann::json(points))) return;
  // group (less the pass) -> (S order, schedule order, variant label) -> row
  using Key = std::tuple<double, int, std::string>;
  std::vector<std::pair<nlohmann::json, std::map<Key, Row>>> groups;
  for (const nlohmann::json& r : points) {
    nlohmann::json g = problem_group(r);
    g.erase("pass");
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& e) { return e.first == g; });
    if (it == groups.end()) {
      groups.emplace_back(g, std::map<Key, Row>());
      it = groups.end() - 1;
    }
    const std::string pass = record_pass(r);
    const auto p = std::find(kPasses.begin(), kPasses.end(), pass);
    const Key key{number_field(r, {"params", "S"}).value_or(0), schedule_order(string_field(r, {"schedule"})),
                  variant_label(r)};
    Row& row = it->second[key];
    if (const nlohmann::json* S = find_field(r, {"params", "S"})) row.size = plain_text(*S);
    if (p != kPasses.end() && record_status(r) == "PASS")
      row.ms[static_cast<size_t>(p - kPasses.begin())] = number_field(r, {"time_ms", "p50"});
  }
  out << "\n## Forward and backward\n\np50 time [ms] of each pass (docs/METRICS.md, \"Backward pass\"); bwd/fwd "
         "and fwd_bwd/(fwd+bwd) are ratios of those times.\n";
  for (const auto& [group, rows] : groups) {
    const std::string title = describe_group(group);
    out << "\n### " << (title.empty() ? "all points" : title)
        << "\n\n| S | schedule | fwd | bwd | fwd_bwd | bwd/fwd | fwd_bwd/(fwd+bwd) |\n"
        << "|---:|---|---:|---:|---:|---:|---:|\n";
    for (const auto& [key, row] : rows) {
      std::optional<double> sum;
      if (row.ms[0] && row.ms[1]) sum = *row.ms[0] + *row.ms[1];
      out << "| " << row.size << " | " << std::get<2>(key) << " | " << ms_text(row.ms[0]) << " | "
          << ms_text(row.ms[1]) << " | " << ms_text(row.ms[2]) << " | " << ratio_text(row.ms[1], row.ms[0]) << " | "
          << ratio_text(row.ms[2], sum) << " |\n";
    }
  }
}

}  // namespace cpb
