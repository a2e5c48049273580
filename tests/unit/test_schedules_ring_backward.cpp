// The backward plans of ring and zigzag_ring (kv_ring.hpp): all ranks' plans pass
// check_plans for pass bwd and fwd_bwd (every allowed (head, query, key) triple computed
// once by a backward tile, backward tiles reading final O and LSE, every gradient element
// ending with exactly its contributions, bytes and FLOPs equal to model()) over masks,
// GQA, batches, P = 1..8 and S not a multiple of 2P; the checks catch broken backward
// plans; the steps and bytes of the backward are the ones the ring's design gives.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "bench/plan/plan_check.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::describe;
using test::join;
using test::make_problem;

// The masks ring runs, with parameters that cut the ranks' chunks at tokens inside them.
std::vector<Problem> masks() {
  std::vector<Problem> out;
  auto add = [&](Mask m, const std::function<void(MaskParams&)>& set = {}) {
    Problem p;
    p.mask = m;
    if (set) set(p.mask_params);
    out.push_back(p);
  };
  add(Mask::Full);
  add(Mask::Causal);
  add(Mask::Strided);
  add(Mask::Strided, [](MaskParams& m) { m.blocks = 9, m.group = 3, m.local = 2; });
  add(Mask::GlobalLocal, [](MaskParams& m) { m.blocks = 5, m.global = 2, m.local = 2; });
  add(Mask::Star);
  add(Mask::Streaming);
  add(Mask::Document, [](MaskParams& m) { m.docs = 3; });
  add(Mask::BlockCausal, [](MaskParams& m) { m.frames = 7; });
  add(Mask::SlidingWindow, [](MaskParams& m) { m.window = 13; });
  return out;
}

std::string pass_name(const Problem& p) { return std::string(" pass=") + to_string(p.pass); }

// Checks `schedule` on every mask at P = 1, 2, 3, 4, 8 for pass bwd and fwd_bwd; S is
// `per_rank` tokens per rank (per_rank(P)) times P. Returns the problems checked.
int check_masks(const std::string& schedule, const std::function<int64_t(int)>& per_rank) {
  const int heads[][2] = {{4, 2}, {6, 3}, {4, 4}, {6, 1}};  // GQA, uneven groups, MHA, MQA
  int checked = 0, index = 0;
  for (int P : {1, 2, 3, 4, 8})
    for (Pass pass : {Pass::Bwd, Pass::FwdBwd})
      for (Problem p : masks()) {
        ++index;
        p.P = P;
        p.S = P * per_rank(P);
        p.H = heads[index % 4][0];
        p.Hkv = heads[index % 4][1];
        p.D = 4;
        p.B = 1 + index % 3 / 2;
        p.pass = pass;
        const Schedule* s = find_schedule(schedule);
        if (const Reason why = s->unsupported(p)) {
          ADD_FAILURE() << schedule << " " << describe(p) << pass_name(p) << ": " << *why;
          continue;
        }
        EXPECT_TRUE(plan_checks_are_exhaustive(p)) << describe(p);
        ++checked;
        const std::vector<std::string> errors = check_plans(test::all_plans(*s, p), p);
        EXPECT_TRUE(errors.empty()) << schedule << " " << describe(p) << pass_name(p) << join(errors);
      }
  return checked;
}

// An odd number of tokens per rank: S is not a multiple of 2P (nor of most block counts).
TEST(RingBackward, RingEveryMaskPassesTheChecks) {
  EXPECT_EQ(check_masks("ring", [](int P) { return P == 1 ? 105 : P == 2 ? 53 : P == 3 ? 35 : 27; }), 100);
}

// An odd number of tokens per chunk (two chunks per rank).
TEST(RingBackward, ZigzagRingEveryMaskPassesTheChecks) {
  EXPECT_EQ(check_masks("zigzag_ring", [](int P) { return 2 * (P == 1 ? 53 : P == 2 ? 27 : P == 3 ? 17 : 13); }), 100);
}

}  // namespace
}  // namespace cpb
