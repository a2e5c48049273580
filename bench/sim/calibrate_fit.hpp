// The fits of `cpbench calibrate` (docs/SIMULATOR.md, "Calibration"): pure functions from
// measured times to the machine model's figures.
#pragma once

#include <string>
#include <vector>

#include "bench/sim/machine_model.hpp"

namespace cpb {

// One timed piece of communication (or of memory traffic): `instances` exchange instances
// (kernel launches) back to back, moving `bytes` per rank in all, took `ms`.
struct CommSample {
  double bytes = 0;   // [bytes] > 0
  double ms = 0;      // [ms] > 0
  int instances = 1;  // >= 1
};

struct AlphaBeta {
  double latency_us = 0;  // per instance [us], >= 0
  double gbps = 0;        // [GB/s] > 0
};

// Least squares of ms = instances * latency + bytes / gbps over the samples: with every
// instances = 1, the intercept and the inverse slope of the line through (bytes, ms).
// When the samples cannot separate the two (one size, or every bytes / instances equal)
// or the latency comes out negative, latency_us = 0 and the line goes through the origin:
// gbps = sum(bytes^2) / sum(bytes * ms). Throws UsageError naming `what` when there is
// no sample or the time does not grow with the bytes (a slope <= 0).
AlphaBeta fit_alpha_beta(const std::vector<CommSample>& samples, const std::string& what);

// The same fit as a BandwidthModel (copies, merges: launch_us = latency_us).
BandwidthModel fit_bandwidth(const std::vector<CommSample>& samples, const std::string& what);

// How a transport and attention share the GPU, from one probe row (p50s [ms]): attention
// alone A, the exchange alone C, both T, and the probe's attn_slowdown s (T / A):
//   rate_beside_attention = clamp((A s + C - T) / (A s), 0, 1)   when C > 0, else 1
//   attention_slowdown    = max(1, s)
// The rate is the share of its own speed the exchange keeps while attention runs, so
// that attention slowed by s and the exchange at that rate beside it end at T.
struct Interference {
  double rate_beside_attention = 1;
  double attention_slowdown = 1;
};
Interference fit_interference(double attn_ms, double comm_ms, double both_ms, double attn_slowdown);

// The same for a copy-engine transport (ce, ce_host): its copies run on DMA engines, not
// on SMs, so the exchange keeps its own speed beside attention (rate 1) and the whole
// excess T - A is attention's. Slowed by s while the copy moves, attention ends last at
// T = C + (A - C / s) = A + C (1 - 1 / s) whenever T > max(A, C), so
//   s = 1                     for T <= max(A, C)   (nothing to explain: the longer alone)
//   s = C / (C - (T - A))     for max(A, C) < T < A + C
// and where rate 1 cannot explain the row (T >= A + C: no overlap at all) it is
// fit_interference's reading with s = T / A. s grows without bound as T nears A + C, so a
// row whose excess is within attention's own noise gives a noisy s.
Interference fit_copy_engine_interference(double attn_ms, double comm_ms, double both_ms);

}  // namespace cpb
