#include "bench/report/gpu_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "bench/report/point_record.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/report/stats.hpp"

namespace cpb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The median of the finite values of `v` (sorted in place), NaN when there is none.
double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// min and max over the finite values, NaN when there is none.
void extend(SampleRange& r, double lo, double hi) {
  if (std::isfinite(lo)) r.min = std::isfinite(r.min) ? std::min(r.min, lo) : lo;
  if (std::isfinite(hi)) r.max = std::isfinite(r.max) ? std::max(r.max, hi) : hi;
}

SampleRange range_of(const std::vector<double>& values) {
  SampleRange r;
  for (double v : values) extend(r, v, v);
  r.median = median_of(values);
  return r;
}

// The four ranges of a GpuState in one order, for the loops over them.
std::vector<SampleRange GpuState::*> range_fields() {
  return {&GpuState::sm_clock_mhz, &GpuState::mem_clock_mhz, &GpuState::power_w, &GpuState::temperature_c};
}
const char* const kRangeKeys[] = {"sm_clock_mhz", "mem_clock_mhz", "power_w", "temperature_c"};

}  // namespace

const std::vector<ClockEventReason>& clock_event_reasons() {
  static const std::vector<ClockEventReason> reasons = {
      {0x1, "gpu_idle", false},        {0x2, "applications_clocks", false}, {0x4, "sw_power_cap", true},
      {0x8, "hw_slowdown", true},      {0x10, "sync_boost", false},          {0x20, "sw_thermal", true},
      {0x40, "hw_thermal", true},      {0x80, "hw_power_brake", true},       {0x100, "display_clock", false}};
  return reasons;
}

uint64_t throttle_reason_bits() {
  uint64_t bits = 0;
  for (const ClockEventReason& r : clock_event_reasons())
    if (r.throttle) bits |= r.bit;
  return bits;
}

std::vector<std::string> reason_names(uint64_t bits) {
  std::vector<std::string> names;
  for (int b = 0; b < 64; ++b) {
    const uint64_t bit = uint64_t{1} << b;
    if (!(bits & bit)) continue;
    const auto& all = clock_event_reasons();
    const auto it = std::find_if(all.begin(), all.end(), [&](const ClockEventReason& r) { return r.bit == bit; });
    if (it != all.end()) {
      names.emplace_back(it->name);
    } else {
      char hex[24];
      std::snprintf(hex, sizeof(hex), "0x%llx", static_cast<unsigned long long>(bit));
      names.emplace_back(hex);
    }
  }
  return names;
}

uint64_t reason_bits(const std::vector<std::string>& names) {
  uint64_t bits = 0;
  for (const std::string& n : names) {
    const auto& all = clock_event_reasons();
    const auto it = std::find_if(all.begin(), all.end(), [&](const ClockEventReason& r) { return n == r.name; });
    if (it != all.end()) {
      bits |= it->bit;
      continue;
    }
    size_t end = 0;
    const bool hex = n.rfind("0x", 0) == 0 && n.size() > 2 && n.size() <= 18;
    const uint64_t v = hex ? std::stoull(n.substr(2), &end, 16) : 0;
    if (!hex || end != n.size() - 2 || v == 0) throw std::invalid_argument("\"" + n + "\" is not a clock-event reason");
    bits |= v;
  }
  return bits;
}

GpuState summarize_gpu_samples(const std::vector<GpuSample>& samples) {
  GpuState s;
  s.samples = static_cast<int>(samples.size());
  std::vector<double> sm, mem, power, temp;
  SampleRange others;
  int throttled_samples = 0;
  for (const GpuSample& g : samples) {
    sm.push_back(g.sm_clock_mhz);
    mem.push_back(g.mem_clock_mhz);
    power.push_back(g.power_w);
    temp.push_back(g.temperature_c);
    s.reasons |= g.reasons;
    if (g.reasons & throttle_reason_bits()) ++throttled_samples;
    extend(others, g.other_processes, g.other_processes);
  }
  s.other_processes = others.max;
  s.sm_clock_mhz = range_of(sm);
  s.mem_clock_mhz = range_of(mem);
  s.power_w = range_of(power);
  s.temperature_c = range_of(temp);
  if (!samples.empty())
    s.throttled_fraction = static_cast<double>(throttled_samples) / static_cast<double>(samples.size());
  return s;
}

GpuState combine_gpu_states(const std::vector<GpuState>& states) {
  GpuState c;
  if (states.empty()) return c;
  SampleRange others;
  c.ranks = 0;
  c.samples = states.front().samples;
  for (SampleRange GpuState::*field : range_fields()) {
    std::vector<double> medians;
    for (const GpuState& s : states) {
      extend(c.*field, (s.*field).min, (s.*field).max);
      medians.push_back((s.*field).median);
    }
    (c.*field).median = median_of(medians);
  }
  for (const GpuState& s : states) {
    c.ranks += s.ranks;
    c.samples = std::min(c.samples, s.samples);
    c.reasons |= s.reasons;
    c.throttled_fraction = std::max(c.throttled_fraction, s.throttled_fraction);
    extend(others, s.other_processes, s.other_processes);
  }
  c.other_processes = others.max;
  return c;
}

bool throttled(const GpuState& s) { return (s.reasons & throttle_reason_bits()) != 0; }

bool shared_gpu(const GpuState& s) { return s.other_processes > 0; }

int record_other_processes(const nlohmann::json& record) {
  const auto n = number_field(record, {record_key::gpu_state, "other_processes"});
  return n && *n > 0 ? static_cast<int>(*n) : 0;
}

std::vector<std::string> record_throttle_reasons(const nlohmann::json& record) {
  const nlohmann::json* names = find_field(record, {record_key::gpu_state, "clock_event_reasons"});
  if (!names || !names->is_array()) return {};
  uint64_t bits = 0;
  for (const nlohmann::json& n : *names) {
    if (!n.is_string()) return {};
    for (const ClockEventReason& r : clock_event_reasons())
      if (n.get<std::string>() == r.name) bits |= r.bit;
  }
  return reason_names(bits & throttle_reason_bits());
}

std::vector<double> pack_gpu_state(const GpuState& s) {
  std::vector<double> p = {static_cast<double>(s.ranks), static_cast<double>(s.samples)};
  for (SampleRange GpuState::*field : range_fields())
    p.insert(p.end(), {(s.*field).min, (s.*field).median, (s.*field).max});
  p.push_back(static_cast<double>(s.reasons >> 32));
  p.push_back(static_cast<double>(s.reasons & 0xffffffffu));
  p.push_back(s.throttled_fraction);
  p.push_back(s.other_processes);
  return p;
}

GpuState unpack_gpu_state(const double* p) {
  GpuState s;
  s.ranks = static_cast<int>(p[0]);
  s.samples = static_cast<int>(p[1]);
  int i = 2;
  for (SampleRange GpuState::*field : range_fields()) {
    (s.*field) = SampleRange{p[i], p[i + 1], p[i + 2]};
    i += 3;
  }
  s.reasons = (static_cast<uint64_t>(p[i]) << 32) | static_cast<uint64_t>(p[i + 1]);
  s.throttled_fraction = p[i + 2];
  s.other_processes = p[i + 3];
  return s;
}

void to_json(nlohmann::json& j, const GpuState& s) {
  j = nlohmann::json::object();
  j["ranks"] = s.ranks;
  j["samples"] = s.samples;
  const auto fields = range_fields();
  for (size_t f = 0; f < fields.size(); ++f) {
    const SampleRange& r = s.*fields[f];
    j[kRangeKeys[f]] = {{"min", r.min}, {"median", r.median}, {"max", r.max}};
  }
  j["clock_event_reasons"] = reason_names(s.reasons);
  j["throttled"] = throttled(s);
  j["throttled_fraction"] = s.throttled_fraction;
  // A count; null when never read.
  j["other_processes"] = std::isfinite(s.other_processes) ? nlohmann::json(static_cast<int>(s.other_processes))
                                                          : nlohmann::json(nullptr);
}

void from_json(const nlohmann::json& j, GpuState& s) {
  s.ranks = j.at("ranks").get<int>();
  s.samples = j.at("samples").get<int>();
  const auto fields = range_fields();
  for (size_t f = 0; f < fields.size(); ++f) {
    const nlohmann::json& r = j.at(kRangeKeys[f]);
    s.*fields[f] = SampleRange{json_number(r.at("min")), json_number(r.at("median")), json_number(r.at("max"))};
  }
  s.reasons = reason_bits(j.at("clock_event_reasons").get<std::vector<std::string>>());
  s.throttled_fraction = json_number(j.at("throttled_fraction"));
  s.other_processes = j.contains("other_processes") ? json_number(j.at("other_processes")) : kNaN;
}

}  // namespace cpb
