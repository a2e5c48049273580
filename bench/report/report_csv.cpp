// write_csv_report (declared in report.hpp).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/report/record_fields.hpp"
#include "bench/report/report.hpp"
#include "bench/schedule.hpp"

namespace cpb {
namespace {

using Leaves = std::map<std::string, nlohmann::json>;

// Object members become leaves named by their dotted path; params drop their prefix;
// empty objects leave nothing.
void flatten(const nlohmann::json& v, const std::string& name, Leaves& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.items()) {
      const std::string child_name = name.empty() || name == "params" ? k : name + "." + k;
      flatten(child, child_name, out);
    }
    return;
  }
  out[name] = v;
}

// The point, its problem, the options that size its split (option_specs() order), then
// its measurements.
std::vector<std::string> make_preferred_columns() {
  std::vector<std::string> cols = {
      "index", "schedule", "runtime", "status", "reason", "gpu_state.throttled", "gpu_state.other_processes",
      "P", "S", "H", "Hkv", "D", "B", "mask", "dtype", "transport", "profile"};
  // The pass after dtype: a column only in files with another pass than fwd.
  cols.insert(std::find(cols.begin(), cols.end(), "transport"), "pass");
  for (const OptionSpec& o : option_specs())
    if (o.split_tag) cols.push_back(o.name);
  // A table, aligned by hand.
  // clang-format off
  cols.insert(cols.end(), {
      "time_ms.p50", "time_ms.p10", "time_ms.p90", "time_ms.min", "time_ms.max", "time_ms.mean",
      "time_ms.cv", "time_ms.n",
      "comp_ms", "comm_ms", "comp_scale", "rho", "rho_source", "bound", "eta", "rho_unmatched", "eta_unmatched",
      "speedup.vs_ulysses", "speedup_ci.vs_ulysses.lo", "speedup_ci.vs_ulysses.hi",
      "speedup.vs_ring", "speedup_ci.vs_ring.lo", "speedup_ci.vs_ring.hi", "eta_ci.lo", "eta_ci.hi",
      "rho_ci.lo", "rho_ci.hi", "bound_ci.lo", "bound_ci.hi",
      "tflops_per_gpu", "attn_tflops", "attn_standalone_tflops", "flops_per_rank_max",
      "comm_bytes_per_rank", "memory_bytes", "memory_bytes_min", "busbw_gbps", "predicted_ms",
      "verify.max_abs_err", "verify.tolerance", "verify.bitwise_equal_to", "verify.bitwise_equal"});
  // clang-format on
  return cols;
}

const std::vector<std::string>& preferred_columns() {
  static const std::vector<std::string> cols = make_preferred_columns();
  return cols;
}

std::string csv_cell(const nlohmann::json& v) {
  std::string s;
  if (v.is_null()) return s;
  if (v.is_string())
    s = v.get<std::string>();
  else
    s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

void write_csv_report(const nlohmann::json& doc, std::ostream& out) {
  std::vector<Leaves> rows;
  std::set<std::string> names;
  const bool with_pass = doc.contains("points") && has_other_pass(doc["points"]);
  if (doc.contains("points") && doc["points"].is_array()) {
    for (const auto& r : doc["points"]) {
      Leaves leaves;
      flatten(r, "", leaves);
      // Params name the pass only when not fwd: where the column is there, a row without one is fwd.
      if (with_pass && r.contains("params") && r["params"].is_object() && !leaves.count("pass"))
        leaves["pass"] = record_pass(r);
      for (const auto& kv : leaves) names.insert(kv.first);
      rows.push_back(std::move(leaves));
    }
  }
  std::vector<std::string> columns;
  for (const std::string& c : preferred_columns())
    if (names.erase(c)) columns.push_back(c);
  columns.insert(columns.end(), names.begin(), names.end());

  for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << csv_cell(columns[i]);
  out << '\n';
  for (const Leaves& row : rows) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto it = row.find(columns[i]);
      out << (i ? "," : "") << (it == row.end() ? std::string() : csv_cell(it->second));
    }
    out << '\n';
  }
}

}  // namespace cpb
