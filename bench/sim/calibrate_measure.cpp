#include "bench/sim/calibrate_measure.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>

#include "base/out_of_memory.hpp"
#include "base/usage_error.hpp"
#include "bench/sim/calibrate_fit.hpp"
#include "bench/sim/calibrate_plans.hpp"
#include "bench/sim/machine_cost.hpp"
#include "kernels/attention_flops.hpp"

namespace cpb {
namespace {

constexpr int kMinRuns = 3;
constexpr int kMaxRuns = 20;
constexpr int kMaxSettleRuns = 100000;  // a bound on the settling runs of a shape that times near 0

double sample_flops(const KernelSample& s) {
  return attention_tile_flops(1, s.q_tokens, s.k_tokens, s.heads, s.head_dim, s.causal);
}

std::string describe(const KernelSample& s) {
  return "attention S=" + std::to_string(s.q_tokens) + " H=" + std::to_string(s.heads) +
         " Hkv=" + std::to_string(s.kv_heads) + " D=" + std::to_string(s.head_dim) + " " +
         (s.causal ? "causal" : "full") + " " + to_string(s.dtype);
}

bool same_curve(const KernelSample& a, const KernelSample& b) {
  return a.dtype == b.dtype && a.head_dim == b.head_dim && a.causal == b.causal && a.heads == b.heads &&
         a.kv_heads == b.kv_heads;
}

RunOptions one_rank_options(const Runtime& runtime) {
  RunOptions opt;
  opt.transport = runtime.transports().front();
  opt.align_start = false;  // one rank: nothing to align
  return opt;
}

// Why `plan` cannot run on the runtime, or none.
Reason refused(Runtime& runtime, const Problem& p, const Plan& plan, const RunOptions& opt) {
  if (Reason why = runtime.unsupported(p, opt)) return why;
  return runtime.unsupported_plan(p, plan, opt);
}

void log_line(const CalibrateContext& ctx, size_t i, size_t n, const std::string& what, const std::string& result) {
  if (!ctx.log) return;
  *ctx.log << "calibrate [" << i + 1 << "/" << n << "] " << what << ": " << result << "\n";
  ctx.log->flush();
}

// The shape timed [ms], or the reason it was not.
std::variant<double, std::string> time_attention(CalibrateContext& ctx, const KernelSample& s, double budget_ms,
                                                 double settle_ms) {
  const Problem p = calibrate_problem(s.q_tokens, s.heads, s.kv_heads, s.head_dim,
                                      s.causal ? Mask::Causal : Mask::Full, s.dtype);
  const Plan plan = attention_plan(p);
  const RunOptions opt = one_rank_options(ctx.runtime);
  if (const Reason why = refused(ctx.runtime, p, plan, opt)) return "skipped: " + *why;
  try {
    const std::unique_ptr<Executor> exec = ctx.runtime.prepare(p, plan, opt);
    exec->run(nullptr);
    const double ms = time_step(*exec, 0, budget_ms, settle_ms);
    if (!(ms > 0)) return std::string("skipped: it timed at 0 ms, below the timer's resolution");
    return ms;
  } catch (const OutOfMemory& e) {
    return std::string("skipped: ") + e.what();
  }
}

}  // namespace

double time_step(Executor& exec, int step, double budget_ms, double settle_ms) {
  const double first = exec.step_alone_ms(step);  // untimed: caches and clocks settle
  // Settling is bounded by wall time (host gaps between short runs count) and a run count.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;
       i < kMaxSettleRuns &&
       std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < settle_ms;
       ++i)
    exec.step_alone_ms(step);
  const double per_run = std::max(first, 1e-6);
  const int runs = std::clamp(static_cast<int>(std::ceil(budget_ms / per_run)), kMinRuns, kMaxRuns);
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) t.push_back(exec.step_alone_ms(step));
  std::nth_element(t.begin(), t.begin() + runs / 2, t.end());
  return t[static_cast<size_t>(runs / 2)];
}

std::vector<KernelSample> measure_attention(CalibrateContext& ctx, const CalibrateGrid& grid) {
  std::vector<KernelSample> out;
  const size_t n = grid.attention.size();
  for (size_t i = 0; i < n; ++i) {
    KernelSample s = grid.attention[i];
    if (!out.empty() && same_curve(out.back(), s)) {
      const double predicted = out.back().ms * sample_flops(s) / sample_flops(out.back());
      if (predicted > grid.cap_ms) {
        char text[96];
        std::snprintf(text, sizeof text, "skipped: predicted %.1f ms > cap %.0f ms", predicted, grid.cap_ms);
        log_line(ctx, i, n, describe(s), text);
        continue;
      }
    }
    const std::variant<double, std::string> r = time_attention(ctx, s, grid.budget_ms, grid.settle_ms);
    if (const std::string* why = std::get_if<std::string>(&r)) {
      log_line(ctx, i, n, describe(s), *why);
      continue;
    }
    s.ms = std::get<double>(r);
    char text[64];
    std::snprintf(text, sizeof text, "%.4g ms (%.4g TFLOP/s)", s.ms, sample_flops(s) / s.ms * 1e-9);
    log_line(ctx, i, n, describe(s), text);
    out.push_back(s);
  }
  return out;
}

BandwidthFits measure_bandwidth(CalibrateContext& ctx, const CalibrateGrid& grid) {
  std::vector<CommSample> copies, merges;
  const int act = dtype_bytes(grid.dtype);
  const size_t n = grid.bandwidth_tokens.size();
  for (size_t i = 0; i < n; ++i) {
    const Problem p = calibrate_problem(grid.bandwidth_tokens[i], grid.bandwidth_heads, grid.bandwidth_heads,
                                        grid.bandwidth_head_dim, Mask::Full, grid.dtype);
    const BandwidthPlan b = bandwidth_plan(p);
    const RunOptions opt = one_rank_options(ctx.runtime);
    if (const Reason why = refused(ctx.runtime, p, b.plan, opt))
      throw std::runtime_error("calibrate: the copy and merge plan of S=" + std::to_string(p.S) +
                               " cannot run: " + *why);
    const std::unique_ptr<Executor> exec = ctx.runtime.prepare(p, b.plan, opt);
    exec->run(nullptr);
    const Step& copy = b.plan.steps[static_cast<size_t>(b.copy_step)];
    const Step& merge = b.plan.steps[static_cast<size_t>(b.merge_step)];
    copies.push_back(
        {copy_bytes(b.plan, std::get<CopyOp>(copy.op), act), time_step(*exec, b.copy_step, grid.budget_ms), 1});
    merges.push_back(
        {merge_bytes(b.plan, std::get<MergeOp>(merge.op), act), time_step(*exec, b.merge_step, grid.budget_ms), 1});
    char text[96];
    std::snprintf(text, sizeof text, "copy %.4g ms, merge %.4g ms", copies.back().ms, merges.back().ms);
    log_line(ctx, i, n, "copy and merge S=" + std::to_string(p.S), text);
  }
  try {
    return BandwidthFits{fit_bandwidth(copies, "calibrate: the copy times"),
                         fit_bandwidth(merges, "calibrate: the merge times")};
  } catch (const UsageError& e) {
    throw std::runtime_error(e.what());  // a measurement, not the user's input
  }
}

}  // namespace cpb
