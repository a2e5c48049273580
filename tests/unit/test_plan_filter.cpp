// filter_steps on schedule plans: kept steps keep their order, dependencies through dropped
// steps become dependencies on what those waited for, and the result is still a valid plan.
#include <gtest/gtest.h>

#include "bench/plan/plan_check.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::join;
using test::make_problem;

std::vector<std::string> labels(const Plan& plan) {
  std::vector<std::string> out;
  for (const Step& s : plan.steps) out.push_back(s.label);
  return out;
}

int id_of(const Plan& plan, const std::string& label) {
  for (const Step& s : plan.steps)
    if (s.label == label) return s.id;
  return -1;
}

TEST(PlanFilter, KeepsOrderAndRewiresDependencies) {
  Problem p = make_problem(2, 128, 8, 8, 16, 1, Mask::Full);
  p.chunks = 2;
  const Plan plan = find_schedule("hcms")->plan(p, 0);
  const Plan compute =
      filter_steps(plan, [](const Step& s) { return !s.is_comm() && s.label.rfind("unpack", 0) != 0; });
  const Plan comm = filter_steps(plan, [](const Step& s) { return s.is_comm(); });

  std::vector<std::string> want_compute, want_comm;
  for (const Step& s : plan.steps) {
    if (s.is_comm())
      want_comm.push_back(s.label);
    else if (s.label.rfind("unpack", 0) != 0)
      want_compute.push_back(s.label);
  }
  EXPECT_EQ(labels(compute), want_compute);
  EXPECT_EQ(labels(comm), want_comm);
  for (const Plan* f : {&compute, &comm})
    for (size_t i = 0; i < f->steps.size(); ++i) {
      EXPECT_EQ(f->steps[i].id, static_cast<int>(i));
      for (int d : f->steps[i].deps) EXPECT_LT(d, static_cast<int>(i));
    }
  // attn[c=1] waited for pack[c=1] and a2a_in[c=1]; without the exchange it waits for the pack.
  EXPECT_EQ(compute.steps[id_of(compute, "attn[c=1]")].deps, std::vector<int>{id_of(compute, "pack[c=1]")});
  // a2a_out[c=0] waited for attn[c=0], which waited for a2a_in[c=0] (and its pack).
  EXPECT_EQ(comm.steps[id_of(comm, "a2a_out[c=0]")].deps, std::vector<int>{id_of(comm, "a2a_in[c=0]")});
  EXPECT_TRUE(comm.steps[id_of(comm, "a2a_in[c=0]")].deps.empty());
}

TEST(PlanFilter, FilteredPlansKeepThePerRankContracts) {
  // The compute-only and comm-only parts of every schedule stay structurally valid and race
  // free (their data is garbage, which is fine for timing).
  Problem p = make_problem(4, 128, 8, 4, 16, 2, Mask::Causal);
  p.chunks = 2;
  p.usp_u = 2;
  for (const char* name : {"ulysses", "hcms", "ring", "zigzag_ring", "usp"})
    for (int r = 0; r < p.P; ++r) {
      const Plan plan = find_schedule(name)->plan(p, r);
      for (bool comm : {false, true}) {
        const Plan part = filter_steps(plan, [&](const Step& s) { return s.is_comm() == comm; });
        const std::vector<std::string> errors = check_plan(part, p);
        EXPECT_TRUE(errors.empty()) << name << " rank " << r << (comm ? " comm" : " compute") << join(errors);
      }
    }
}

}  // namespace
}  // namespace cpb
