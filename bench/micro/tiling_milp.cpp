// Solve time of the tiling MILP (bench/tiling/tiling_milp.hpp) on UltraAttn's strided
// pattern: n equal blocks in 4 diagonal groups of n / 4, a cell full iff its blocks share
// a group and lie fewer than 3n / 16 apart in it (n = 16: groups of 4, a band of 3; about
// 22% of the cells at any n), P ranks owning contiguous blocks (block b on b P / n),
// S = 128K tokens, 8 heads of 128 (bf16 Q, K, V; an fp32 LSE per head with the partial O),
// balance 0.05. Cases: P = 8, n = 16 with a 10 s limit; P = 64, n = 64 with 60 s; one
// thread, warm-started from the greedy. One iteration each; the label is HiGHS's status.
// Counters: the greedy's and the MILP's objective and HiGHS's bound [MB], the gap, tiles.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "bench/tiling/tiling_milp.hpp"

namespace cpb {
namespace {

TilingProblem strided(int ranks, int blocks) {
  const double tokens = 131072.0 / blocks, q_per_token = 8 * 128 * 2, lse_per_token = 8 * 4;
  TilingProblem p;
  p.ranks = ranks;
  for (int b = 0; b < blocks; ++b) {
    p.owner.push_back(b * ranks / blocks);
    p.q_bytes.push_back(tokens * q_per_token);
    p.kv_bytes.push_back(2 * tokens * q_per_token);
    p.o_bytes.push_back(tokens * (q_per_token + lse_per_token));
  }
  const int group = blocks / 4, band = 3 * blocks / 16;
  for (int i = 0; i < blocks; ++i)
    for (int j = 0; j < blocks; ++j)
      if (i / group == j / group && std::abs(i % group - j % group) < band) p.tiles.push_back({i, j, tokens * tokens});
  return p;
}

void tiling_milp(benchmark::State& state, int ranks, int blocks, double limit_s) {
  const TilingProblem p = strided(ranks, blocks);
  const TilingSolution greedy = solve_greedy(p);
  MilpOptions opt;
  opt.time_limit_s = limit_s;
  TilingSolution s;
  for (auto _ : state) s = solve_milp(p, opt, greedy);
  state.SetLabel(s.status);
  state.counters["tiles"] = static_cast<double>(p.tiles.size());
  state.counters["greedy_MB"] = greedy.objective / 1e6;
  state.counters["objective_MB"] = s.objective / 1e6;
  state.counters["bound_MB"] = s.bound / 1e6;
  state.counters["gap"] = s.gap;
}

BENCHMARK_CAPTURE(tiling_milp, strided_p8, 8, 16, 10.0)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(tiling_milp, strided_p64, 64, 64, 60.0)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace cpb
