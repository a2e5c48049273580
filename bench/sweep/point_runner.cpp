#include "bench/sweep/point_runner.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "bench/schedules/hcms_chunks_auto.hpp"
#include "bench/sweep/first_reason.hpp"
#include "bench/sweep/measure.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/trace_capture.hpp"

namespace cpb {
namespace {

nlohmann::json base_record(const Point& point, const std::string& runtime) {
  nlohmann::json r;
  r["index"] = point.index;
  r["schedule"] = point.schedule;
  r["params"] = point.params();
  r["runtime"] = runtime;
  return r;
}

// Times `plan` alone (used for the compute-only and comm-only parts).
Stats time_part(PointContext& ctx, const Problem& p, const Plan& plan, const RunOptions& opt) {
  return measure_plan(ctx.runtime, p, plan, opt, ctx.measure, ctx.mpi.world()).stats;
}

// Collective: the compute-only part's time into r["comp_ms"], taken from an earlier point
// with the same compute-only part (r["comp_ms_from"] names it) when every rank has one,
// else timed and kept for the points after this one.
void compute_only_time(PointContext& ctx, const Point& point, const Problem& p, const Plan& comp,
                       const RunOptions& opt, nlohmann::json& r) {
  if (comp.steps.empty()) {
    r["comp_ms"] = 0.0;
    return;
  }
  if (!ctx.comp_times) {
    r["comp_ms"] = time_part(ctx, p, comp, opt).p50;
    return;
  }
  const std::string key = CompTimeCache::key(p, comp, opt);
  const CompTimeCache::Entry* seen = ctx.comp_times->find(key);
  if (!allreduce_or(seen == nullptr, ctx.mpi.world())) {
    r["comp_ms"] = seen->ms;
    r["comp_ms_from"] = seen->point;
    return;
  }
  const double ms = time_part(ctx, p, comp, opt).p50;
  ctx.comp_times->put(key, CompTimeCache::Entry{ms, point.index});
  r["comp_ms"] = ms;
}

struct AttentionTime {
  double ms = 0;      // summed durations of the attention steps of one run [ms]
  double flops = 0;   // their FLOPs
  AttentionOp largest;  // the tile with the most FLOPs
  int largest_step = -1;  // its step (the first such), -1 when the plan has no attention
};

AttentionTime attention_time(const Plan& plan, const std::vector<StepTime>& steps) {
  AttentionTime t;
  double most = -1;
  for (const StepTime& st : steps) {
    const Step& s = plan.steps.at(static_cast<size_t>(st.step));
    if (s.kind() != OpKind::Attention) continue;
    const AttentionOp& a = std::get<AttentionOp>(s.op);
    t.ms += st.end_ms - st.start_ms;
    t.flops += attention_flops(a);
    if (attention_flops(a) > most) {
      most = attention_flops(a);
      t.largest = a;
      t.largest_step = st.step;
    }
  }
  return t;
}

}  // namespace

size_t step_timed_runs(size_t timed_runs) { return std::clamp<size_t>(timed_runs / 2, 1, 5); }

nlohmann::json skipped_record(const Point& point, const std::string& runtime, const std::string& reason) {
  nlohmann::json r = base_record(point, runtime);
  r["status"] = "SKIPPED";
  r["reason"] = reason;
  return r;
}

nlohmann::json run_point(const Point& in, PointContext& ctx) {
  const std::string rt = ctx.runtime.name();
  Point point = in;
  const std::vector<TransportKind> transports = ctx.runtime.transports();
  if (!point.transport) point.transport = transports.front();
  if (std::find(transports.begin(), transports.end(), *point.transport) == transports.end())
    return skipped_record(point, rt,
                          "transport " + to_string(*point.transport) + " is not available on the " + rt + " runtime");
  const std::vector<Profile> profiles = ctx.runtime.profiles();
  if (std::find(profiles.begin(), profiles.end(), point.profile) == profiles.end())
    return skipped_record(point, rt,
                          "profile " + to_string(point.profile) + " is not available on the " + rt + " runtime");
  if (!point.skip_reason.empty()) return skipped_record(point, rt, point.skip_reason);

  const Schedule* sched = find_schedule(point.schedule);
  Problem p = point.problem;  // with chunks "auto", `chunks` is set by the calibration below
  RunOptions opt;
  opt.transport = *point.transport;
  opt.profile = point.profile;
  opt.graph = ctx.measure.graph;
  opt.align_start = ctx.measure.align_start;
  opt.levers = point.levers;
  // A runtime limit (free memory) can differ between ranks: all skip if one must.
  if (const Reason why = first_reason(ctx.runtime.unsupported(p, opt), ctx.mpi))
    return skipped_record(point, rt, *why);

  const int rank = ctx.mpi.rank();
  MPI_Comm world = ctx.mpi.world();
  std::optional<ChunkCalibration> calibration;
  if (p.chunks_auto) {  // time a few chunk counts, run at the one the fit picks (chunk_auto.hpp)
    calibration = calibrate_chunks(ctx.runtime, *sched, p, opt, ctx.measure, world, rank);
    p.chunks = calibration->chosen;
  }
  const Plan plan = sched->plan(p, rank);
  const Model model = sched->model(p, rank);
  // Limits that need the plan (exact memory, tiles the attention kernel cannot run).
  if (const Reason why_plan = first_reason(ctx.runtime.unsupported_plan(p, plan, opt), ctx.mpi))
    return skipped_record(point, rt, *why_plan);
  nlohmann::json r = base_record(point, rt);
  if (calibration) {
    r["chunks_chosen"] = p.chunks;
    r["chunks_fit"] = calibration->to_json();
  }

  // 1. One run, verified (outside any timing).
  std::vector<unsigned char> out_bytes;
  VerifyResult v;
  Measurement m;
  AttentionTime attn;
  double alone_ms = 0;  // [ms] median of the largest attention step run alone
  {
    auto exec = ctx.runtime.prepare(p, plan, opt);
    exec->run(nullptr);
    v = exec->verify(ctx.measure.verify);
    if (!sched->bitwise_reference().empty()) out_bytes = exec->output_bytes();
    // 2. The timed loop.
    m = measure(*exec, ctx.measure, world);
    // 3. Runs with per-step times: attention efficiency inside the plan and the timeline
    //    (when asked) from the run with the median attention time of the slowest rank,
    //    the same run on every rank, so that the ranks' timelines line up. After each
    //    run the largest attention step runs once more alone, on the same buffers: the
    //    kernel's speed outside the plan, measured in the same stretch of time (the GPUs
    //    of DEVICE.md run attention at their power limit, where the SM clock moves by
    //    10% within seconds) and on the same buffers.
    std::vector<std::vector<StepTime>> runs(step_timed_runs(m.samples.size()));
    std::vector<std::pair<double, size_t>> by_attention;
    std::vector<double> alone;  // [ms] the largest attention step alone, per run
    for (size_t i = 0; i < runs.size(); ++i) {
      exec->run(&runs[i]);
      const AttentionTime t = attention_time(plan, runs[i]);
      by_attention.emplace_back(allreduce_max(t.ms, world), i);
      if (t.largest_step >= 0) alone.push_back(exec->step_alone_ms(t.largest_step));
    }
    std::sort(by_attention.begin(), by_attention.end());
    const std::vector<StepTime>& steps = runs[by_attention[by_attention.size() / 2].second];
    attn = attention_time(plan, steps);
    std::sort(alone.begin(), alone.end());
    if (!alone.empty()) alone_ms = alone[alone.size() / 2];
    if (!ctx.trace_dir.empty()) write_point_trace(ctx.trace_dir, point, steps, ctx.mpi);
  }
  nlohmann::json verify;
  verify["max_abs_err"] = allreduce_max(v.max_abs_err, world);
  verify["tolerance"] = allreduce_min(v.tolerance, world);
  verify["checked"] = allreduce_sum(static_cast<double>(v.checked), world);
  verify["mode"] = to_string(ctx.measure.verify);
  const bool nonfinite = allreduce_or(v.nonfinite, world);
  bool pass = !nonfinite && verify["max_abs_err"].get<double>() <= verify["tolerance"].get<double>();
  std::string reason;
  if (nonfinite) reason = "output has NaN or Inf";
  else if (!pass) reason = "max abs error above tolerance";
  if (ctx.measure.verify == VerifyMode::Off) {
    pass = true;
    reason.clear();
  }

  // 4. Bitwise equality with the reference schedule (hcms against ulysses).
  const std::string ref_name = sched->bitwise_reference();
  if (!ref_name.empty()) {
    const Schedule* ref = find_schedule(ref_name);
    if (ref->unsupported(p)) {
      verify["bitwise_equal_to"] = ref_name;
      verify["bitwise_equal"] = nullptr;
    } else {
      auto exec = ctx.runtime.prepare(p, ref->plan(p, rank), opt);
      exec->run(nullptr);
      const bool same_here = exec->output_bytes() == out_bytes;
      const bool same = !allreduce_or(!same_here, world);
      verify["bitwise_equal_to"] = ref_name;
      verify["bitwise_equal"] = same;
      if (!same) {
        pass = false;
        reason = reason.empty() ? "output differs bitwise from " + ref_name : reason + "; output differs bitwise from " + ref_name;
      }
    }
  }
  r["verify"] = verify;
  r["status"] = pass ? "PASS" : "FAILED";
  if (!reason.empty()) r["reason"] = reason;
  r["time_ms"] = to_json(m.stats);
  r["warmup"] = m.warmup;

  // 5. The compute-only and comm-only parts, each timed alone.
  if (ctx.measure.isolate) {
    const Plan comp = filter_steps(plan, [](const Step& s) { return !s.is_comm(); });
    const Plan comm = filter_steps(plan, [](const Step& s) { return s.is_comm(); });
    compute_only_time(ctx, point, p, comp, opt, r);
    if (comm.steps.empty()) {
      r["comm_ms"] = 0.0;
    } else {
      const Stats comm_time = time_part(ctx, p, comm, opt);
      r["comm_ms"] = comm_time.p50;
      r["comm_time_ms"] = to_json(comm_time);  // its spread, as time_ms gives the point's
    }
  }

  // Per-rank model figures, as the job's busiest rank and totals.
  const double flops_total = allreduce_sum(model.flops, world);
  // Attention inside the plan (rank average of its attention steps' FLOPs over their
  // summed durations) against its largest attention step alone (step 3 above).
  // Every rank joins both reductions, with 0 where it has no attention step.
  const double in_plan = allreduce_sum(attn.ms > 0 ? attn.flops / (attn.ms * 1e-3) / 1e12 : 0, world) / p.P;
  const double alone =
      allreduce_sum(alone_ms > 0 ? attention_flops(attn.largest) / (alone_ms * 1e-3) / 1e12 : 0, world) / p.P;
  if (in_plan > 0) r["attn_tflops"] = in_plan;
  if (alone > 0) r["attn_standalone_tflops"] = alone;
  r["flops_per_rank_max"] = allreduce_max(model.flops, world);
  r["comm_bytes_per_rank"] = allreduce_max(model.send_bytes, world);
  r["plan_steps"] = static_cast<int>(plan.steps.size());
  if (m.stats.p50 > 0) r["tflops_per_gpu"] = flops_total / p.P / (m.stats.p50 * 1e-3) / 1e12;
  return r;
}

}  // namespace cpb
