// Time of Schedule::plan() for one rank of a large problem (S=131072 tokens, H=40 heads,
// P=8 ranks, D=128), for every schedule and a few shapes: MHA and GQA, full and causal,
// HCMS chunk counts, USP degrees. Plans are built once per point outside the timed loop,
// so this bounds the set-up cost a sweep pays per point; counters give the plan's size.
#include <benchmark/benchmark.h>

#include "bench/schedule.hpp"

namespace cpb {
namespace {

struct Shape {
  const char* schedule;
  int Hkv;
  Mask mask;
  int chunks;          // hcms
  int usp_u;  // usp
};

void plan_time(benchmark::State& state, Shape shape) {
  Problem p;
  p.P = 8;
  p.S = 131072;
  p.H = 40;
  p.Hkv = shape.Hkv;
  p.D = 128;
  p.B = 1;
  p.mask = shape.mask;
  p.chunks = shape.chunks;
  p.usp_u = shape.usp_u;
  const Schedule* s = find_schedule(shape.schedule);
  if (s == nullptr || s->unsupported(p)) {
    state.SkipWithError("schedule missing or problem unsupported");
    return;
  }
  const int rank = p.P - 1;  // under the causal mask the last rank has the most tiles
  size_t steps = 0, buffers = 0;
  for (auto _ : state) {
    Plan plan = s->plan(p, rank);
    steps = plan.steps.size();
    buffers = plan.buffers.size();
    benchmark::DoNotOptimize(plan);
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["buffers"] = static_cast<double>(buffers);
}

BENCHMARK_CAPTURE(plan_time, ulysses_mha_full, Shape{"ulysses", 40, Mask::Full, 1, 0});
BENCHMARK_CAPTURE(plan_time, ulysses_gqa8_causal, Shape{"ulysses", 8, Mask::Causal, 1, 0});
BENCHMARK_CAPTURE(plan_time, hcms_c2_mha_full, Shape{"hcms", 40, Mask::Full, 2, 0});
BENCHMARK_CAPTURE(plan_time, hcms_c5_mha_causal, Shape{"hcms", 40, Mask::Causal, 5, 0});
BENCHMARK_CAPTURE(plan_time, hcms_c4_gqa8_full, Shape{"hcms", 8, Mask::Full, 4, 0});
BENCHMARK_CAPTURE(plan_time, ring_mha_full, Shape{"ring", 40, Mask::Full, 1, 0});
BENCHMARK_CAPTURE(plan_time, ring_gqa8_causal, Shape{"ring", 8, Mask::Causal, 1, 0});
BENCHMARK_CAPTURE(plan_time, zigzag_ring_mha_causal, Shape{"zigzag_ring", 40, Mask::Causal, 1, 0});
BENCHMARK_CAPTURE(plan_time, zigzag_ring_gqa8_full, Shape{"zigzag_ring", 8, Mask::Full, 1, 0});
BENCHMARK_CAPTURE(plan_time, usp_u2_mha_causal, Shape{"usp", 40, Mask::Causal, 1, 2});
BENCHMARK_CAPTURE(plan_time, usp_u4_gqa8_full, Shape{"usp", 8, Mask::Full, 1, 4});

}  // namespace
}  // namespace cpb
