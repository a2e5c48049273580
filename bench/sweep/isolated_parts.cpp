#include "bench/sweep/isolated_parts.hpp"

#include <string>
#include <utility>

#include "base/out_of_memory.hpp"
#include "bench/sweep/comp_time_cache.hpp"
#include "bench/sweep/measure.hpp"
#include "bench/sweep/point_context.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {
namespace {

Measurement time_part(PointContext& ctx, const Problem& p, const Plan& plan, const RunOptions& opt) {
  return measure_plan(ctx.runtime, p, plan, opt, ctx.measure, ctx.mpi.world());
}

// Collective: the compute-only part `comp` into parts.comp_ms and parts.comp_samples, from
// ctx.comp_times when every rank has it for `round`. Returns the cache key when this call
// timed the part and the cache should keep it, "" otherwise.
std::string compute_only_time(PointContext& ctx, int round, const Problem& p, const Plan& comp, const RunOptions& opt,
                              RoundRecord& parts) {
  if (comp.steps.empty()) {
    parts.comp_ms = 0.0;
    return "";
  }
  std::string key;
  if (ctx.comp_times) {
    key = CompTimeCache::key(p, comp, opt);
    const CompTimeCache::Entry* seen = ctx.comp_times->find(round, key);
    if (!allreduce_or(seen == nullptr, ctx.mpi.world())) {
      parts.comp_ms = seen->ms;
      parts.comp_samples = seen->samples;
      parts.comp_ms_from = seen->point;
      return "";
    }
  }
  const Measurement m = time_part(ctx, p, comp, opt);
  parts.comp_ms = m.stats.p50;
  parts.comp_samples = m.samples;
  return key;
}

}  // namespace

void time_isolated_parts(PointContext& ctx, int round, int index, const Problem& p, const Plan& plan,
                         const RunOptions& opt, RoundRecord& out) {
  const Plan comp = filter_steps(plan, [](const Step& s) { return !s.is_comm(); });
  const Plan comm = filter_steps(plan, [](const Step& s) { return s.is_comm(); });
  RoundRecord parts;
  std::string key;
  try {
    key = compute_only_time(ctx, round, p, comp, opt, parts);
    if (comm.steps.empty()) {
      parts.comm_ms = 0.0;
    } else {
      const Measurement m = time_part(ctx, p, comm, opt);
      parts.comm_ms = m.stats.p50;
      parts.comm_samples = m.samples;
    }
  } catch (const OutOfMemory&) {
    return;  // every rank throws together (Runtime::prepare): the round keeps its loop, without parts
  }
  if (!key.empty()) ctx.comp_times->put(round, key, CompTimeCache::Entry{*parts.comp_ms, parts.comp_samples, index});
  out.comp_ms = parts.comp_ms;
  out.comp_samples = std::move(parts.comp_samples);
  out.comp_ms_from = parts.comp_ms_from;
  out.comm_ms = parts.comm_ms;
  out.comm_samples = std::move(parts.comm_samples);
}

}  // namespace cpb
