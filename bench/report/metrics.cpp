#include "bench/report/metrics.hpp"

#include <algorithm>

#include "bench/runtime.hpp"
#include "bench/schedule.hpp"

namespace cpb {
namespace {

bool has_number(const nlohmann::json& r, const char* key) {
  return r.contains(key) && r[key].is_number();
}

double p50(const nlohmann::json& r) { return r["time_ms"]["p50"].get<double>(); }

bool timed(const nlohmann::json& r) {
  return r.value("status", "") == "PASS" && r.contains("time_ms") && r["time_ms"].value("p50", 0.0) > 0;
}

// The transport of a row plus the levers it sets.
nlohmann::json transport_key(const nlohmann::json& r) {
  const nlohmann::json params = r.value("params", nlohmann::json::object());
  nlohmann::json k = {{"transport", params.value("transport", "")}};
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

// The reference row of `schedule` for row `r` (docs/METRICS.md): the timed record of
// that schedule solving the same problem over NCCL without levers or how-options (the
// baseline every transport, lever and qkv_layout is compared with), else one with the
// transport and levers of `r`, preferring one without how-options; nullptr when none.
const nlohmann::json* find_reference(const std::vector<nlohmann::json>& all, const nlohmann::json& r,
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

}  // namespace

nlohmann::json problem_key(const nlohmann::json& record) {
  nlohmann::json k = record.value("params", nlohmann::json::object());
  for (const OptionSpec& o : option_specs()) k.erase(o.name);
  for (const LeverSpec& l : lever_specs()) k.erase(l.name);
  k.erase("transport");
  return k;
}

void fill_derived_metrics(std::vector<nlohmann::json>& records) {
  for (auto& r : records) {
    for (const char* f : {"rho", "rho_source", "bound", "eta", "speedup", "busbw_gbps"}) r.erase(f);
    if (!timed(r)) continue;
    const double t = p50(r);

    nlohmann::json speedup = nlohmann::json::object();
    if (const auto* u = find_reference(records, r, "ulysses")) speedup["vs_ulysses"] = p50(*u) / t;
    if (const auto* g = find_reference(records, r, "ring")) speedup["vs_ring"] = p50(*g) / t;
    r["speedup"] = speedup;

    if (!has_number(r, "comp_ms") || !has_number(r, "comm_ms")) continue;
    const double comp = r["comp_ms"].get<double>();
    const double comm = r["comm_ms"].get<double>();
    // rho is a property of the problem: the HCMS paper takes it from serial Ulysses.
    const nlohmann::json* u = find_reference(records, r, "ulysses");
    const nlohmann::json& src = (u && has_number(*u, "comp_ms") && has_number(*u, "comm_ms")) ? *u : r;
    const double sc = src["comp_ms"].get<double>(), sm = src["comm_ms"].get<double>();
    if (sc + sm > 0) {
      const double rho = sm / (sc + sm);
      r["rho"] = rho;
      r["rho_source"] = (&src != &r || r.value("schedule", "") == "ulysses") ? "ulysses" : "self";
      r["bound"] = 1.0 / std::max(rho, 1.0 - rho);
    }
    const double serial = comp + comm;
    const double floor_t = std::max(comp, comm);
    if (serial - floor_t > 0) r["eta"] = (serial - t) / (serial - floor_t);
    if (comm > 0 && has_number(r, "comm_bytes_per_rank"))
      r["busbw_gbps"] = r["comm_bytes_per_rank"].get<double>() / (comm * 1e-3) / 1e9;
  }
}

}  // namespace cpb
