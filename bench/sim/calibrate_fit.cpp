#include "bench/sim/calibrate_fit.hpp"

#include <algorithm>
#include <cmath>

#include "base/usage_error.hpp"

namespace cpb {

AlphaBeta fit_alpha_beta(const std::vector<CommSample>& samples, const std::string& what) {
  if (samples.empty()) throw UsageError(what + ": no timed sample to fit");
  // Normal equations of min sum (ms - a n - b x)^2 with n = instances, x = bytes.
  double nn = 0, nx = 0, xx = 0, nt = 0, xt = 0;
  for (const CommSample& s : samples) {
    const double n = s.instances;
    nn += n * n;
    nx += n * s.bytes;
    xx += s.bytes * s.bytes;
    nt += n * s.ms;
    xt += s.bytes * s.ms;
  }
  const double det = nn * xx - nx * nx;
  double a = 0, b = xt / xx;  // through the origin
  if (det > 1e-12 * nn * xx) {
    const double a_ls = (xx * nt - nx * xt) / det;
    const double b_ls = (nn * xt - nx * nt) / det;
    if (a_ls >= 0) {
      a = a_ls;
      b = b_ls;
    }
  }
  if (!(b > 0) || !std::isfinite(b))
    throw UsageError(what + ": the times do not grow with the bytes (slope " + std::to_string(b) +
                     " ms per byte); no bandwidth can be fitted");
  return AlphaBeta{a * 1e3, 1e-6 / b};  // ms -> us; bytes/ms -> GB/s
}

BandwidthModel fit_bandwidth(const std::vector<CommSample>& samples, const std::string& what) {
  const AlphaBeta f = fit_alpha_beta(samples, what);
  return BandwidthModel{f.latency_us, f.gbps};
}

Interference fit_interference(double attn_ms, double comm_ms, double both_ms, double attn_slowdown) {
  Interference r;
  r.attention_slowdown = std::max(1.0, attn_slowdown);
  if (comm_ms > 0) {
    const double busy = attn_ms * attn_slowdown;
    r.rate_beside_attention = std::clamp((busy + comm_ms - both_ms) / busy, 0.0, 1.0);
  }
  return r;
}

Interference fit_copy_engine_interference(double attn_ms, double comm_ms, double both_ms) {
  if (both_ms <= std::max(attn_ms, comm_ms)) return Interference{1, 1};
  const double excess = both_ms - attn_ms;
  if (excess < comm_ms) return Interference{1, comm_ms / (comm_ms - excess)};
  return fit_interference(attn_ms, comm_ms, both_ms, both_ms / attn_ms);
}

}  // namespace cpb
