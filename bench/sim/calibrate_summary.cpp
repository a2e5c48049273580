#include "bench/sim/calibrate_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>

#include "kernels/attention_flops.hpp"

namespace cpb {
namespace {

std::string format(const char* fmt, double a, double b) {
  char text[160];
  std::snprintf(text, sizeof text, fmt, a, b);
  return text;
}

void print_kernels(const MachineModel& m, std::ostream& out) {
  struct Range {
    int samples = 0;
    double lo = 1e300, hi = 0;  // [TFLOP/s]
  };
  std::map<std::tuple<int, bool, DType>, Range> classes;
  for (const KernelSample& s : m.attention) {
    const double tflops =
        attention_tile_flops(1, s.q_tokens, s.k_tokens, s.heads, s.head_dim, s.causal) / s.ms * 1e-9;
    Range& r = classes[{s.head_dim, s.causal, s.dtype}];
    ++r.samples;
    r.lo = std::min(r.lo, tflops);
    r.hi = std::max(r.hi, tflops);
  }
  out << "attention: " << m.attention.size() << " samples\n";
  out << "  head_dim  mask    dtype  samples  TFLOP/s\n";
  for (const auto& [key, r] : classes) {
    const auto& [d, causal, dtype] = key;
    char line[128];
    std::snprintf(line, sizeof line, "  %8d  %-6s  %-5s  %7d  %.3g .. %.3g\n", d, causal ? "causal" : "full",
                  to_string(dtype), r.samples, r.lo, r.hi);
    out << line;
  }
}

}  // namespace

void print_machine_summary(const MachineModel& m, std::ostream& out) {
  out << "machine model \"" << m.name << "\"\n";
  print_kernels(m, out);
  out << format("copy:  %.3g us + bytes / %.4g GB/s\n", m.copy.launch_us, m.copy.gbps);
  out << format("merge: %.3g us + bytes / %.4g GB/s\n", m.merge.launch_us, m.merge.gbps);
  if (m.transports.empty()) {
    out << "transports: none (no --from file)\n";
    return;
  }
  out << "  transport  profile  latency_us   GB/s  rate_beside_attention  attention_slowdown\n";
  for (const TransportModel& t : m.transports) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-9s  %-7s  %10.3g  %5.4g  %21.3f  %18.3f\n", to_string(t.transport).c_str(),
                  to_string(t.profile).c_str(), t.latency_us, t.gbps, t.rate_beside_attention, t.attention_slowdown);
    out << line;
  }
}

}  // namespace cpb
