// write_markdown_report (declared in report.hpp).
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/report/best_of.hpp"
#include "bench/report/gpu_state.hpp"
#include "bench/report/intervals.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/report/report.hpp"
#include "bench/report/report_passes.hpp"
#include "bench/report/text_format.hpp"

namespace cpb {
namespace {

// Text inside a table cell or a list item: '|' would end the cell, newlines the row.
std::string md_escape(const std::string& s) {
  std::string e;
  for (char c : s) {
    if (c == '|')
      e += "\\|";
    else if (c == '\n' || c == '\r')
      e += ' ';
    else
      e += c;
  }
  return e;
}

std::string fixed2(std::optional<double> v) {
  if (!v) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", *v);
  return buf;
}

void write_header(const nlohmann::json& doc, const std::string& source, std::ostream& out) {
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& points = doc.contains("points") && doc["points"].is_array() ? doc["points"] : empty;
  std::map<std::string, int> by_status;
  for (const auto& r : points) ++by_status[record_status(r).empty() ? "no status" : record_status(r)];

  out << "# cpbench report\n\n";
  out << "- source: `" << source << "`, " << points.size() << " points";
  std::string counts;
  for (const auto& [status, n] : by_status) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  if (!counts.empty()) out << " (" << counts << ")";
  out << "\n";

  const nlohmann::json* prov = find_field(doc, {"provenance"});
  if (!prov || !prov->is_object()) return;
  auto field = [&](const char* key) { return md_escape(string_field(*prov, {key})); };
  std::string run;
  if (!field("date").empty()) run += field("date");
  if (!field("host").empty()) run += (run.empty() ? "" : " on ") + field("host");
  if (const nlohmann::json* ws = find_field(*prov, {"world_size"}); ws && ws->is_number())
    run += ", " + plain_text(*ws) + " ranks";
  if (const nlohmann::json* nodes = find_field(*prov, {"nodes"}); nodes && nodes->is_number())
    run += " on " + plain_text(*nodes) + " node(s)";
  if (!run.empty()) out << "- run: " << run << "\n";
  std::string with;
  if (!field("runtime").empty()) with += field("runtime") + " runtime";
  if (const nlohmann::json* gpus = find_field(*prov, {"gpus"}); gpus && !summarize_names(*gpus).empty())
    with += (with.empty() ? "" : ", ") + md_escape(summarize_names(*gpus));
  if (!with.empty()) out << "- with: " << with << "\n";
  std::string build;
  if (!field("cpbench_version").empty()) build += "cpbench " + field("cpbench_version");
  std::string git = field("git");
  const nlohmann::json* dirty = find_field(*prov, {"git_dirty"});
  if (!git.empty() && dirty && dirty->is_boolean() && dirty->get<bool>()) git += ", dirty";
  if (!git.empty()) build += build.empty() ? "git " + git : " (git " + git + ")";
  if (!build.empty()) out << "- build: " << build << "\n";
  if (!field("config_path").empty()) out << "- config: `" << field("config_path") << "`\n";
}

// A speedup with its 95% interval where the record has one: "1.04×U [0.99, 1.08]", and
// "\~" after it when the interval contains 1 (escaped: GitHub reads "~x~" as struck out).
std::string speedup_text(const nlohmann::json& r, const char* key, const char* tag) {
  const auto v = number_field(r, {"speedup", key});
  if (!v) return "";
  const std::optional<Interval> ci = read_interval(find_field(r, {"speedup_ci", key}));
  std::string s = fixed2(v) + tag;
  if (!ci) return s;
  s += " [" + fixed2(ci->lo) + ", " + fixed2(ci->hi) + "]";
  return significant_ratio(ci) ? s : s + "\\" + kNotSignificant;
}

// What a table cell shows for one record.
std::string cell_text(const nlohmann::json& r) {
  const std::string status = record_status(r);
  const auto p50 = number_field(r, {"time_ms", "p50"});
  if (status == "SKIPPED" || (!p50 && status != "PASS")) return status.empty() ? "-" : status;
  std::vector<std::string> parts;
  parts.push_back(p50 ? format_sig(p50) + " ms" : "no time");
  for (const auto& [key, tag] : {std::pair{"vs_ulysses", "×U"}, std::pair{"vs_ring", "×R"}})
    if (const std::string t = speedup_text(r, key, tag); !t.empty()) parts.push_back(t);
  if (const auto eta = number_field(r, {"eta"})) {
    const std::optional<Interval> ci = read_interval(find_field(r, {"eta_ci"}));
    parts.push_back("η " + (ci ? format_with_interval(*eta, ci, false) : fixed2(eta)));
  }
  if (const auto rho = number_field(r, {"rho"})) {
    const std::optional<Interval> ci = read_interval(find_field(r, {"rho_ci"}));
    parts.push_back("ρ " + fixed2(rho) + (string_field(r, {"rho_source"}) == "self" ? "\\*" : "") +
                    (ci ? " [" + fixed2(ci->lo) + ", " + fixed2(ci->hi) + "]" : ""));
  }
  if (const auto bound = number_field(r, {"bound"})) {
    const std::optional<Interval> ci = read_interval(find_field(r, {"bound_ci"}));
    parts.push_back("bound " + (ci ? format_with_interval(*bound, ci, false) : fixed2(bound)));
  }
  if (!record_throttle_reasons(r).empty()) parts.push_back("T");
  if (record_other_processes(r) > 0) parts.push_back("S");
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : " · ") + p;
  if (status == "FAILED") s = "FAILED: " + s;
  return s;
}

struct Variant {
  std::string label;
  int order = 0;
  nlohmann::json options;
  bool operator<(const Variant& o) const {
    if (order != o.order) return order < o.order;
    if (options != o.options) return options < o.options;
    return label < o.label;
  }
  bool operator==(const Variant& o) const { return label == o.label && options == o.options; }
};

struct GroupTable {
  nlohmann::json group;
  std::vector<Variant> variants;
  std::vector<nlohmann::json> sizes;  // the S values, as in the records
  // (S index, variant index) -> the first record of that cell.
  std::map<std::pair<std::size_t, std::size_t>, const nlohmann::json*> cells;
  std::vector<const nlohmann::json*> records;
};

// The index of x in v, appending it first when absent.
template <class T>
std::size_t index_or_add(std::vector<T>& v, const T& x) {
  const auto it = std::find(v.begin(), v.end(), x);
  if (it != v.end()) return static_cast<std::size_t>(it - v.begin());
  v.push_back(x);
  return v.size() - 1;
}

std::vector<GroupTable> build_tables(const nlohmann::json& points) {
  std::vector<GroupTable> tables;
  for (const auto& r : points) {
    const nlohmann::json g = problem_group(r);
    auto it = std::find_if(tables.begin(), tables.end(), [&](const GroupTable& t) { return t.group == g; });
    if (it == tables.end()) {
      tables.push_back(GroupTable{g, {}, {}, {}, {}});
      it = tables.end() - 1;
    }
    it->records.push_back(&r);
  }
  auto variant_of = [](const nlohmann::json& r) {
    return Variant{variant_label(r), schedule_order(string_field(r, {"schedule"})), schedule_options(r)};
  };
  auto size_of = [](const nlohmann::json& r) {
    const nlohmann::json* S = find_field(r, {"params", "S"});
    return S ? *S : nlohmann::json();
  };
  for (GroupTable& t : tables) {
    for (const nlohmann::json* r : t.records) {
      index_or_add(t.variants, variant_of(*r));
      index_or_add(t.sizes, size_of(*r));
    }
    std::sort(t.variants.begin(), t.variants.end());
    std::sort(t.sizes.begin(), t.sizes.end());
    for (const nlohmann::json* r : t.records) {
      const std::size_t si = index_or_add(t.sizes, size_of(*r));
      t.cells.emplace(std::make_pair(si, index_or_add(t.variants, variant_of(*r))), r);
    }
  }
  return tables;
}

std::string size_text(const nlohmann::json& r) {
  const nlohmann::json* S = find_field(r, {"params", "S"});
  return S && !S->is_null() ? md_escape(plain_text(*S)) : "-";
}

// One line per S and schedule (Ulysses aside) with two variants or more that have a
// speedup: the best of them (best_of.hpp), on rounds it was not chosen on where it can.
void write_best_of(const GroupTable& t, const std::vector<nlohmann::json>& all, std::ostream& out) {
  std::map<std::pair<std::size_t, std::string>, std::vector<const nlohmann::json*>> by_cell;
  for (const auto& [cell, r] : t.cells) {
    const std::string schedule = string_field(*r, {"schedule"});
    if (schedule != "ulysses" && record_status(*r) == "PASS") by_cell[{cell.first, schedule}].push_back(r);
  }
  bool listed = false;
  for (const auto& [key, candidates] : by_cell) {
    const std::optional<BestOf> b = best_of(candidates, all);
    if (!b) continue;
    std::string figure = fixed2(b->speedup) + "×U";
    if (b->ci) figure += " [" + fixed2(b->ci->lo) + ", " + fixed2(b->ci->hi) + "]";
    if (b->ci && !significant_ratio(b->ci)) figure += std::string("\\") + kNotSignificant;
    out << (listed ? "" : "\n") << "- best of " << b->variants << ' ' << md_escape(key.second)
        << " variants, S=" << size_text(*b->chosen) << ": " << md_escape(variant_label(*b->chosen)) << ", "
        << figure
        << (b->held_out ? " on the even rounds (chosen on the odd ones)"
                        : " (best of " + std::to_string(b->variants) +
                              ", chosen and reported on the same rounds: biased up)")
        << '\n';
    listed = true;
  }
}

// `name_fwd`: the file has other passes than fwd, so a fwd table's title says so too.
void write_table(const GroupTable& t, const std::vector<nlohmann::json>& all, bool name_fwd, std::ostream& out) {
  const std::string title = describe_group(t.group, name_fwd);
  out << "\n## " << (title.empty() ? "all points" : md_escape(title)) << "\n\n| S |";
  for (const Variant& v : t.variants) out << ' ' << md_escape(v.label) << " |";
  out << "\n|---:|";
  for (std::size_t i = 0; i < t.variants.size(); ++i) out << "---|";
  out << '\n';
  for (std::size_t si = 0; si < t.sizes.size(); ++si) {
    out << "| " << (t.sizes[si].is_null() ? "-" : md_escape(plain_text(t.sizes[si]))) << " |";
    for (std::size_t vi = 0; vi < t.variants.size(); ++vi) {
      const auto it = t.cells.find({si, vi});
      out << ' ' << (it == t.cells.end() ? "" : md_escape(cell_text(*it->second))) << " |";
    }
    out << '\n';
  }
  write_best_of(t, all, out);
  bool listed = false;
  for (const nlohmann::json* r : t.records) {
    const std::string status = record_status(*r);
    const std::string reason = string_field(*r, {"reason"});
    if (status == "PASS" || (status.empty() && reason.empty())) continue;
    out << (listed ? "" : "\n") << "- " << md_escape(variant_label(*r)) << ", S=" << size_text(*r) << ": "
        << (status.empty() ? "no status" : status) << (reason.empty() ? "" : ": " + md_escape(reason))
        << '\n';
    listed = true;
  }
}

}  // namespace

void write_markdown_report(const nlohmann::json& doc, const std::string& source, std::ostream& out) {
  write_header(doc, source, out);
  const nlohmann::json* points = find_field(doc, {"points"});
  if (!points || !points->is_array() || points->empty()) {
    out << "\nNo points.\n";
    return;
  }
  out << "\nCells: p50 time [ms] · speedup vs Ulysses (×U) and vs Ring (×R) of the same problem · "
         "overlap efficiency η; [lo, hi]: the 95% interval over the rounds and iterations, and \\~ after a "
         "speedup whose interval contains 1 (not significant) · communication ratio ρ of serial Ulysses (ρ\\*: the row's own, "
         "when the problem has no Ulysses row) · overlap bound on speedup 1/max(ρ, 1-ρ). A cell shows what its record has; "
         "docs/METRICS.md defines each.\n";
  const auto throttled_point = [](const nlohmann::json& r) { return !record_throttle_reasons(r).empty(); };
  if (std::any_of(points->begin(), points->end(), throttled_point))
    out << "\nT: the GPU clocks were throttled for power or temperature during the timed loop (the record's "
           "gpu_state; docs/METRICS.md, \"GPU state\").\n";
  const auto shared_point = [](const nlohmann::json& r) { return record_other_processes(r) > 0; };
  if (std::any_of(points->begin(), points->end(), shared_point))
    out << "\nS: another compute process ran on the GPU during the timed loop (gpu_state.other_processes): "
           "the time is not this point's alone.\n";
  const std::vector<nlohmann::json> all(points->begin(), points->end());
  const bool name_fwd = has_other_pass(*points);
  for (const GroupTable& t : build_tables(*points)) write_table(t, all, name_fwd, out);
  write_pass_tables(all, out);
}

}  // namespace cpb
