#include "bench/report/compare.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <tuple>

#include "bench/report/record_fields.hpp"
#include "bench/report/result_file.hpp"
#include "bench/report/text_format.hpp"

namespace cpb {
namespace {

// The p50 time of a record that has a valid one: not SKIPPED, not FAILED (the time of a
// wrong result is no baseline), positive.
std::optional<double> p50_of(const nlohmann::json& r) {
  const std::string status = record_status(r);
  const auto t = number_field(r, {"time_ms", "p50"});
  if (t && *t > 0 && status != "SKIPPED" && status != "FAILED") return t;
  return std::nullopt;
}

// The noise of a record's time, as a fraction of it: with R >= 2 rounds the standard
// error of the rounds' p50s, their between-round CV (sample standard deviation over the
// mean) over sqrt(R): time_ms.p50 is a median of those R values, and the spread between
// rounds holds what drifts between minutes (clocks, temperature, other jobs). With one
// round, time_ms.cv (the spread within its one timed loop); 0 when it has neither.
double noise_of(const nlohmann::json& r) {
  std::vector<double> p50s;
  if (const nlohmann::json* rounds = find_field(r, {"rounds"}); rounds && rounds->is_array())
    for (const auto& round : *rounds)
      if (const auto p = number_field(round, {"p50"}); p && *p > 0) p50s.push_back(*p);
  if (p50s.size() < 2) return number_field(r, {"time_ms", "cv"}).value_or(0);
  double mean = 0, ss = 0;
  for (double x : p50s) mean += x / static_cast<double>(p50s.size());
  for (double x : p50s) ss += (x - mean) * (x - mean);
  const double n = static_cast<double>(p50s.size());
  return std::sqrt(ss / (n - 1)) / mean / std::sqrt(n);
}

std::string status_note(const char* side, const nlohmann::json& r) {
  const std::string status = record_status(r);
  const std::string reason = string_field(r, {"reason"});
  std::string s = std::string(side) + " " + (status.empty() ? "has no status" : status);
  return reason.empty() ? s : s + ": " + reason;
}

ComparedPoint compare_pair(const nlohmann::json& b, const nlohmann::json& n, double threshold_pct, double noise_k) {
  ComparedPoint c;
  c.point = describe_point(n);
  c.base_ms = p50_of(b);
  c.new_ms = p50_of(n);
  if (record_status(n) == "FAILED") {
    c.verdict = Verdict::Failed;
    c.note = status_note("NEW", n);
  } else if (!c.base_ms) {
    c.verdict = c.new_ms ? Verdict::New : Verdict::Skipped;
    c.note = status_note("BASE", b);
    if (!c.new_ms) {
      const bool alike = record_status(b) == record_status(n) &&
                         string_field(b, {"reason"}) == string_field(n, {"reason"});
      c.note = alike ? status_note("BOTH", n) : c.note + "; " + status_note("NEW", n);
    }
  } else if (!c.new_ms) {
    c.verdict = Verdict::Missing;
    c.note = record_status(n) == "SKIPPED" ? status_note("NEW", n) : "NEW has no time_ms.p50";
  } else {
    const double cv_b = noise_of(b), cv_n = noise_of(n);
    c.change_pct = (*c.new_ms - *c.base_ms) / *c.base_ms * 100;
    c.band_pct = std::max(threshold_pct, noise_k * std::sqrt(cv_b * cv_b + cv_n * cv_n) * 100);
    c.verdict = *c.change_pct > *c.band_pct ? Verdict::Slower
                : *c.change_pct < -*c.band_pct ? Verdict::Faster
                                                : Verdict::Same;
  }
  return c;
}

const nlohmann::json& points_of(const nlohmann::json& doc) {
  static const nlohmann::json empty = nlohmann::json::array();
  const nlohmann::json* p = find_field(doc, {"points"});
  return p && p->is_array() ? *p : empty;
}

std::string provenance_line(const char* side, const std::string& path, const nlohmann::json& doc) {
  std::string s = std::string(side) + " " + path;
  const nlohmann::json* prov = find_field(doc, {"provenance"});
  if (!prov) return s;
  std::string facts;
  for (const char* key : {"host", "runtime", "git", "date"}) {
    const std::string v = string_field(*prov, {key});
    if (!v.empty()) facts += (facts.empty() ? "" : ", ") + std::string(key) + " " + v;
  }
  if (const nlohmann::json* gpus = find_field(*prov, {"gpus"}); gpus && !summarize_names(*gpus).empty())
    facts += (facts.empty() ? "" : ", ") + std::string("gpus ") + summarize_names(*gpus);
  return facts.empty() ? s : s + " (" + facts + ")";
}

// Two files without a point in common are not a baseline and a new run of it (bad input,
// not a regression): "BASE and NEW have no point in common (BASE: 4 points, e.g. ulysses
// S=1024 ...; NEW: 3 points, e.g. ...); compare results of the same config".
std::string no_common_point(const nlohmann::json& base, const nlohmann::json& fresh) {
  const auto side = [](const char* name, const nlohmann::json& doc) {
    const nlohmann::json& points = points_of(doc);
    std::string s = std::string(name) + ": " + std::to_string(points.size()) + " points";
    return points.empty() ? s : s + ", e.g. " + describe_point(points.front());
  };
  return "BASE and NEW have no point in common (" + side("BASE", base) + "; " + side("NEW", fresh) +
         "); compare results of the same config";
}

void print_point(const ComparedPoint& p, std::ostream& out) {
  std::string line = pad(to_string(p.verdict), 8) + "  " + pad(format_sig(p.base_ms), 9, true) + "  " +
                     pad(format_sig(p.new_ms), 9, true) + "  " + pad(format_percent(p.change_pct), 8, true) + "  " +
                     pad(p.band_pct ? format_sig(p.band_pct, 3) + "%" : "-", 7, true) + "  " + p.point;
  if (!p.note.empty()) line += "  [" + p.note + "]";
  out << line << '\n';
}

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Same: return "SAME";
    case Verdict::Faster: return "FASTER";
    case Verdict::Slower: return "SLOWER";
    case Verdict::Missing: return "MISSING";
    case Verdict::New: return "NEW";
    case Verdict::Failed: return "FAILED";
    case Verdict::Skipped: return "SKIPPED";
  }
  return "?";
}

bool is_regression(Verdict v) { return v == Verdict::Slower || v == Verdict::Missing || v == Verdict::Failed; }

int Comparison::count(Verdict v) const {
  return static_cast<int>(
      std::count_if(points.begin(), points.end(), [v](const ComparedPoint& p) { return p.verdict == v; }));
}

bool Comparison::regressed() const {
  return std::any_of(points.begin(), points.end(), [](const ComparedPoint& p) { return is_regression(p.verdict); });
}

Comparison compare_results(const nlohmann::json& base, const nlohmann::json& fresh, double threshold_pct,
                           double noise_k) {
  if (!std::isfinite(threshold_pct) || threshold_pct < 0)
    throw UsageError("--threshold: " + std::to_string(threshold_pct) + " is not a percentage >= 0");
  if (!std::isfinite(noise_k) || noise_k < 0)
    throw UsageError("--noise: " + std::to_string(noise_k) + " is not a multiple >= 0");

  // identity -> NEW's records with it, in file order; matched ones are taken from the front.
  std::map<std::string, std::vector<const nlohmann::json*>> unmatched;
  for (const auto& r : points_of(fresh)) unmatched[point_identity(r)].push_back(&r);

  Comparison c;
  int matched = 0;
  for (const auto& b : points_of(base)) {
    auto& candidates = unmatched[point_identity(b)];
    if (candidates.empty()) {
      ComparedPoint p;
      p.point = describe_point(b);
      p.base_ms = p50_of(b);
      p.verdict = p.base_ms ? Verdict::Missing : Verdict::Skipped;
      p.note = p.base_ms ? "not in NEW" : "not in NEW; " + status_note("BASE", b);
      c.points.push_back(p);
      continue;
    }
    ++matched;
    c.points.push_back(compare_pair(b, *candidates.front(), threshold_pct, noise_k));
    candidates.erase(candidates.begin());
  }
  if (matched == 0) throw UsageError(no_common_point(base, fresh));
  for (const auto& n : points_of(fresh)) {
    auto& left = unmatched[point_identity(n)];
    if (std::find(left.begin(), left.end(), &n) == left.end()) continue;
    ComparedPoint p;
    p.point = describe_point(n);
    p.new_ms = p50_of(n);
    const bool failed = record_status(n) == "FAILED";
    p.verdict = failed ? Verdict::Failed : Verdict::New;
    p.note = failed ? "not in BASE; " + status_note("NEW", n) : "not in BASE";
    c.points.push_back(p);
  }
  return c;
}

void print_comparison(const Comparison& c, std::ostream& out) {
  out << pad("verdict", 8) << "  " << pad("base ms", 9, true) << "  " << pad("new ms", 9, true) << "  "
      << pad("change", 8, true) << "  " << pad("band", 7, true) << "  point\n";
  for (const ComparedPoint& p : c.points) print_point(p, out);

  const int regressions = c.count(Verdict::Slower) + c.count(Verdict::Missing) + c.count(Verdict::Failed);
  if (regressions > 0) {
    out << "\nregressions:\n";
    for (const ComparedPoint& p : c.points)
      if (is_regression(p.verdict)) print_point(p, out);
  }
  if (c.count(Verdict::Faster) > 0) {
    out << "\nfaster beyond the band (check, then refresh the baseline):\n";
    for (const ComparedPoint& p : c.points)
      if (p.verdict == Verdict::Faster) print_point(p, out);
  }
  out << "\nsummary: " << c.points.size() << " points:";
  for (Verdict v : {Verdict::Same, Verdict::Faster, Verdict::Slower, Verdict::Failed, Verdict::Missing, Verdict::New,
                    Verdict::Skipped})
    out << ' ' << c.count(v) << ' ' << to_string(v) << (v == Verdict::Skipped ? "" : ",");
  out << " -> " << (c.regressed() ? "REGRESSION (exit 1)" : "OK (exit 0)") << '\n';
}

int run_compare(const std::string& base_path, const std::string& new_path, double threshold_pct, double noise_k,
                std::ostream& out) {
  try {
    const nlohmann::json base = load_result_file(base_path);
    const nlohmann::json fresh = load_result_file(new_path);
    const Comparison c = compare_results(base, fresh, threshold_pct, noise_k);
    for (const auto& [side, path, doc] : {std::tuple{"BASE", &base_path, &base}, std::tuple{"NEW", &new_path, &fresh}})
      if (const auto note = incomplete_note(*doc))
        std::cerr << "cpbench: warning: " << side << " " << *path << " is " << *note << '\n';
    out << "cpbench compare: threshold " << format_sig(threshold_pct, 3) << "%, noise K=" << format_sig(noise_k, 3)
        << " (band = max(threshold, K * combined noise); noise: the between-round CV of p50 / sqrt(rounds), "
           "or time_ms.cv with one round)\n";
    out << provenance_line("BASE", base_path, base) << '\n' << provenance_line("NEW ", new_path, fresh) << "\n\n";
    print_comparison(c, out);
    return c.regressed() ? 1 : 0;
  } catch (const UsageError& e) {
    std::cerr << "cpbench: error: " << e.what() << '\n';
    return 2;
  }
}

}  // namespace cpb
