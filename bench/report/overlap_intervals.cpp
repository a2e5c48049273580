#include "bench/report/overlap_intervals.hpp"

#include <cmath>
#include <vector>

#include "bench/report/metrics.hpp"
#include "bench/report/overlap_figures.hpp"

namespace cpb {
namespace {

enum Series : size_t { kTime = 0, kComp = 1, kComm = 2 };

using At = std::vector<std::vector<double>>;

// A round's part: its finite samples, else its value alone.
std::vector<double> part_samples(const nlohmann::json& round, const char* samples, const char* value) {
  std::vector<double> x;
  if (const auto it = round.find(samples); it != round.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_number() && std::isfinite(v.get<double>())) x.push_back(v.get<double>());
  if (x.empty()) x.push_back(round[value].get<double>());
  return x;
}

}  // namespace

bool parts_every_round(const nlohmann::json& r) {
  const auto it = r.find("rounds");
  if (it == r.end() || !it->is_array() || it->empty()) return false;
  for (const auto& round : *it)
    if (!round.is_object() || !has_number(round, "comp_ms") || !has_number(round, "comm_ms")) return false;
  return true;
}

PointRounds overlap_rounds(const nlohmann::json& r) {
  const double comp = r["comp_ms"].get<double>(), comm = r["comm_ms"].get<double>();
  PointRounds p(3);
  p[kTime] = round_samples(r);
  if (p[kTime].empty()) {
    p[kTime] = {{r["time_ms"]["p50"].get<double>()}};
    p[kComp] = {{comp}};
    p[kComm] = {{comm}};
    return p;
  }
  const bool own = parts_every_round(r);
  for (const auto& round : r["rounds"]) {
    p[kComp].push_back(own ? part_samples(round, "comp_samples", "comp_ms") : std::vector<double>{comp});
    p[kComm].push_back(own ? part_samples(round, "comm_samples", "comm_ms") : std::vector<double>{comm});
  }
  return p;
}

RhoIntervals rho_intervals(const nlohmann::json& src, bool scaled) {
  if (!parts_every_round(src)) return {};
  const auto rho = [scaled](const At& at) -> std::optional<double> {
    const std::vector<double>& s = at[0];
    const std::optional<double> scale = scaled ? comp_scale_of(s[kTime], s[kComp], s[kComm]) : 1.0;
    if (!scale) return std::nullopt;
    return rho_of(s[kComp] * *scale, s[kComm]);
  };
  const auto bound = [&rho](const At& at) -> std::optional<double> {
    const std::optional<double> x = rho(at);
    if (!x) return std::nullopt;
    return bound_of(*x);
  };
  const std::vector<std::optional<Interval>> ci = figure_intervals({overlap_rounds(src)}, {rho, bound});
  return {ci[0], ci[1]};
}

std::optional<Interval> eta_interval(const nlohmann::json& r, const nlohmann::json* serial) {
  bool has_samples = false;
  for (const auto& round : round_samples(r)) has_samples = has_samples || !round.empty();
  if (!has_samples) return std::nullopt;
  std::vector<PointRounds> points = {overlap_rounds(r)};
  if (serial) points.push_back(overlap_rounds(*serial));
  const auto eta = [](const At& at) -> std::optional<double> {
    const std::vector<double>& own = at[0];
    std::optional<double> scale = 1.0;
    if (at.size() > 1) scale = comp_scale_of(at[1][kTime], at[1][kComp], at[1][kComm]);
    if (!scale) return std::nullopt;
    return eta_of(own[kComp] * *scale, own[kComm], own[kTime]);
  };
  return figure_interval(points, eta);
}

}  // namespace cpb
