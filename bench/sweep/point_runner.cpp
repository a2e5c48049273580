#include "bench/sweep/point_runner.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "base/fnv1a.hpp"
#include "base/out_of_memory.hpp"
#include "bench/schedule.hpp"
#include "bench/schedules/hcms_chunks_auto.hpp"
#include "bench/sweep/first_reason.hpp"
#include "bench/sweep/git_commit.hpp"
#include "bench/sweep/isolated_parts.hpp"
#include "bench/sweep/measure.hpp"
#include "bench/sweep/output_digest.hpp"
#include "bench/sweep/round_summary.hpp"
#include "bench/sweep/step_timed_runs.hpp"
#include "bench/sweep/trace_capture.hpp"
#include "comm/oom_agreement.hpp"

namespace cpb {
namespace {

RunOptions run_options(const Point& point, const MeasureSettings& measure) {
  RunOptions opt;
  opt.transport = *point.transport;  // resolved by resolve_transport
  opt.profile = point.profile;
  opt.graph = measure.graph;
  opt.align_start = measure.align_start;
  opt.levers = point.levers;
  return opt;
}

// This rank's plan of `point` (its problem with chunks resolved, its transport named): the
// schedule's, or with step_order "list" ctx.order_steps's, whose plans of every rank and
// decision go to *ordered (untouched otherwise).
Plan point_plan(PointContext& ctx, const Point& point, OrderedPlans* ordered) {
  if (!point.levers.list_order) return find_schedule(point.schedule)->plan(point.problem, ctx.mpi.rank());
  if (!ctx.order_steps) throw std::logic_error("step_order list without a step orderer (run checks --machine first)");
  *ordered = ctx.order_steps(point);
  return ctx.list_plans[point.index] = ordered->plans.at(static_cast<size_t>(ctx.mpi.rank()));
}

// Whether `digest` is the same on every rank. Collective.
bool same_on_every_rank(double digest, MPI_Comm world) {
  return allreduce_min(digest, world) == allreduce_max(digest, world);
}

// Why the ranks' list orders of a point differ, or none: each rank orders every rank's
// plans from its own --machine file; a digest of the decision (which order, both
// predictions) must be the same on all. Collective.
Reason order_disagreement(const OrderedPlans& ordered, MPI_Comm world) {
  const std::string text = ordered.step_order.dump();
  const double digest = static_cast<double>(fnv1a64_text(text) >> 12);  // 52 bits: exact in a double
  if (same_on_every_rank(digest, world)) return std::nullopt;
  return std::string(
      "the ranks ordered the steps differently (step_order \"list\": are the --machine files the "
      "same on every node?)");
}

// What the runs on the point's own executor give: the verified run, the timed loop and
// the step-timed runs, in that order.
struct ExecutorRuns {
  VerifyResult verify;
  uint64_t output_hash = 0;  // fnv1a64 of this rank's output after the verified run
  std::vector<unsigned char> output;  // those bytes, kept when the schedule has a bitwise reference
  Measurement timed;
  StepTimedResult step_timed;
  std::optional<double> memory_bytes;  // the executor's Executor::memory_bytes() [bytes]
  bool reproducible = true;            // Executor::bitwise_reproducible() on every rank
};

// Collective. `point` carries the problem the plan was made for (chunks resolved), for
// the trace; `ordered`, every rank's plan when they are not the schedule's.
ExecutorRuns run_executor(PointContext& ctx, const Point& point, const Schedule& sched, const Plan& plan,
                          const OrderedPlans& ordered, const RunOptions& opt) {
  ExecutorRuns runs;
  auto exec = ctx.runtime.prepare(point.problem, plan, opt);
  runs.memory_bytes = exec->memory_bytes();
  runs.reproducible = !allreduce_or(!exec->bitwise_reproducible(), ctx.mpi.world());
  // 1. One run, verified (outside any timing).
  exec->run(nullptr);
  // verify() allocates its scratch; the ranks agree on an OutOfMemory before the next run.
  runs.verify = agree_on_oom(ctx.mpi.world(), [&] { return exec->verify(ctx.measure.verify); });
  {  // the output copy lives through the timed loop only when the bitwise check needs it
    std::vector<unsigned char> out = exec->output_bytes();
    runs.output_hash = fnv1a64(out);
    if (!sched.bitwise_reference(point.problem).empty()) runs.output = std::move(out);
  }
  // 2. The timed loop. 3. Runs with per-step times (step_timed_runs.hpp).
  runs.timed = measure(*exec, ctx.measure, ctx.mpi.world());
  runs.step_timed = run_step_timed(*exec, plan, runs.timed.samples.size(), ctx.mpi.world());
  if (!ctx.trace_dir.empty())
    write_point_trace(ctx.trace_dir, point, runs.step_timed.steps, ctx.mpi,
                      ordered.plans.empty() ? nullptr : &ordered.plans);
  return runs;
}

// PASS unless a check fails; the reasons of the failed checks, "; "-separated.
struct Verdict {
  bool pass = true;
  std::string reason;
  void fail(const std::string& why) {
    pass = false;
    reason = reason.empty() ? why : reason + "; " + why;
  }
};

// Collective: the verified run over all ranks, its error against the tolerance (not
// with verify "off") and the output digest.
VerifyRecord verify_record(PointContext& ctx, const ExecutorRuns& runs, Verdict& verdict) {
  MPI_Comm world = ctx.mpi.world();
  VerifyRecord v;
  v.max_abs_err = allreduce_max(runs.verify.max_abs_err, world);
  v.tolerance = allreduce_min(runs.verify.tolerance, world);
  v.checked = allreduce_sum(static_cast<double>(runs.verify.checked), world);
  v.mode = to_string(ctx.measure.verify);
  const bool nonfinite = allreduce_or(runs.verify.nonfinite, world);
  v.output_digest = output_digest(runs.output_hash, world);
  // Every rank verifies the same gradients (the problem's pass), in the same order.
  std::vector<bool> grad_nonfinite;
  for (const TensorVerify& t : runs.verify.gradients) {
    v.gradients.push_back(GradientVerify{t.tensor, allreduce_max(t.max_abs_err, world),
                                         allreduce_min(t.tolerance, world),
                                         allreduce_sum(static_cast<double>(t.checked), world)});
    grad_nonfinite.push_back(allreduce_or(t.nonfinite, world));
  }
  if (ctx.measure.verify == VerifyMode::Off) return v;
  if (nonfinite) verdict.fail("output has NaN or Inf");
  else if (!(v.max_abs_err <= v.tolerance)) verdict.fail("max abs error above tolerance");
  for (size_t i = 0; i < v.gradients.size(); ++i) {
    const GradientVerify& g = v.gradients[i];
    if (grad_nonfinite[i]) verdict.fail(g.tensor + " has NaN or Inf");
    else if (!(g.max_abs_err <= g.tolerance)) verdict.fail(g.tensor + " max abs error above tolerance");
  }
  return v;
}

// Collective: 4. bitwise equality with the schedule's reference (hcms against ulysses),
// whatever the verify mode.
void check_bitwise(PointContext& ctx, const Schedule& sched, const Problem& p, const RunOptions& opt,
                   const std::vector<unsigned char>& output, VerifyRecord& v, Verdict& verdict) {
  const std::string ref_name = sched.bitwise_reference(p);
  if (ref_name.empty()) return;
  v.bitwise_equal_to = ref_name;
  const Schedule* ref = find_schedule(ref_name);
  if (ref->unsupported(p)) return;  // bitwise_equal stays null
  const Plan ref_plan = ref->plan(p, ctx.mpi.rank());
  if (first_reason(ctx.runtime.unsupported_plan(p, ref_plan, opt), ctx.mpi)) return;  // likewise
  std::unique_ptr<Executor> exec;
  try {
    exec = ctx.runtime.prepare(p, ref_plan, opt);
  } catch (const OutOfMemory&) {
    return;  // every rank throws together (Runtime::prepare); bitwise_equal stays null
  }
  exec->run(nullptr);
  const bool same_here = exec->output_bytes() == output;
  v.bitwise_equal = !allreduce_or(!same_here, ctx.mpi.world());
  if (!*v.bitwise_equal) verdict.fail("output differs bitwise from " + ref_name);
}

// A round with the timed loop `m` and no parts yet.
RoundRecord loop_round(const Measurement& m) {
  RoundRecord r;
  r.stats = m.stats;
  r.samples = m.samples;
  r.gpu_state = m.gpu_state;
  return r;
}

// Collective: the per-rank model figures as the job's busiest rank and totals, and the
// attention rates of the step-timed runs.
void add_model_figures(PointContext& ctx, const Schedule& sched, const Problem& p, const Plan& plan,
                       const ExecutorRuns& runs, PointRecord& r) {
  MPI_Comm world = ctx.mpi.world();
  const Model model = sched.model(p, ctx.mpi.rank());
  const double flops_total = allreduce_sum(model.flops, world);
  // Attention inside the plan (rank average of its attention steps' FLOPs over their
  // summed durations) against its largest attention step alone. Every rank joins both
  // reductions, with 0 where it has no attention step.
  const AttentionTime& attn = runs.step_timed.attention;
  const double alone_ms = runs.step_timed.alone_ms;
  const double in_plan = allreduce_sum(attn.ms > 0 ? attn.flops / (attn.ms * 1e-3) / 1e12 : 0, world) / p.P;
  const double alone =
      allreduce_sum(alone_ms > 0 ? attn.largest_flops / (alone_ms * 1e-3) / 1e12 : 0, world) / p.P;
  if (in_plan > 0) r.attn_tflops = in_plan;
  if (alone > 0) r.attn_standalone_tflops = alone;
  r.flops_per_rank_max = allreduce_max(model.flops, world);
  r.comm_bytes_per_rank = allreduce_max(model.send_bytes, world);
  r.plan_steps = static_cast<int>(plan.steps.size()) - plan.timed_from;  // the timed steps, as simulate counts
  if (const nlohmann::json planned = sched.planner(p); !planned.is_null()) r.planner = planned;
  const double p50 = runs.timed.stats.p50;
  if (p50 > 0) r.tflops_per_gpu = flops_total / p.P / (p50 * 1e-3) / 1e12;
}

// Collective: the memory the ranks' plans hold (Executor::memory_bytes), the largest and
// the smallest over ranks; left absent when any rank's executor does not account it.
void add_memory(PointContext& ctx, const ExecutorRuns& runs, PointRecord& r) {
  const double mine = runs.memory_bytes.value_or(-1);  // -1: not accounted
  const double lo = allreduce_min(mine, ctx.mpi.world());
  const double hi = allreduce_max(mine, ctx.mpi.world());
  if (lo < 0) return;
  r.memory_bytes = hi;
  r.memory_bytes_min = lo;
}

}  // namespace

Reason resolve_transport(Point& point, const Runtime& runtime) {
  const std::string rt = runtime.name();
  const std::vector<TransportKind> transports = runtime.transports();
  if (!point.transport) point.transport = transports.front();
  if (std::find(transports.begin(), transports.end(), *point.transport) == transports.end())
    return "transport " + to_string(*point.transport) + " is not available on the " + rt + " runtime";
  const std::vector<Profile> profiles = runtime.profiles();
  if (std::find(profiles.begin(), profiles.end(), point.profile) == profiles.end())
    return "profile " + to_string(point.profile) + " is not available on the " + rt + " runtime";
  if (!point.skip_reason.empty()) return point.skip_reason;
  return std::nullopt;
}

void record_step_order(PointRecord& r, const nlohmann::json& step_order) {
  if (step_order.is_null()) return;
  if (!r.planner) r.planner = nlohmann::json::object();
  (*r.planner)["step_order"] = step_order;
}

bool timed_in_rounds(const PointRecord& r) { return r.status == "PASS" && r.time_ms && r.rounds; }

RoundRecord measure_round(const Point& in, const PointRecord& r, int round, PointContext& ctx) {
  Point point = in;
  if (const Reason why = resolve_transport(point, ctx.runtime))
    throw std::logic_error("measure_round: point " + std::to_string(point.index) + " cannot run: " + *why);
  if (r.chunks_chosen) point.problem.chunks = *r.chunks_chosen;
  const auto kept = ctx.list_plans.find(point.index);
  OrderedPlans ordered;
  const Plan plan =
      point.levers.list_order && kept != ctx.list_plans.end() ? kept->second : point_plan(ctx, point, &ordered);
  const RunOptions opt = run_options(point, ctx.measure);
  const Measurement m = measure_plan(ctx.runtime, point.problem, plan, opt, ctx.measure, ctx.mpi.world());
  RoundRecord out = loop_round(m);
  if (ctx.measure.isolate) time_isolated_parts(ctx, round, point.index, point.problem, plan, opt, out);
  return out;
}

PointRecord base_record(const Point& point, const std::string& runtime) {
  const Schedule* sched = find_schedule(point.schedule);
  if (!sched) throw std::logic_error("run_point: schedule " + point.schedule + " is not registered");
  PointRecord r;
  r.index = point.index;
  r.schedule = point.schedule;
  r.params = point.params();
  r.runtime = runtime;
  r.git = record_commit(build_commit());
  r.options = sched->option_axes();
  return r;
}

PointRecord skipped_record(const Point& point, const std::string& runtime, const std::string& reason) {
  PointRecord r = base_record(point, runtime);
  r.status = "SKIPPED";
  r.reason = reason;
  return r;
}

namespace {

// Why the ranks' plans cannot match, or none: every rank plans on its own, and a schedule
// whose plans follow a solved assignment reports its digest (`planned`, the schedule's
// planner(): "assignment_digest"), which must be the same on every rank. Collective.
Reason plan_disagreement(const nlohmann::json& planned, MPI_Comm world) {
  const bool has = planned.is_object() && planned.contains("assignment_digest");
  const double digest = has ? planned["assignment_digest"].get<double>() : 0.0;
  if (same_on_every_rank(digest, world)) return std::nullopt;
  return std::string("the ranks planned different tile assignments (the tiling cache of another build on some "
                     "nodes? set CPB_TILING_CACHE to one shared directory, or to off; docs/CONFIG.md, "
                     "\"Environment\")");
}

// A point the ranks could not agree on: FAILED with `why`, and this rank's `planner`.
PointRecord failed_record(const Point& point, const std::string& runtime, const std::string& why,
                          nlohmann::json planner) {
  PointRecord r = base_record(point, runtime);
  r.status = "FAILED";
  r.reason = why;
  r.planner = std::move(planner);
  return r;
}

// run_point, but for an OutOfMemory, which leaves it on every rank together.
PointRecord run_point_or_throw_oom(const Point& in, PointContext& ctx) {
  const std::string rt = ctx.runtime.name();
  Point point = in;
  if (const Reason why = resolve_transport(point, ctx.runtime)) return skipped_record(point, rt, *why);
  const Schedule& sched = *find_schedule(point.schedule);
  const RunOptions opt = run_options(point, ctx.measure);
  // A runtime limit (free memory) can differ between ranks: all skip if one must.
  if (const Reason why = first_reason(ctx.runtime.unsupported(point.problem, opt), ctx.mpi))
    return skipped_record(point, rt, *why);
  Point resolved = point;  // with chunks "auto", `chunks` is the calibration's choice
  const std::optional<ChunkCalibration> calibration = resolve_auto_chunks(
      ctx.runtime, sched, resolved.problem, opt, ctx.measure, ctx.mpi.world(), ctx.mpi.rank());
  const Problem& p = resolved.problem;
  OrderedPlans ordered;  // with step_order "list"
  const Plan plan = point_plan(ctx, resolved, &ordered);
  if (point.levers.list_order)
    if (const Reason why = order_disagreement(ordered, ctx.mpi.world()))
      return failed_record(point, rt, *why, nlohmann::json{{"step_order", ordered.step_order}});
  if (nlohmann::json planned = sched.planner(p); const Reason why = plan_disagreement(planned, ctx.mpi.world()))
    return failed_record(point, rt, *why, std::move(planned));  // with what this rank's tiling cache did
  // Limits that need the plan (exact memory, tiles the attention kernel cannot run).
  if (const Reason why = first_reason(ctx.runtime.unsupported_plan(p, plan, opt), ctx.mpi))
    return skipped_record(point, rt, *why);
  PointRecord r = base_record(point, rt);
  if (calibration) {
    r.chunks_chosen = p.chunks;
    r.chunks_fit = calibration->to_json();
  }
  const ExecutorRuns runs = run_executor(ctx, resolved, sched, plan, ordered, opt);
  Verdict verdict;
  r.verify = verify_record(ctx, runs, verdict);
  // An output that is not reproducible bit for bit has nothing to compare bitwise
  // (bitwise_equal_to absent).
  if (runs.reproducible) check_bitwise(ctx, sched, p, opt, runs.output, *r.verify, verdict);
  r.status = verdict.pass ? "PASS" : "FAILED";
  if (!verdict.reason.empty()) r.reason = verdict.reason;
  r.warmup = runs.timed.warmup;
  RoundRecord first = loop_round(runs.timed);
  if (ctx.measure.isolate) time_isolated_parts(ctx, 1, point.index, p, plan, opt, first);
  add_round(r, std::move(first));
  add_model_figures(ctx, sched, p, plan, runs, r);
  add_memory(ctx, runs, r);
  record_step_order(r, ordered.step_order);
  return r;
}

}  // namespace

PointRecord run_point(const Point& in, PointContext& ctx) {
  try {
    return run_point_or_throw_oom(in, ctx);
  } catch (const OutOfMemory& e) {
    // Every rank is here (Runtime::prepare, agree_on_oom); the message of the lowest rank
    // that ran out is the reason on all.
    const Reason why = first_reason(e.on_this_rank() ? Reason(e.what()) : Reason(), ctx.mpi);
    Point point = in;
    resolve_transport(point, ctx.runtime);  // resolved, as it was when the point ran
    return skipped_record(point, ctx.runtime.name(), why.value_or(e.what()));
  }
}

}  // namespace cpb
