// The state of the GPUs during a timed loop (docs/METRICS.md, "GPU state"): the samples
// of one rank summarised, the ranks combined, the throttle rule, the names of NVML's
// clock-event reasons, and the record's JSON object `gpu_state`.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/runtime.hpp"

namespace cpb {

// min, median and max of one quantity; NaN (null in JSON) when nothing was read.
struct SampleRange {
  double min = std::numeric_limits<double>::quiet_NaN();
  double median = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
};

struct GpuState {
  int ranks = 1;    // ranks combined
  int samples = 0;  // samples of the rank that took the fewest
  SampleRange sm_clock_mhz;   // [MHz]
  SampleRange mem_clock_mhz;  // [MHz]
  SampleRange power_w;        // [W]
  SampleRange temperature_c;  // [C]
  uint64_t reasons = 0;       // clock-event reason bits seen in any sample of any rank
  double throttled_fraction = 0;  // the largest over ranks of: samples with a throttle reason / samples
  // The most compute processes besides cpbench's rank seen on one rank's GPU in one
  // sample; NaN when never read.
  double other_processes = std::numeric_limits<double>::quiet_NaN();
};

// NVML's clock-event (throttle) reasons (nvmlClocksEventReason*): the bit, the name
// written in records, and whether it is a throttle reason (thermal or power).
struct ClockEventReason {
  uint64_t bit;
  const char* name;
  bool throttle;
};
const std::vector<ClockEventReason>& clock_event_reasons();  // in bit order
// The bits of the thermal and power reasons: sw_power_cap, hw_slowdown, sw_thermal,
// hw_thermal, hw_power_brake.
uint64_t throttle_reason_bits();
// The names of the set bits in bit order; a bit without a name as "0x" and hex digits.
std::vector<std::string> reason_names(uint64_t bits);
// The inverse of reason_names; throws std::invalid_argument on a name it does not know.
uint64_t reason_bits(const std::vector<std::string>& names);

// One rank's samples: ranges over the readings that are not NaN, reasons or'ed.
GpuState summarize_gpu_samples(const std::vector<GpuSample>& samples);
// Several ranks' (or loops') states as one: min of the mins, median of the medians, max
// of the maxes, fewest samples, union of reasons, largest throttled fraction, ranks summed.
GpuState combine_gpu_states(const std::vector<GpuState>& states);

// The throttle flag of a point: a thermal or power reason was seen during its timed loop.
bool throttled(const GpuState& s);

// The shared flag of a point: another compute process was seen on one of its GPUs during
// its timed loop.
bool shared_gpu(const GpuState& s);
// A record's gpu_state.other_processes; 0 when the record has none (the CPU runtime, a
// record older than the field) or it was not read.
int record_other_processes(const nlohmann::json& record);

// The thermal and power reasons of a record's gpu_state (names, bit order): non-empty iff
// the tables flag the point as throttled. Empty when the record has no gpu_state or its
// reasons are not a list of names.
std::vector<std::string> record_throttle_reasons(const nlohmann::json& record);

// A fixed-length array of doubles, for collectives (reasons as two 32-bit halves).
constexpr int kPackedGpuStateSize = 18;
std::vector<double> pack_gpu_state(const GpuState& s);
GpuState unpack_gpu_state(const double* packed);  // kPackedGpuStateSize values

// {"ranks", "samples", "sm_clock_mhz": {"min", "median", "max"}, "mem_clock_mhz", "power_w",
// "temperature_c", "clock_event_reasons": [names], "throttled", "throttled_fraction",
// "other_processes"}. from_json ignores "throttled" (it follows from the reasons), reads a
// missing "other_processes" (records written before it) as not read, and throws
// nlohmann::json::exception on another missing field or a wrong type,
// std::invalid_argument on an unknown reason name.
void to_json(nlohmann::json& j, const GpuState& s);
void from_json(const nlohmann::json& j, GpuState& s);

}  // namespace cpb
