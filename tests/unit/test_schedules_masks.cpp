// Every schedule under every mask: all ranks' plans pass check_plans (each allowed
// (head, query, key) triple computed exactly once, nothing the mask forbids, the outputs'
// data flow and merges symbolically right, bytes and FLOPs equal to the model) at P = 1,
// 2, 3, 4 and 8, with S a multiple and not a multiple of the block counts, MHA, GQA and
// heads that do not divide evenly over the ranks.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/plan/plan_check.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::describe;
using test::join;

// The masks, with parameters that cut the ranks' token chunks at tokens inside them.
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
  add(Mask::GlobalLocal);
  add(Mask::Star);
  add(Mask::Streaming);
  add(Mask::Strided, [](MaskParams& m) { m.blocks = 9, m.group = 3, m.local = 2; });
  add(Mask::GlobalLocal, [](MaskParams& m) { m.blocks = 5, m.global = 2, m.local = 2; });
  add(Mask::Document);
  add(Mask::Document, [](MaskParams& m) { m.docs = 3; });
  add(Mask::BlockCausal, [](MaskParams& m) { m.frames = 7; });
  add(Mask::SlidingWindow, [](MaskParams& m) { m.window = 13; });
  add(Mask::Table, [](MaskParams& m) { m.table = {{2, 0, 0}, {1, 2, 0}, {0, 1, 1}}; });
  return out;
}

struct Variant {
  std::string schedule;
  int chunks = 1, usp_u = 0, tile_u = 1;
};

// Schedules and the options that change their tiles: HCMS chunk counts, USP and tiled
// Ulysses degrees.
std::vector<Variant> variants(int P) {
  std::vector<Variant> v = {{"ulysses"}, {"hcms", 2}, {"hcms", 3}, {"ring"}, {"zigzag_ring"}, {"tiled"}};
  for (int u = 1; u <= P; ++u)
    if (P % u == 0) v.push_back({"usp", 1, u});
  for (int u = 2; u <= P; ++u)
    if (P % u == 0) v.push_back({"tiled", 1, 0, u});
  return v;
}

// Every attention tile is one cuDNN's band runs (kernels/cuda/cudnn_sdpa.cpp): a window
// reaches behind the diagonal (left bound window - diag > 0) and a windowed tile has no
// more query rows than keys (cudnn-frontend refuses both otherwise).
void expect_cudnn_band(const Plan& plan, const std::string& where) {
  for (const Step& st : plan.steps) {
    if (st.kind() != OpKind::Attention) continue;
    const AttentionOp& a = std::get<AttentionOp>(st.op);
    if (a.window == 0) continue;
    EXPECT_GT(a.window, a.diag) << where << " step " << st.label;
    EXPECT_LE(a.q.shape[1], a.k.shape[1]) << where << " step " << st.label;
  }
}

TEST(SchedulesMasks, EveryScheduleRunsEveryMask) {
  const int heads[][2] = {{8, 8}, {8, 2}, {10, 5}, {6, 3}};  // MHA, GQA, uneven over 4 and 8 ranks
  int checked = 0, index = 0;
  for (int P : {1, 2, 3, 4, 8})
    for (const Variant& v : variants(P))
      for (Problem p : masks()) {
        ++index;
        p.P = P;
        p.S = index % 2 ? 96 : 240;  // 240: not a multiple of 9, 7 or 16 blocks' common sizes
        if (p.mask == Mask::Document && index % 3 == 0) p.mask_params.doc_tokens = {7, p.S - 7 - 50, 50};
        p.H = heads[index % 4][0];
        p.Hkv = heads[index % 4][1];
        p.D = 8;
        p.B = 1 + index % 5 / 4;
        p.chunks = v.chunks;
        p.usp_u = v.usp_u;
        p.tile_u = v.tile_u;
        const Schedule* s = find_schedule(v.schedule);
        ASSERT_NE(s, nullptr);
        if (s->unsupported(p)) continue;
        ++checked;
        const std::vector<Plan> plans = test::all_plans(*s, p);
        const std::vector<std::string> errors = check_plans(plans, p);
        EXPECT_TRUE(errors.empty()) << v.schedule << " " << describe(p) << join(errors);
        for (const Plan& plan : plans) expect_cudnn_band(plan, v.schedule + " " + describe(p));
      }
  EXPECT_EQ(checked, 575);
}

// A block-sparse mask cuts attention work: Ring's ranks compute only the non-empty tiles,
// and the plan's FLOPs shrink with the mask's density.
TEST(SchedulesMasks, RingSkipsEmptyBlocks) {
  Problem p = test::make_problem(4, 256, 2, 2, 8, 1, Mask::Causal);
  // Rank 3 holds tokens [192, 256): causal, 64 * 192 + 64 * 65 / 2 pairs.
  EXPECT_EQ(plan_flops(find_schedule("ring")->plan(p, 3)), 4.0 * 8 * 2 * (64 * 192 + 64 * 65 / 2));
  // Streaming (8 blocks of 32): blocks 6 and 7 each see the sink, two local blocks and
  // their own causal diagonal: 2 (3 * 32 * 32 + 32 * 33 / 2) pairs.
  p.mask = Mask::Streaming;
  EXPECT_EQ(plan_flops(find_schedule("ring")->plan(p, 3)), 4.0 * 8 * 2 * 2 * (3 * 32 * 32 + 32 * 33 / 2));
}

}  // namespace
}  // namespace cpb
