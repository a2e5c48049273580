// simulate_point: a config point simulated on a hand-made machine model: the record's
// time is the engine's makespan of the schedule's plans of all ranks, its parts are the
// makespans of the compute-only and comm-only plans, chunks "auto" takes the count with
// the lowest predicted time, and points the simulator does not model are SKIPPED.
#include <gtest/gtest.h>

#include "bench/schedule.hpp"
#include "bench/sim/machine_cost.hpp"
#include "bench/sim/sim_point.hpp"
#include "test_config_util.hpp"
#include "test_machine_model_util.hpp"

namespace cpb::test {
namespace {

// The sample machine with a D=64 full-mask curve, so Ulysses and HCMS at D=64 have costs.
MachineModel machine() {
  MachineModel m = sample_machine();
  m.attention.push_back(kernel_sample(1024, 8, 8, 64, false, 0.2));
  m.attention.push_back(kernel_sample(4096, 8, 8, 64, false, 2.4));
  return m;
}

class SimPoint : public ConfigTest {
 protected:
  std::vector<Point> points(const std::string& axes, int world) const { return expand(load(axes), world, ""); }
};

double makespan(const Point& pt, const MachineModel& m, bool whole, bool comm) {
  const Schedule& sched = *find_schedule(pt.schedule);
  const SimSetup setup = machine_cost(m, pt.problem, *pt.transport, pt.profile, m.inter_node.gpus_per_node);
  std::vector<Plan> plans;
  for (int r = 0; r < pt.problem.P; ++r) {
    Plan p = sched.plan(pt.problem, r);
    plans.push_back(whole ? p : filter_steps(p, [comm](const Step& s) { return s.is_comm() == comm; }));
  }
  return simulate(plans, setup.links, setup.compute_ms).makespan_ms;
}

TEST_F(SimPoint, TheRecordHoldsTheEnginesMakespansOfThePlanAndItsParts) {
  const MachineModel m = machine();
  const auto pts = points(R"("schedule": ["ulysses", "hcms"], "S": 4096, "H": 8, "D": 64, "chunks": 2,
                             "transport": "nccl")", 2);
  ASSERT_EQ(pts.size(), 2u);
  for (const Point& pt : pts) {
    const PointRecord r = simulate_point(pt, m);
    ASSERT_EQ(r.status, "PASS") << pt.schedule;
    EXPECT_EQ(r.runtime, "sim");
    EXPECT_DOUBLE_EQ(r.time_ms->p50, makespan(pt, m, true, false));
    EXPECT_DOUBLE_EQ(*r.comp_ms, makespan(pt, m, false, false));
    EXPECT_DOUBLE_EQ(*r.comm_ms, makespan(pt, m, false, true));
    EXPECT_GT(*r.comm_ms, 0);
    EXPECT_EQ(r.time_ms->n, 1);
    EXPECT_DOUBLE_EQ(predicted_ms(pt, m), r.time_ms->p50);
  }
  // Serial Ulysses: its time is at least the sum of its parts' critical paths' larger one.
  const PointRecord u = simulate_point(pts[0], m);
  EXPECT_GE(u.time_ms->p50, std::max(*u.comp_ms, *u.comm_ms));
}

TEST_F(SimPoint, ChunksAutoTakesTheFastestPredictedCount) {
  const MachineModel m = machine();
  const auto autos = points(R"("schedule": "hcms", "S": 4096, "H": 8, "D": 64, "chunks": "auto",
                               "transport": "nccl")", 2);
  ASSERT_EQ(autos.size(), 1u);
  const PointRecord r = simulate_point(autos[0], m);
  ASSERT_TRUE(r.chunks_chosen.has_value());
  double best = -1;
  int best_c = 0;
  for (int c = 1; c <= 4; ++c) {  // H/P = 4 heads per rank
    const auto fixed = points(R"("schedule": "hcms", "S": 4096, "H": 8, "D": 64, "transport": "nccl", "chunks": )" +
                                  std::to_string(c), 2);
    const double t = simulate_point(fixed[0], m).time_ms->p50;
    if (best < 0 || t < best) best = t, best_c = c;
  }
  EXPECT_EQ(*r.chunks_chosen, best_c);
  EXPECT_DOUBLE_EQ(r.time_ms->p50, best);
}

TEST_F(SimPoint, WhatIsNotModelledIsSkippedWithItsReason) {
  const MachineModel m = machine();
  const auto lever = points(R"("schedule": "ulysses", "S": 4096, "H": 8, "D": 64, "transport": "nccl",
                               "attn_sms": 66)", 2);
  EXPECT_EQ(simulate_point(lever[0], m).status, "SKIPPED");
  EXPECT_TRUE(contains(*simulate_point(lever[0], m).reason, "levers"));
  const auto automatic = points(R"("schedule": "ulysses", "S": 4096, "H": 8, "D": 64)", 2);
  EXPECT_TRUE(contains(*simulate_point(automatic[0], m).reason, "transport auto"));
  // A transport the file has no model for is bad input, naming what the file has.
  const auto ce = points(R"("schedule": "ulysses", "S": 4096, "H": 8, "D": 64, "transport": "ce")", 2);
  EXPECT_FALSE(usage_error([&] { simulate_point(ce[0], m); }).empty());
}

}  // namespace
}  // namespace cpb::test
