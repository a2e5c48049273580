// The backward plans of ulysses and hcms (head_gradients.hpp): the plan checks over a grid
// of problems and passes, and planted bugs they catch.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/plan/plan_check.hpp"
#include "bench/schedule.hpp"
#include "bench/sim/machine_model.hpp"
#include "bench/sim/sim_point.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::all_plans;
using test::describe;
using test::make_problem;

std::string first_error(const std::vector<std::string>& errors) { return errors.empty() ? "" : errors[0]; }

TEST(HeadPipelineBackward, PassesThePlanChecksOnAGrid) {
  struct Shape {
    int P, H, Hkv;
    int64_t S;
    int B;
  };
  const Shape shapes[] = {{2, 4, 4, 32, 1}, {3, 6, 3, 24, 2}, {4, 4, 2, 32, 1}, {4, 5, 5, 40, 1}, {8, 8, 4, 32, 1}};
  for (const Shape& sh : shapes)
    for (Mask mask : {Mask::Full, Mask::Causal, Mask::Strided, Mask::BlockCausal})
      for (Pass pass : {Pass::Bwd, Pass::FwdBwd})
        for (const char* name : {"ulysses", "hcms"})
          for (int chunks : {1, 2}) {
            if (std::string(name) == "ulysses" && chunks > 1) continue;
            Problem p = make_problem(sh.P, sh.S, sh.H, sh.Hkv, 8, sh.B, mask);
            p.pass = pass;
            p.chunks = chunks;
            if (find_schedule(name)->unsupported(p)) continue;
            SCOPED_TRACE(std::string(name) + " " + to_string(pass) + " " + describe(p));
            EXPECT_EQ(first_error(check_plans(all_plans(name, p), p)), "");
          }
}

// USP composes the head exchange's backward with the ring's (kv_ring.hpp).
TEST(HeadPipelineBackward, UspPassesThePlanChecks) {
  struct Shape {
    int P, u, H, Hkv;
    int64_t S;
  };
  const Shape shapes[] = {{2, 1, 4, 4, 32}, {2, 2, 4, 2, 32}, {4, 2, 6, 3, 48}, {4, 4, 4, 4, 32},
                          {8, 2, 8, 4, 64}, {8, 4, 8, 8, 64}, {6, 3, 6, 2, 48}};
  for (const Shape& sh : shapes)
    for (Mask mask : {Mask::Full, Mask::Causal, Mask::Strided})
      for (Pass pass : {Pass::Bwd, Pass::FwdBwd}) {
        Problem p = make_problem(sh.P, sh.S, sh.H, sh.Hkv, 8, 2, mask);
        p.pass = pass;
        p.usp_u = sh.u;
        if (find_schedule("usp")->unsupported(p)) continue;
        SCOPED_TRACE(std::string("usp ") + to_string(pass) + " " + describe(p));
        EXPECT_EQ(first_error(check_plans(all_plans("usp", p), p)), "");
      }
}

TEST(HeadPipelineBackward, PassBwdTimesTheBackwardAlone) {
  Problem p = make_problem(2, 32, 4, 2, 8, 1, Mask::Causal);
  p.pass = Pass::Bwd;
  const Plan bwd = find_schedule("ulysses")->plan(p, 0);
  p.pass = Pass::FwdBwd;
  const Plan both = find_schedule("ulysses")->plan(p, 0);
  p.pass = Pass::Fwd;
  const Plan fwd = find_schedule("ulysses")->plan(p, 0);
  EXPECT_EQ(both.timed_from, 0);
  EXPECT_GT(bwd.timed_from, 0);
  EXPECT_EQ(bwd.steps.size(), both.steps.size());
  EXPECT_NEAR(plan_flops(both), 3.5 * plan_flops(fwd), 1e-6 * plan_flops(fwd));
  EXPECT_NEAR(plan_flops(bwd), 2.5 * plan_flops(fwd), 1e-6 * plan_flops(fwd));
  for (const Step& s : bwd.steps) {
    if (s.kind() == OpKind::AttentionBackward) {
      EXPECT_GE(s.id, bwd.timed_from);
    }
  }
}

// A backward tile dropped, or a tile reading the O before its final merge, is caught.
TEST(HeadPipelineBackward, PlantedBugsAreCaught) {
  Problem p = make_problem(2, 32, 4, 4, 8, 1, Mask::Strided);
  p.pass = Pass::FwdBwd;
  std::vector<Plan> plans = all_plans("ulysses", p);
  ASSERT_EQ(first_error(check_plans(plans, p)), "");
  std::vector<Plan> dropped = plans;
  const auto is_bwd = [](const Step& s) { return s.kind() == OpKind::AttentionBackward; };
  bool once = false;
  dropped[1] = filter_steps(plans[1], [&](const Step& s) { return !is_bwd(s) || std::exchange(once, true); });
  EXPECT_NE(first_error(check_plans(dropped, p)), "");

  // A backward tile reading O where it should read dO.
  std::vector<Plan> wrong_input = plans;
  for (Step& s : wrong_input[0].steps)
    if (is_bwd(s)) std::get<AttentionBackwardOp>(s.op).dout = std::get<AttentionBackwardOp>(s.op).o;
  EXPECT_NE(first_error(check_plans(wrong_input, p)).find("dout"), std::string::npos);
}

// The timed steps run again and again after one prologue: an accumulator zeroed only in
// the prologue adds each run's gradients to the last's, which the plan checks catch.
TEST(HeadPipelineBackward, ZeroingInThePrologueIsCaught) {
  Problem p = make_problem(2, 32, 4, 4, 8, 1, Mask::Causal);
  p.pass = Pass::Bwd;
  std::vector<Plan> plans = all_plans("ulysses", p);
  ASSERT_EQ(first_error(check_plans(plans, p)), "");
  for (Plan& plan : plans) {
    // Move the first timed step, the zeroing of dQ, dK, dV, into the prologue.
    ASSERT_EQ(plan.steps[static_cast<size_t>(plan.timed_from)].kind(), OpKind::Zero);
    plan.timed_from += 1;
  }
  EXPECT_NE(first_error(check_plans(plans, p)).find("contributions"), std::string::npos)
      << first_error(check_plans(plans, p));
}

// The step_order lever's list order reorders the timed steps and keeps the prologue (pass
// bwd's forward) in front of them: the plans the runtime gets still compute O and the LSE.
TEST(HeadPipelineBackward, ListOrderKeepsThePrologue) {
  const MachineModel h200 = read_machine_model(std::string(CPB_SOURCE_DIR) + "/configs/machines/h200.json");
  for (const char* name : {"ulysses", "ring", "tiled"}) {
    Point point;
    point.schedule = name;
    point.problem = make_problem(2, 256, 2, 2, 64, 1, Mask::Causal);
    point.problem.pass = Pass::Bwd;
    point.transport = TransportKind::Nccl;
    const std::vector<Plan> given = all_plans(name, point.problem);
    const OrderedPlans ordered = list_ordered_plans(point, h200, 8);
    SCOPED_TRACE(name);
    ASSERT_EQ(ordered.plans.size(), 2u);
    for (int r = 0; r < 2; ++r) {
      EXPECT_EQ(ordered.plans[r].timed_from, given[r].timed_from);
      EXPECT_EQ(ordered.plans[r].steps.size(), given[r].steps.size());
    }
    EXPECT_EQ(first_error(check_plans(ordered.plans, point.problem)), "");
  }
}

}  // namespace
}  // namespace cpb
