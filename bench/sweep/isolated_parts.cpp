#include "bench/sweep/isolated_parts.hpp"

#include <string>

#include "bench/sweep/comp_time_cache.hpp"
#include "bench/sweep/measure.hpp"
#include "bench/sweep/point_runner.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {
namespace {

Measurement time_part(PointContext& ctx, const Problem& p, const Plan& plan, const RunOptions& opt) {
  return measure_plan(ctx.runtime, p, plan, opt, ctx.measure, ctx.mpi.world());
}

// Collective: the compute-only part `comp` into out.comp_ms and out.comp_samples.
void compute_only_time(PointContext& ctx, int round, int index, const Problem& p, const Plan& comp,
                       const RunOptions& opt, RoundRecord& out) {
  if (comp.steps.empty()) {
    out.comp_ms = 0.0;
    return;
  }
  if (!ctx.comp_times) {
    const Measurement m = time_part(ctx, p, comp, opt);
    out.comp_ms = m.stats.p50;
    out.comp_samples = m.samples;
    return;
  }
  const std::string key = CompTimeCache::key(p, comp, opt);
  const CompTimeCache::Entry* seen = ctx.comp_times->find(round, key);
  if (!allreduce_or(seen == nullptr, ctx.mpi.world())) {
    out.comp_ms = seen->ms;
    out.comp_samples = seen->samples;
    out.comp_ms_from = seen->point;
    return;
  }
  const Measurement m = time_part(ctx, p, comp, opt);
  ctx.comp_times->put(round, key, CompTimeCache::Entry{m.stats.p50, m.samples, index});
  out.comp_ms = m.stats.p50;
  out.comp_samples = m.samples;
}

}  // namespace

void time_isolated_parts(PointContext& ctx, int round, int index, const Problem& p, const Plan& plan,
                         const RunOptions& opt, RoundRecord& out) {
  const Plan comp = filter_steps(plan, [](const Step& s) { return !s.is_comm(); });
  const Plan comm = filter_steps(plan, [](const Step& s) { return s.is_comm(); });
  compute_only_time(ctx, round, index, p, comp, opt, out);
  if (comm.steps.empty()) {
    out.comm_ms = 0.0;
    return;
  }
  const Measurement m = time_part(ctx, p, comm, opt);
  out.comm_ms = m.stats.p50;
  out.comm_samples = m.samples;
}

}  // namespace cpb
