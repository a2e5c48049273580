// run_point's attention figures against an executor with scripted step times:
// attn_tflops comes from the step-timed run whose attention time is the median, and
// attn_standalone_tflops from the median of the largest attention step run alone after
// each of those runs, with that step's FLOPs.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/sweep/point_runner.hpp"
#include "bench/schedule.hpp"
#include "tests/unit/mpi_test_session.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

// Runs nothing. A run without step times takes 10 ms; the k-th run with step times gives
// every attention step of the plan step_ms[k] [ms]; the k-th step run alone takes
// alone_ms[k] and records which step it was asked for.
class StepScriptExecutor final : public Executor {
 public:
  StepScriptExecutor(Plan plan, std::vector<double> step_ms, std::vector<double> alone_ms,
                     std::vector<int>* alone_steps)
      : plan_(std::move(plan)), step_ms_(std::move(step_ms)), alone_ms_(std::move(alone_ms)),
        alone_steps_(alone_steps) {}
  double run(std::vector<StepTime>* steps) override {
    if (steps == nullptr) return 10;
    const double d = step_ms_.at(timed_++);
    double t = 0;
    for (size_t i = 0; i < plan_.steps.size(); ++i) {
      if (plan_.steps[i].kind() != OpKind::Attention) continue;
      steps->push_back(StepTime{static_cast<int>(i), t, t + d});
      t += d;
    }
    return t;
  }
  VerifyResult verify(VerifyMode) override { return {}; }
  std::vector<unsigned char> output_bytes() override { return {}; }
  double step_alone_ms(int step) override {
    alone_steps_->push_back(step);
    return alone_ms_.at(alone_steps_->size() - 1);
  }

 private:
  Plan plan_;
  std::vector<double> step_ms_, alone_ms_;
  std::vector<int>* alone_steps_;
  size_t timed_ = 0;
};

class StepScriptRuntime final : public Runtime {
 public:
  StepScriptRuntime(std::vector<double> step_ms, std::vector<double> alone_ms)
      : step_ms_(std::move(step_ms)), alone_ms_(std::move(alone_ms)) {}
  std::string name() const override { return "script"; }
  std::vector<TransportKind> transports() const override { return {TransportKind::Mpi}; }
  Reason unsupported(const Problem&, const RunOptions&) const override { return std::nullopt; }
  std::unique_ptr<Executor> prepare(const Problem&, const Plan& plan, const RunOptions&) override {
    return std::make_unique<StepScriptExecutor>(plan, step_ms_, alone_ms_, &alone_steps);
  }
  std::vector<std::pair<std::string, std::string>> describe() const override { return {}; }

  std::vector<int> alone_steps;  // the steps run alone, in order

 private:
  std::vector<double> step_ms_, alone_ms_;
};

TEST(PointAttentionRates, MedianRunInPlanAndMedianOfTheLargestStepAlone) {
  // hcms on one rank, 3 heads in 2 chunks: two attention steps of different FLOPs.
  Point pt;
  pt.schedule = "hcms";
  pt.transport = TransportKind::Mpi;
  pt.problem = test::make_problem(1, 64, 3, 3, 16, 1, Mask::Full);
  pt.problem.chunks = 2;
  const Plan plan = find_schedule("hcms")->plan(pt.problem, 0);
  double flops = 0, largest = -1;
  int largest_step = -1, attention_steps = 0;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (plan.steps[i].kind() != OpKind::Attention) continue;
    const double f = attention_flops(std::get<AttentionOp>(plan.steps[i].op));
    ++attention_steps;
    flops += f;
    if (f > largest) {
      largest = f;
      largest_step = static_cast<int>(i);
    }
  }
  ASSERT_EQ(attention_steps, 2);
  ASSERT_GT(largest * 2, flops * 1.1) << "the chunks must differ for the choice of step to matter";

  // 6 timed runs -> 3 step-timed runs: attention steps of 2, 4, 3 ms (median run: 3 ms);
  // the largest step alone: 5, 1, 2 ms (median 2 ms, min 1).
  StepScriptRuntime rt({2, 4, 3}, {5, 1, 2});
  MeasureSettings m;
  m.warmup = 0;
  m.warmup_ms = 0;
  m.iterations = 6;
  m.min_iterations = 1;
  m.isolate = false;
  m.verify = VerifyMode::Off;
  PointContext ctx{rt, m, test::mpi_session(), "", nullptr, {}, {}};
  const nlohmann::json r = run_point(pt, ctx);
  ASSERT_EQ(r["status"], "PASS") << r.dump();
  EXPECT_EQ(rt.alone_steps, (std::vector<int>{largest_step, largest_step, largest_step}));
  const double in_plan = flops / (attention_steps * 3e-3) / 1e12, alone = largest / 2e-3 / 1e12;
  EXPECT_NEAR(r["attn_tflops"].get<double>(), in_plan, in_plan * 1e-12);
  EXPECT_NEAR(r["attn_standalone_tflops"].get<double>(), alone, alone * 1e-12);
}

}  // namespace
}  // namespace cpb
