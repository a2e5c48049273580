#include "bench/probe/probe_runner.hpp"

#include <algorithm>
#include <vector>

#include "bench/sweep/first_reason.hpp"
#include "bench/sweep/measure.hpp"
#include "bench/probe/probe_metrics.hpp"

namespace cpb {
namespace {

template <class T>
bool offers(const std::vector<T>& all, const std::optional<T>& one) {
  return one && std::find(all.begin(), all.end(), *one) != all.end();
}

Stats time_plan(ProbeContext& ctx, const Problem& p, const Plan& plan, const RunOptions& opt) {
  return measure_plan(ctx.runtime, p, plan, opt, ctx.measure, ctx.mpi.world()).stats;
}

}  // namespace

nlohmann::json probe_transport(ProbeContext& ctx, const Problem& p, int64_t peer_elems, const std::string& transport) {
  const std::string rt = ctx.runtime.name();
  const std::optional<TransportKind> kind = parse_transport(transport);
  const std::optional<Profile> profile = parse_profile(ctx.profile);
  if (!offers(ctx.runtime.transports(), kind))
    return probe_skipped_row(transport, "transport " + transport + " is not available on the " + rt + " runtime");
  if (!offers(ctx.runtime.profiles(), profile))
    return probe_skipped_row(transport, "profile " + ctx.profile + " is not available on the " + rt + " runtime");
  RunOptions opt;
  opt.transport = *kind;
  opt.profile = *profile;
  if (const Reason why = first_reason(ctx.runtime.unsupported(p, opt), ctx.mpi))
    return probe_skipped_row(transport, *why);

  const int rank = ctx.mpi.rank();
  const Plan both = probe_plan(p, peer_elems, rank, ProbePart::Both, ctx.first);
  if (const Reason why_plan = first_reason(ctx.runtime.unsupported_plan(p, both, opt), ctx.mpi))
    return probe_skipped_row(transport, *why_plan);

  ProbeMeasurement m;
  m.attn = time_plan(ctx, p, probe_plan(p, peer_elems, rank, ProbePart::Attention), opt);
  m.comm = time_plan(ctx, p, probe_plan(p, peer_elems, rank, ProbePart::Exchange), opt);
  m.both = time_plan(ctx, p, both, opt);
  m.bytes_per_rank = plan_send_bytes(both, dtype_bytes(p.dtype));
  return probe_row(transport, m);
}

}  // namespace cpb
