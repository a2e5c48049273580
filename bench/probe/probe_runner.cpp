#include "bench/probe/probe_runner.hpp"

#include <algorithm>
#include <vector>

#include "bench/sweep/first_reason.hpp"
#include "bench/sweep/measure.hpp"
#include "bench/probe/probe_metrics.hpp"

namespace cpb {
namespace {

bool offers(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Stats time_plan(ProbeContext& ctx, const Problem& p, const Plan& plan, const RunOptions& opt) {
  return measure_plan(ctx.runtime, p, plan, opt, ctx.measure, ctx.mpi.world()).stats;
}

}  // namespace

nlohmann::json probe_transport(ProbeContext& ctx, const Problem& p, int64_t peer_elems, const std::string& transport) {
  const std::string rt = ctx.runtime.name();
  if (!offers(ctx.runtime.transports(), transport))
    return probe_skipped_row(transport, "transport " + transport + " is not available on the " + rt + " runtime");
  if (!offers(ctx.runtime.profiles(), ctx.profile))
    return probe_skipped_row(transport, "profile " + ctx.profile + " is not available on the " + rt + " runtime");
  RunOptions opt;
  opt.transport = transport;
  opt.profile = ctx.profile;
  const std::string why = first_reason(ctx.runtime.unsupported(p, opt), ctx.mpi);
  if (!why.empty()) return probe_skipped_row(transport, why);

  const int rank = ctx.mpi.rank();
  const Plan both = probe_plan(p, peer_elems, rank, ProbePart::Both);
  const std::string why_plan = first_reason(ctx.runtime.unsupported_plan(p, both, opt), ctx.mpi);
  if (!why_plan.empty()) return probe_skipped_row(transport, why_plan);

  ProbeMeasurement m;
  m.attn = time_plan(ctx, p, probe_plan(p, peer_elems, rank, ProbePart::Attention), opt);
  m.comm = time_plan(ctx, p, probe_plan(p, peer_elems, rank, ProbePart::Exchange), opt);
  m.both = time_plan(ctx, p, both, opt);
  m.bytes_per_rank = plan_send_bytes(both, dtype_bytes(p.dtype));
  return probe_row(transport, m);
}

}  // namespace cpb
