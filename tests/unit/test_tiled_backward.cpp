// The tiled schedule's backward pass (tiled_plan_backward.cpp): all ranks' plans of pass
// bwd and fwd_bwd pass check_plans (every allowed (head, query, key) triple in exactly one
// backward tile, backward tiles reading final O and LSE, every dQ, dK, dV element ending
// with exactly its mask's contributions, bytes and FLOPs equal to the model) over masks,
// rank counts, head shapes, batches and Ulysses degrees; pass bwd's forward is the untimed
// prologue; the model's passes add up; and a plan with a gradient reduction or a backward
// tile dropped is caught.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/plan/plan_check.hpp"
#include "bench/schedule.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::describe;
using test::join;

// Every mask tiled runs, with parameters that put the mask's own block boundaries inside
// the schedule's blocks (strided's 9 and global_local's 5 blocks divide no S below).
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
  add(Mask::GlobalLocal);
  add(Mask::GlobalLocal, [](MaskParams& m) { m.blocks = 5, m.global = 2, m.local = 2; });
  add(Mask::Star);
  add(Mask::Streaming);
  add(Mask::Document, [](MaskParams& m) { m.docs = 3; });
  add(Mask::BlockCausal, [](MaskParams& m) { m.frames = 7; });
  add(Mask::SlidingWindow, [](MaskParams& m) { m.window = 13; });
  return out;
}

const Pass kBackwardPasses[] = {Pass::Bwd, Pass::FwdBwd};

TEST(TiledBackward, PlansPassTheChecks) {
  const Schedule& tiled = *find_schedule("tiled");
  const int heads[][2] = {{8, 8}, {8, 2}, {6, 3}, {6, 1}};  // MHA, GQA, heads uneven over 4 and 8 ranks, MQA
  int checked = 0, index = 0;
  for (const int P : {2, 3, 4, 8})
    for (const Pass pass : kBackwardPasses)
      for (Problem p : masks()) {
        ++index;
        p.P = P;
        p.S = 24 * P;
        p.H = heads[index % 4][0];
        p.Hkv = heads[index % 4][1];
        p.D = 4;
        p.B = 1 + index % 3 / 2;
        p.pass = pass;
        p.tile_fuse = index % 5 == 0 ? TileFuse::Off : TileFuse::Rows;
        p.tile_blocks = index % 7 == 0 ? 3 : 2;
        const std::string at = describe(p) + " pass=" + to_string(pass);
        ASSERT_FALSE(tiled.unsupported(p)) << at << ": " << *tiled.unsupported(p);
        EXPECT_EQ(join(check_plans(test::all_plans(tiled, p), p)), "") << at;
        ++checked;
      }
  EXPECT_EQ(checked, 4 * 2 * 11);
}

// The node-level assignment (tile_node) and the MILP's change only which rank computes a
// tile: the backward follows them.
TEST(TiledBackward, NodeLevelAndMilpAssignments) {
  const Schedule& tiled = *find_schedule("tiled");
  for (const Mask m : {Mask::Causal, Mask::Star, Mask::GlobalLocal})
    for (const Pass pass : kBackwardPasses) {
      Problem p = test::make_problem(4, 192, 4, 2, 4, 2, m);
      p.pass = pass;
      p.tile_node = 2;
      EXPECT_EQ(join(check_plans(test::all_plans(tiled, p), p)), "") << describe(p);
      p.tile_node = 1;
      p.tile_solver = TileSolver::Milp;
      EXPECT_EQ(join(check_plans(test::all_plans(tiled, p), p)), "") << describe(p);
    }
}

// Pass bwd times the backward alone: its forward is the untimed prologue, which holds no
// backward step, and the timed steps no forward attention; fwd_bwd times both.
TEST(TiledBackward, PassBwdTimesTheBackwardAlone) {
  const Schedule& tiled = *find_schedule("tiled");
  Problem p = test::make_problem(4, 192, 4, 4, 8, 1, Mask::Causal);
  for (const Pass pass : kBackwardPasses) {
    p.pass = pass;
    for (const Plan& plan : test::all_plans(tiled, p)) {
      EXPECT_EQ(plan.timed_from > 0, pass == Pass::Bwd);
      for (const Step& s : plan.steps) {
        const bool prologue = s.id < plan.timed_from;
        if (prologue) {
          EXPECT_NE(s.kind(), OpKind::AttentionBackward) << s.label;
        } else if (pass == Pass::Bwd) {
          EXPECT_NE(s.kind(), OpKind::Attention) << s.label;
        }
      }
    }
  }
}

// The model's timed bytes and FLOPs: fwd_bwd's are fwd's plus bwd's, the backward's FLOPs
// 2.5 times the forward's; the backward moves more than the forward (dO and O beside Q;
// dK and dV partials beside dQ's).
TEST(TiledBackward, ModelPassesAddUp) {
  const Schedule& tiled = *find_schedule("tiled");
  for (const Mask m : {Mask::Causal, Mask::Strided, Mask::SlidingWindow}) {
    Problem p = test::make_problem(4, 256, 8, 2, 16, 2, m);
    p.mask_params.window = 40;
    for (int r = 0; r < p.P; ++r) {
      p.pass = Pass::Fwd;
      const Model f = tiled.model(p, r);
      p.pass = Pass::Bwd;
      const Model b = tiled.model(p, r);
      p.pass = Pass::FwdBwd;
      const Model fb = tiled.model(p, r);
      EXPECT_NEAR(fb.send_bytes, f.send_bytes + b.send_bytes, 1e-6) << to_string(m) << " rank " << r;
      EXPECT_NEAR(fb.recv_bytes, f.recv_bytes + b.recv_bytes, 1e-6) << to_string(m) << " rank " << r;
      EXPECT_NEAR(b.flops, kBackwardFlopFactor * f.flops, 1e-9 * f.flops) << to_string(m) << " rank " << r;
      EXPECT_NEAR(fb.flops, f.flops + b.flops, 1e-9 * fb.flops) << to_string(m) << " rank " << r;
      EXPECT_GE(b.send_bytes, f.send_bytes) << to_string(m) << " rank " << r;
    }
  }
}

// With a Ulysses degree the head exchange's backward (head_gradients.hpp) wraps each slice
// world's: the plans pass the checks at every degree that splits the ranks, and at
// tile_u = P (one rank per world, every tile local) the bytes are Ulysses's backward's.
TEST(TiledBackward, UlyssesDegrees) {
  const Schedule& tiled = *find_schedule("tiled");
  int checked = 0;
  for (const int P : {2, 4, 8})
    for (int u = 2; u <= P; u *= 2)
      for (const Mask m : {Mask::Causal, Mask::Strided, Mask::Star, Mask::SlidingWindow})
        for (const Pass pass : kBackwardPasses) {
          Problem p = test::make_problem(P, 24 * P, 8, 2, 4, 1 + checked % 2, m);
          p.mask_params.window = 13;
          p.pass = pass;
          p.tile_u = u;
          const std::string at = describe(p) + " pass=" + to_string(pass);
          ASSERT_FALSE(tiled.unsupported(p)) << at << ": " << *tiled.unsupported(p);
          EXPECT_EQ(join(check_plans(test::all_plans(tiled, p), p)), "") << at;
          ++checked;
          if (u != P) continue;
          for (int r = 0; r < P; ++r) {
            EXPECT_EQ(tiled.model(p, r).send_bytes, find_schedule("ulysses")->model(p, r).send_bytes) << at;
            EXPECT_EQ(tiled.model(p, r).flops, find_schedule("ulysses")->model(p, r).flops) << at;
          }
        }
  EXPECT_EQ(checked, (1 + 2 + 3) * 4 * 2);
}

// Plans of a backward pass with one step of `kind` dropped from rank `rank`'s plan.
std::vector<Plan> drop_one(const Problem& p, int rank, OpKind kind) {
  std::vector<Plan> plans = test::all_plans("tiled", p);
  bool dropped = false;
  plans[static_cast<size_t>(rank)] = filter_steps(plans[static_cast<size_t>(rank)], [&](const Step& s) {
    if (dropped || s.kind() != kind) return true;
    return !(dropped = true);
  });
  EXPECT_TRUE(dropped) << "rank " << rank << " has no " << to_string(kind) << " step";
  return plans;
}

// check_plans catches a rank that does not sum a received partial gradient (a reduce
// dropped: its dQ, dK or dV misses contributions) and one that skips a backward tile (its
// triples uncovered, its gradients short, its FLOPs below the model's).
TEST(TiledBackward, ChecksCatchADroppedReduceOrBackwardTile) {
  for (const Pass pass : kBackwardPasses) {
    Problem p = test::make_problem(4, 192, 4, 4, 8, 1, Mask::Causal);
    p.pass = pass;
    ASSERT_EQ(join(check_plans(test::all_plans("tiled", p), p)), "");
    const std::string reduce = join(check_plans(drop_one(p, 3, OpKind::Reduce), p));
    EXPECT_NE(reduce.find("(query, key) pairs at the end; the mask gives it"), std::string::npos) << reduce;
    const std::string tile = join(check_plans(drop_one(p, 1, OpKind::AttentionBackward), p));
    EXPECT_NE(tile.find("but model() says"), std::string::npos) << tile;
    EXPECT_NE(tile.find("is computed by the backward 0 times over all ranks"), std::string::npos) << tile;
  }
}

}  // namespace
}  // namespace cpb
