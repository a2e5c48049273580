#include "bench/report/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>

#include "bench/report/intervals.hpp"
#include "bench/report/overlap_figures.hpp"
#include "bench/report/overlap_intervals.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/runtime.hpp"
#include "bench/schedule.hpp"

namespace cpb {

bool has_number(const nlohmann::json& r, const char* key) { return r.contains(key) && r[key].is_number(); }

namespace {

double p50(const nlohmann::json& r) { return r["time_ms"]["p50"].get<double>(); }

// Rows come from files too (report, compare), so fields of the wrong type count as absent.
bool timed(const nlohmann::json& r) {
  return string_field(r, {"status"}) == "PASS" && number_field(r, {"time_ms", "p50"}).value_or(0) > 0;
}

// The transport of a row plus the levers it sets (as the file writes them).
nlohmann::json transport_key(const nlohmann::json& r) {
  const nlohmann::json params = r.value("params", nlohmann::json::object());
  nlohmann::json k = {{"transport", params.contains("transport") ? params["transport"] : nlohmann::json("")}};
  for (const LeverSpec& l : lever_specs())
    if (params.contains(l.name)) k[l.name] = params[l.name];
  return k;
}

// Whether a row sets any how-option (OptionSpec::how), which params carry only when not
// the default.
bool sets_how_option(const nlohmann::json& r) {
  const nlohmann::json params = r.value("params", nlohmann::json::object());
  for (const OptionSpec& o : option_specs())
    if (o.how && params.contains(o.name)) return true;
  return false;
}

nlohmann::json interval_json(const std::optional<Interval>& i) {
  return i ? nlohmann::json{{"lo", i->lo}, {"hi", i->hi}} : nlohmann::json();
}

// speedup and speedup_ci of `r` (timed) against its references.
void fill_speedups(const std::vector<nlohmann::json>& all, nlohmann::json& r) {
  const double t = p50(r);
  const RoundSamples own = round_samples(r);
  nlohmann::json speedup = nlohmann::json::object(), ci = nlohmann::json::object();
  for (const auto& [key, schedule] : {std::pair{"vs_ulysses", "ulysses"}, std::pair{"vs_ring", "ring"}}) {
    const nlohmann::json* ref = speedup_reference(all, r, schedule);
    if (!ref) continue;
    speedup[key] = p50(*ref) / t;
    if (ref == &r) continue;  // exactly 1: no interval
    const nlohmann::json i = interval_json(ratio_interval(round_samples(*ref), own));
    if (!i.is_null()) ci[key] = i;
  }
  r["speedup"] = speedup;
  if (!ci.empty()) r["speedup_ci"] = ci;
}

}  // namespace

const nlohmann::json* serial_reference(const std::vector<nlohmann::json>& all, const nlohmann::json& r) {
  const nlohmann::json key = problem_key(r);
  const nlohmann::json how = transport_key(r);
  const nlohmann::json* found = nullptr;
  for (const auto& o : all) {
    if (o.value("schedule", "") != "ulysses" || !timed(o) || problem_key(o) != key || transport_key(o) != how)
      continue;
    if (!has_number(o, "comp_ms") || !has_number(o, "comm_ms")) continue;
    if (&o == &r) return &o;
    if (!found || (sets_how_option(*found) && !sets_how_option(o))) found = &o;
  }
  return found;
}

std::optional<double> comp_scale(const nlohmann::json& u) {
  if (!timed(u) || !has_number(u, "comp_ms") || !has_number(u, "comm_ms")) return std::nullopt;
  return comp_scale_of(p50(u), u["comp_ms"].get<double>(), u["comm_ms"].get<double>());
}

const nlohmann::json* speedup_reference(const std::vector<nlohmann::json>& all, const nlohmann::json& r,
                                        const char* schedule) {
  const nlohmann::json key = problem_key(r);
  const nlohmann::json baseline = {{"transport", to_string(TransportKind::Nccl)}};
  const nlohmann::json same_transport = transport_key(r);
  const nlohmann::json* fallback = nullptr;
  for (const auto& o : all) {
    if (o.value("schedule", "") != schedule || !timed(o) || problem_key(o) != key) continue;
    const nlohmann::json how = transport_key(o);
    const bool plain = !sets_how_option(o);
    if (how == baseline && plain) return &o;
    if (how == same_transport && (!fallback || (plain && sets_how_option(*fallback)))) fallback = &o;
  }
  return fallback;
}

RoundSamples round_samples(const nlohmann::json& r) {
  RoundSamples s;
  const auto it = r.find("rounds");
  if (it == r.end() || !it->is_array()) return s;
  for (const auto& round : *it) {
    std::vector<double> x;
    if (round.contains("samples") && round["samples"].is_array())
      for (const auto& v : round["samples"])
        if (v.is_number() && std::isfinite(v.get<double>())) x.push_back(v.get<double>());
    s.push_back(std::move(x));
  }
  return s;
}

nlohmann::json problem_key(const nlohmann::json& record) {
  nlohmann::json k = record.value("params", nlohmann::json::object());
  for (const OptionSpec& o : option_specs()) k.erase(o.name);
  for (const LeverSpec& l : lever_specs()) k.erase(l.name);
  k.erase("transport");
  // Records name the pass only when not fwd; one that names fwd is of the same problem.
  if (k.contains("pass") && k["pass"] == "fwd") k.erase("pass");
  return k;
}

namespace {

// The derived fields of every record of one problem (`records`: the records of one
// problem_key, the only ones a row's references come from).
void fill_group(std::vector<nlohmann::json>& records) {
  std::map<const nlohmann::json*, RhoIntervals> rho_cis;  // by rho's source row: every row of it shares them
  for (auto& r : records) {
    for (const char* f : {"rho", "rho_ci", "rho_source", "rho_unmatched", "bound", "bound_ci", "eta", "eta_ci",
                          "eta_unmatched", "comp_scale", "comp_scale_from", "speedup", "speedup_ci", "busbw_gbps"})
      r.erase(f);
    if (!timed(r)) continue;
    const double t = p50(r);
    fill_speedups(records, r);

    if (!has_number(r, "comp_ms") || !has_number(r, "comm_ms")) continue;
    const double comm = r["comm_ms"].get<double>();
    // The compute-only part at the plan's conditions (docs/METRICS.md, "Compute at the
    // plan's conditions"): scaled by the serial Ulysses row of the same transport.
    const nlohmann::json* s = serial_reference(records, r);
    const std::optional<double> scale = s ? comp_scale(*s) : std::nullopt;
    const double raw_comp = r["comp_ms"].get<double>();
    const double comp = raw_comp * scale.value_or(1.0);
    if (scale) {
      r["comp_scale"] = *scale;
      if (s->contains("index")) r["comp_scale_from"] = (*s)["index"];
    }
    // rho is a property of the problem: the HCMS paper takes it from serial Ulysses, the
    // baseline (NCCL) one where it has parts, else the row's own serial Ulysses; the row
    // itself ("self") only when the problem has neither.
    const nlohmann::json* u = speedup_reference(records, r, "ulysses");
    if (!u || !has_number(*u, "comp_ms") || !has_number(*u, "comm_ms")) u = s;
    const nlohmann::json& src = u ? *u : r;
    const double sm = src["comm_ms"].get<double>();
    const double sc_raw = src["comp_ms"].get<double>();
    const std::optional<double> src_scale = u ? comp_scale(src) : scale;
    const double sc = sc_raw * src_scale.value_or(1.0);
    if (const auto rho = rho_of(sc, sm)) {
      r["rho"] = *rho;
      r["rho_source"] = u || r.value("schedule", "") == "ulysses" ? "ulysses" : "self";
      r["bound"] = bound_of(*rho);
      if (const auto unmatched = rho_of(sc_raw, sm); src_scale && unmatched) r["rho_unmatched"] = *unmatched;
      // The source is every row's of the problem: one bootstrap for all of them.
      const auto seen = rho_cis.try_emplace(&src, RhoIntervals{});
      if (seen.second) seen.first->second = rho_intervals(src, src_scale.has_value());
      const nlohmann::json rho_ci = interval_json(seen.first->second.rho);
      const nlohmann::json bound_ci = interval_json(seen.first->second.bound);
      if (!rho_ci.is_null()) r["rho_ci"] = rho_ci;
      if (!bound_ci.is_null()) r["bound_ci"] = bound_ci;
    }
    if (const auto e = eta_of(comp, comm, t)) {
      r["eta"] = *e;
      // Serial Ulysses with a scale has eta = 0 by construction: no interval.
      if (!(s == &r && scale)) {
        const nlohmann::json ci = interval_json(eta_interval(r, scale ? s : nullptr));
        if (!ci.is_null()) r["eta_ci"] = ci;
      }
    }
    if (scale)
      if (const auto e = eta_of(raw_comp, comm, t)) r["eta_unmatched"] = *e;
    if (comm > 0 && has_number(r, "comm_bytes_per_rank"))
      r["busbw_gbps"] = r["comm_bytes_per_rank"].get<double>() / (comm * 1e-3) / 1e9;
  }
}

}  // namespace

void fill_derived_metrics(std::vector<nlohmann::json>& records) {
  // By problem: a row's references are records of its own problem_key, so each group is
  // filled on its own (linear in the file's size, not quadratic).
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < records.size(); ++i) groups[problem_key(records[i]).dump()].push_back(i);
  for (const auto& [key, members] : groups) {
    std::vector<nlohmann::json> group;
    group.reserve(members.size());
    for (const size_t i : members) group.push_back(std::move(records[i]));
    fill_group(group);
    for (size_t k = 0; k < members.size(); ++k) records[members[k]] = std::move(group[k]);
  }
}

}  // namespace cpb
