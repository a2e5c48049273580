// tile_fuse "both" (bench/schedules/tiled_plan_builder.hpp, Call): a rank's row-fused calls
// of adjoining query blocks fused as columns compute exactly the mask's pairs (check_plans:
// every output element from exactly its pairs), with the FLOPs, bytes and merges of "rows",
// in fewer calls where they apply; in a backward pass they do not apply.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/plan/plan_check.hpp"
#include "bench/schedule.hpp"
#include "bench/schedules/layout.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

struct Counts {
  int attention = 0, merges = 0;
  int spanning = 0;  // attention steps whose query tokens lie in more than one block
  double flops = 0;
  double sent = 0;  // elements of every send of every exchange
};

Counts counts(const std::vector<Plan>& plans, int64_t c) {
  Counts n;
  for (const Plan& plan : plans)
    for (const Step& s : plan.steps) {
      n.merges += s.kind() == OpKind::Merge;
      if (const auto* a = std::get_if<AttentionOp>(&s.op)) {
        ++n.attention;
        n.flops += attention_flops(*a);
        n.spanning += a->q_tokens.begin / c != (a->q_tokens.end() - 1) / c;
      }
      if (const auto* ex = std::get_if<ExchangeOp>(&s.op))
        for (const Transfer& t : ex->sends) n.sent += static_cast<double>(t.slice.count);
    }
  return n;
}

const Mask kMasks[] = {Mask::Full,      Mask::Causal,   Mask::Strided,     Mask::GlobalLocal,  Mask::Star,
                       Mask::Streaming, Mask::Document, Mask::BlockCausal, Mask::SlidingWindow};

// Plans of `p` under `fuse`, checked; their counts.
Counts checked(Problem p, TileFuse fuse, int64_t c, const std::string& at) {
  p.tile_fuse = fuse;
  const std::vector<Plan> plans = test::all_plans("tiled", p);
  EXPECT_EQ(test::join(check_plans(plans, p)), "") << at << " " << to_string(fuse);
  return counts(plans, c);
}

// Against rows: the same FLOPs, elements sent and merges (a column fusion joins calls that
// each write their rows' only output), never more calls, and each call over several query
// blocks in place of two or more. Fewer calls at P = 1 on the full and causal masks (one
// call: the bounding box of the row-fused calls is one region, the square or the causal
// staircase), and at P = 4 on document (a rank's blocks in one document, computed by it
// alone) and sliding_window.
TEST(TiledPlan, FusedColumnsComputeTheSamePairsInFewerCalls) {
  for (const int P : {1, 2, 4})
    for (const Mask m : kMasks) {
      Problem p = test::make_problem(P, 128 * P, 8, 8, 16, 1, m);
      p.mask_params.window = 40;
      p.tile_blocks = 4;
      const int64_t c = p.S / P / p.tile_blocks;
      const std::string at = std::string(to_string(m)) + " P=" + std::to_string(P);
      const Counts off = checked(p, TileFuse::Off, c, at), rows = checked(p, TileFuse::Rows, c, at);
      const Counts both = checked(p, TileFuse::Both, c, at);
      EXPECT_NEAR(both.flops, rows.flops, 1e-9 * rows.flops) << at;
      EXPECT_EQ(both.sent, rows.sent) << at;
      EXPECT_EQ(both.sent, off.sent) << at;
      EXPECT_EQ(both.merges, rows.merges) << at;
      EXPECT_LE(both.attention + both.spanning, rows.attention) << at;  // a spanning call replaces two or more
      EXPECT_EQ(off.spanning + rows.spanning, 0) << at;
      if (P == 1 && (m == Mask::Full || m == Mask::Causal)) {
        EXPECT_EQ(both.attention, 1) << at;
        EXPECT_LT(both.attention, rows.attention) << at;
      }
      if (P == 4 && (m == Mask::Document || m == Mask::SlidingWindow)) {
        EXPECT_GT(both.spanning, 0) << at;
        EXPECT_LT(both.attention, rows.attention) << at;
      }
    }
}

// GQA head pieces and a Ulysses degree: with u = P the tiling world is one rank, every
// call of it alone on its rows, and both fuses the full mask into one call per GQA piece.
TEST(TiledPlan, FusedColumnsWithGqaAndAUlyssesDegree) {
  for (const int P : {2, 4})
    for (const int u : {1, 2, P})
      for (const Mask m : {Mask::Full, Mask::Causal, Mask::SlidingWindow}) {
        Problem p = test::make_problem(P, 64 * P, 8, 2, 16, 2, m);
        p.mask_params.window = 40;
        p.tile_blocks = 4;
        p.tile_u = u;
        const int64_t c = p.S / P / p.tile_blocks * u;
        const std::string at = std::string(to_string(m)) + " P=" + std::to_string(P) + " u=" + std::to_string(u);
        const Counts rows = checked(p, TileFuse::Rows, c, at), both = checked(p, TileFuse::Both, c, at);
        EXPECT_NEAR(both.flops, rows.flops, 1e-9 * rows.flops) << at;
        EXPECT_EQ(both.sent, rows.sent) << at;
        EXPECT_LE(both.attention, rows.attention) << at;
        if (u == P && m == Mask::Full) {
          EXPECT_EQ(both.attention, P * static_cast<int>(gqa_pieces(Range{0, p.H / u}, p.group_size()).size())) << at;
        }
      }
}

// A backward pass keeps every row's LSE, which a column-fused call could not write: both
// plans exactly as rows does (same steps, same labels).
TEST(TiledPlan, ColumnsDoNotFuseInABackwardPass) {
  for (const Pass pass : {Pass::Bwd, Pass::FwdBwd})
    for (const Mask m : {Mask::Full, Mask::Causal, Mask::Document}) {
      Problem p = test::make_problem(1, 128, 8, 8, 16, 1, m);
      p.tile_blocks = 4;
      p.pass = pass;
      p.tile_fuse = TileFuse::Both;
      const std::vector<Plan> both = test::all_plans("tiled", p);
      EXPECT_EQ(test::join(check_plans(both, p)), "") << to_string(m);
      p.tile_fuse = TileFuse::Rows;
      const std::vector<Plan> rows = test::all_plans("tiled", p);
      ASSERT_EQ(both[0].steps.size(), rows[0].steps.size()) << to_string(m);
      for (size_t i = 0; i < both[0].steps.size(); ++i) EXPECT_EQ(both[0].steps[i].label, rows[0].steps[i].label);
    }
}

}  // namespace
}  // namespace cpb
