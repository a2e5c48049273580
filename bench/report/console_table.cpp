#include "bench/report/console_table.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/report/gpu_state.hpp"
#include "bench/report/intervals.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/runtime.hpp"
#include "bench/schedule.hpp"
#include "bench/report/point_record.hpp"
#include "bench/report/text_columns.hpp"
#include "bench/report/text_format.hpp"

namespace cpb {
namespace {

const std::vector<Column>& results_columns() {
  // A table, aligned by hand.
  // clang-format off
  static const std::vector<Column> cols = {
      {"schedule", 11, false}, {"P", 3, true},           {"S", 7, true},
      {"H", 4, true},          {"Hkv", 4, true},         {"D", 4, true},
      {"C", 3, true},          {"mask", 6, false},       {"dtype", 5, false},
      {"transport", 9, false}, {"time ms p50 [p10, p90]", 24, false},
      {"TFLOP/s", 7, true},    {"bytes/rank", 10, true}, {"mem/rank", 10, true},
      {"max err", 8, true},    {"status", 7, false},     {"note", 0, false}};
  // clang-format on
  return cols;
}

constexpr std::ptrdiff_t kPassColumn = 9;  // of results_columns(true): after dtype

// With `with_pass`, results_columns() with a column "pass" after dtype.
const std::vector<Column>& results_columns(bool with_pass) {
  static const std::vector<Column> cols = [] {
    std::vector<Column> c = results_columns();
    c.insert(c.begin() + kPassColumn, Column{"pass", 7, false});
    return c;
  }();
  return with_pass ? cols : results_columns();
}

std::string param_text(const nlohmann::json& r, const char* key) {
  const nlohmann::json* v = find_field(r, {"params", key});
  return v && !v->is_null() ? plain_text(*v) : "-";
}

// The schedule column: the name, with the usp Ulysses degree (C has its own column).
std::string schedule_cell(const nlohmann::json& r) {
  std::string s = string_field(r, {"schedule"}, "?");
  const OptionSpec& usp_u = option_spec(Option::UspU);
  const nlohmann::json* u = find_field(r, {"params", usp_u.name});
  if (u && !u->is_null()) s += " " + std::string(usp_u.split_tag) + "=" + plain_text(*u);
  return s;
}

std::string chunks_cell(const nlohmann::json& r) {
  const nlohmann::json* heads = find_field(r, {"params", option_spec(Option::ChunkHeads).name});
  if (heads && heads->is_array() && !heads->empty()) return std::to_string(heads->size()) + "*";
  const char* chunks = option_spec(Option::Chunks).name;
  return find_field(r, {"params", chunks}) ? param_text(r, chunks) : "-";
}

// The transport, and the profile after a slash unless it is the default one.
std::string transport_cell(const nlohmann::json& r) {
  std::string s = param_text(r, "transport");
  const std::string& nvlink = to_string(Profile::Nvlink);
  const std::string profile = string_field(r, {"params", "profile"}, nvlink);
  return profile == nvlink ? s : s + "/" + profile;
}

std::string time_cell(const nlohmann::json& r) {
  const auto p50 = number_field(r, {record_key::time_ms, "p50"});
  if (!p50) return "-";
  return format_sig(p50) + " [" + format_sig(number_field(r, {record_key::time_ms, "p10"})) + ", " +
         format_sig(number_field(r, {record_key::time_ms, "p90"})) + "]";
}

std::string max_err_cell(const nlohmann::json& r) {
  const auto err = number_field(r, {record_key::verify, record_key::max_abs_err});
  return err && *err == 0 ? "0" : format_sci(err, 1);
}

// The reason, after the levers the point sets ("step_order=list, nccl_ctas=4": rows that
// differ only there tell apart), "shared GPU: N other process(es)" and "throttled:
// <reasons>" when the GPU state flags the point.
std::string note_cell(const nlohmann::json& r) {
  std::string note = string_field(r, {record_key::reason});
  std::replace(note.begin(), note.end(), '\n', ' ');
  std::string flags;
  for (const LeverSpec& l : lever_specs())
    if (find_field(r, {"params", l.name}))
      flags += (flags.empty() ? "" : ", ") + std::string(l.name) + "=" + param_text(r, l.name);
  if (const int others = record_other_processes(r))
    flags += (flags.empty() ? "" : "; ") + std::string("shared GPU: ") + std::to_string(others) +
             (others == 1 ? " other process" : " other processes");
  std::string throttle;
  for (const std::string& why : record_throttle_reasons(r)) throttle += (throttle.empty() ? "throttled: " : ", ") + why;
  if (!throttle.empty()) flags += (flags.empty() ? "" : "; ") + throttle;
  return flags.empty() ? note : note.empty() ? flags : flags + "; " + note;
}

const std::vector<Column>& overlap_columns() {
  static const std::vector<Column> cols = {{"schedule", 11, false},  {"S", 7, true},       {"C", 3, true},
                                           {"time ms", 8, true},     {"comp ms", 8, true}, {"comm ms", 8, true},
                                           {"rho", 18, true},        {"bound", 17, true},  {"eta", 17, true},
                                           {"vs_ulysses", 19, true}, {"vs_ring", 19, true}};
  return cols;
}

constexpr std::size_t kRhoColumn = 6;  // of overlap_columns(); the bound, eta and the speedups follow it

// A figure with its 95% interval where the record has one (`ci` names the interval's
// path); a speedup (`ratio`) whose interval contains 1 is marked kNotSignificant.
std::string with_interval(const nlohmann::json& r, std::initializer_list<const char*> value,
                          std::initializer_list<const char*> ci, bool ratio) {
  const auto v = number_field(r, value);
  return v ? format_with_interval(*v, read_interval(find_field(r, ci)), ratio) : "-";
}

bool ends_with(const std::string& s, const char* tail) {
  const std::string t = tail;
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// rho with its interval, the value marked "*" when it is the row's own (no Ulysses row of
// the same problem): "0.33* [0.31, 0.35]".
std::string rho_cell(const nlohmann::json& r) {
  std::string rho = with_interval(r, {"rho"}, {"rho_ci"}, false);
  if (rho != "-" && string_field(r, {"rho_source"}) == "self") rho.insert(std::min(rho.find(' '), rho.size()), "*");
  return rho;
}

}  // namespace

void print_results_header(std::ostream& out, bool with_pass) { print_titles(results_columns(with_pass), out); }

void print_results_row(const nlohmann::json& r, std::ostream& out, bool with_pass) {
  // One cell a line, in results_columns() order.
  // clang-format off
  const std::vector<std::string> cells = {
      schedule_cell(r),
      param_text(r, "P"),
      param_text(r, "S"),
      param_text(r, "H"),
      param_text(r, "Hkv"),
      param_text(r, "D"),
      chunks_cell(r),
      param_text(r, "mask"),
      param_text(r, "dtype"),
      transport_cell(r),
      time_cell(r),
      format_sig(number_field(r, {record_key::tflops_per_gpu}), 3),
      format_bytes(number_field(r, {"comm_bytes_per_rank"})),
      format_bytes(number_field(r, {record_key::memory_bytes})),
      max_err_cell(r),
      record_status(r).empty() ? "-" : record_status(r),
      note_cell(r)};
  // clang-format on
  if (!with_pass) {
    print_line(results_columns(), cells, out);
    return;
  }
  std::vector<std::string> shown = cells;
  shown.insert(shown.begin() + kPassColumn, record_pass(r));
  print_line(results_columns(true), shown, out);
}

void print_results_table(const nlohmann::json& points, std::ostream& out) {
  const bool with_pass = has_other_pass(points);
  print_results_header(out, with_pass);
  if (!points.is_array()) return;
  for (const auto& r : points) print_results_row(r, out, with_pass);
}

bool has_overlap_data(const nlohmann::json& points) {
  if (!points.is_array()) return false;
  return std::any_of(points.begin(), points.end(), [](const nlohmann::json& r) {
    return number_field(r, {record_key::comp_ms}) || number_field(r, {record_key::comm_ms});
  });
}

void print_overlap_table(const nlohmann::json& points, std::ostream& out) {
  if (!has_overlap_data(points)) return;
  // Groups in order of first appearance; rows within a group by S, then schedule.
  std::vector<nlohmann::json> groups;
  std::vector<std::vector<const nlohmann::json*>> rows;
  for (const auto& r : points) {
    if (!number_field(r, {record_key::time_ms, "p50"})) continue;
    const nlohmann::json g = problem_group(r);
    const auto it = std::find(groups.begin(), groups.end(), g);
    const std::size_t gi = static_cast<std::size_t>(it - groups.begin());
    if (it == groups.end()) {
      groups.push_back(g);
      rows.emplace_back();
    }
    rows[gi].push_back(&r);
  }
  bool own_rho = false, with_ci = false, unsure = false;
  const bool name_fwd = has_other_pass(points);
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    auto& g = rows[gi];
    std::stable_sort(g.begin(), g.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
      const double sa = number_field(*a, {"params", "S"}).value_or(0);
      const double sb = number_field(*b, {"params", "S"}).value_or(0);
      if (sa != sb) return sa < sb;
      return schedule_order(string_field(*a, {"schedule"})) < schedule_order(string_field(*b, {"schedule"}));
    });
    out << (gi == 0 ? "" : "\n") << "overlap: " << describe_group(groups[gi], name_fwd) << '\n';
    print_titles(overlap_columns(), out);
    for (const nlohmann::json* r : g) {
      const std::vector<std::string> cells = {
          schedule_cell(*r),
          param_text(*r, "S"),
          chunks_cell(*r),
          format_sig(number_field(*r, {record_key::time_ms, "p50"})),
          format_sig(number_field(*r, {record_key::comp_ms})),
          format_sig(number_field(*r, {record_key::comm_ms})),
          rho_cell(*r),
          with_interval(*r, {"bound"}, {"bound_ci"}, false),
          with_interval(*r, {"eta"}, {"eta_ci"}, false),
          with_interval(*r, {"speedup", "vs_ulysses"}, {"speedup_ci", "vs_ulysses"}, true),
          with_interval(*r, {"speedup", "vs_ring"}, {"speedup_ci", "vs_ring"}, true)};
      print_line(overlap_columns(), cells, out);
      own_rho = own_rho || cells[kRhoColumn].find('*') != std::string::npos;
      for (std::size_t c = kRhoColumn; c < cells.size(); ++c) {  // rho, the bound, eta and the speedups
        with_ci = with_ci || cells[c].find('[') != std::string::npos;
        unsure = unsure || ends_with(cells[c], kNotSignificant);
      }
    }
  }
  if (own_rho) out << "rho*: the row's own comm/(comp+comm); no Ulysses row of the same problem\n";
  if (with_ci) out << "[lo, hi]: 95% interval over the rounds and iterations (docs/METRICS.md, \"Intervals\")\n";
  if (unsure) out << kNotSignificant << ": the speedup's interval contains 1.00: not significant\n";
}

}  // namespace cpb
