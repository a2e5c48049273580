#include "bench/sweep/measure.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"
#include "comm/mpi_session.hpp"
#include "comm/watchdog.hpp"

namespace cpb {
namespace {

// Collective over `comm`: every rank's state combined, the same on every rank.
GpuState allgather_gpu_state(const GpuState& mine, MPI_Comm comm) {
  int size = 1;
  CPB_MPI_CHECK(MPI_Comm_size(comm, &size));
  const std::vector<double> packed = pack_gpu_state(mine);
  std::vector<double> all(static_cast<size_t>(size) * kPackedGpuStateSize);
  CPB_MPI_WAIT(MPI_Allgather, packed.data(), kPackedGpuStateSize, MPI_DOUBLE, all.data(), kPackedGpuStateSize,
               MPI_DOUBLE, comm);
  std::vector<GpuState> states;
  for (int r = 0; r < size; ++r)
    states.push_back(unpack_gpu_state(all.data() + static_cast<size_t>(r) * kPackedGpuStateSize));
  return combine_gpu_states(states);
}

}  // namespace

Measurement measure(Executor& exec, const MeasureSettings& settings, MPI_Comm comm) {
  Measurement m;
  double slowest_warmup = 0, warmup_total = 0;
  // Every rank sees the same maxima, so every rank runs the same number of warm-ups.
  while (m.warmup < settings.warmup || (warmup_total < settings.warmup_ms && m.warmup < kMaxTimedWarmupRuns)) {
    const double t = allreduce_max(exec.run(nullptr), comm);
    slowest_warmup = std::max(slowest_warmup, t);
    warmup_total += t;
    ++m.warmup;
  }
  int n = settings.iterations;
  if (slowest_warmup > 0) {
    const double fit = std::floor(settings.max_seconds * 1e3 / slowest_warmup);
    if (fit < n) n = std::max(settings.min_iterations, static_cast<int>(fit));
  }
  m.samples.reserve(static_cast<size_t>(n));
  GpuStateSampler* sampler = exec.gpu_state_sampler();
  if (sampler) sampler->start();
  for (int i = 0; i < n; ++i) m.samples.push_back(allreduce_max(exec.run(nullptr), comm));
  if (sampler) m.gpu_state = allgather_gpu_state(summarize_gpu_samples(sampler->stop()), comm);
  m.stats = summarize(m.samples);
  return m;
}

Measurement measure_plan(Runtime& runtime, const Problem& p, const Plan& plan, const RunOptions& opt,
                         const MeasureSettings& settings, MPI_Comm comm) {
  auto exec = runtime.prepare(p, plan, opt);
  return measure(*exec, settings, comm);
}

}  // namespace cpb
