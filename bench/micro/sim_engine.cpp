// Time of simulate() for one point of P=512 ranks, S=2M tokens (2097152), H=Hkv=4096 heads,
// D=128, bf16, full mask, per schedule, with constant costs: attention at 400 TFLOP/s,
// copies and merges 0.01 ms each; links of 8 GPUs per node, 150 GB/s inside a node,
// 50 GB/s per NIC. The "skewed" variant makes attention of rank r (r mod 61) per mille
// slower, so ranks end at 61 different times: many more instants and fair-share solves.
// Building the 512 plans is timed apart (counter plan_build_s); one iteration each.
// Counters: steps of all ranks, instants (events), fair-share solves and the simulated
// makespan. docs/SIMULATOR.md gives the command and the figures.
#include <benchmark/benchmark.h>

#include <chrono>
#include <variant>

#include "bench/schedule.hpp"
#include "bench/sim/sim_engine.hpp"

namespace cpb {
namespace {

struct Shape {
  const char* schedule;
  int chunks;   // hcms
  int usp_u;    // usp
  bool skewed;  // attention cost differs across ranks
};

SimLinks p512_links() {
  SimLinks l;
  l.gpus_per_node = 8;
  l.intra_gbps = 150;
  l.inter_gbps = 50;
  l.latency_us = 10;
  l.inter_latency_us = 5;
  l.per_message_us = 2;
  l.comm_rate_beside_attention = 0.8;
  l.inter_rate_beside_attention = 0;
  l.attention_slowdown = 1.1;
  l.act_bytes = 2;
  return l;
}

// [ms]
ComputeCost constant_costs(bool skewed) {
  return [skewed](const Plan& plan, const Step& s) {
    if (s.kind() != OpKind::Attention) return 0.01;
    const double skew = skewed ? 1 + 0.001 * (plan.rank % 61) : 1.0;
    return attention_flops(std::get<AttentionOp>(s.op)) / 4e11 * skew;
  };
}

void sim_p512(benchmark::State& state, Shape shape) {
  Problem p;
  p.P = 512;
  p.S = 2097152;
  p.H = p.Hkv = 4096;
  p.D = 128;
  p.dtype = DType::BF16;
  p.chunks = shape.chunks;
  p.usp_u = shape.usp_u;
  const Schedule* s = find_schedule(shape.schedule);
  if (s == nullptr || s->unsupported(p)) {
    state.SkipWithError("schedule missing or problem unsupported");
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Plan> plans;
  size_t steps = 0;
  for (int r = 0; r < p.P; ++r) {
    plans.push_back(s->plan(p, r));
    steps += plans.back().steps.size();
  }
  const std::chrono::duration<double> build = std::chrono::steady_clock::now() - t0;
  SimResult res;
  for (auto _ : state) res = simulate(plans, p512_links(), constant_costs(shape.skewed));
  state.counters["plan_build_s"] = build.count();
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["events"] = static_cast<double>(res.events);
  state.counters["rate_solves"] = static_cast<double>(res.rate_solves);
  state.counters["makespan_ms"] = res.makespan_ms;
}

#define CPB_SIM_P512(name, shape) \
  BENCHMARK_CAPTURE(sim_p512, name, shape)->Iterations(1)->Unit(benchmark::kMillisecond)
CPB_SIM_P512(ulysses, (Shape{"ulysses", 1, 0, false}));
CPB_SIM_P512(ring, (Shape{"ring", 1, 0, false}));
CPB_SIM_P512(zigzag_ring, (Shape{"zigzag_ring", 1, 0, false}));
CPB_SIM_P512(usp_u8, (Shape{"usp", 1, 8, false}));
CPB_SIM_P512(hcms_c8, (Shape{"hcms", 8, 0, false}));
CPB_SIM_P512(ring_skewed, (Shape{"ring", 1, 0, true}));
CPB_SIM_P512(hcms_c8_skewed, (Shape{"hcms", 8, 0, true}));

}  // namespace
}  // namespace cpb
