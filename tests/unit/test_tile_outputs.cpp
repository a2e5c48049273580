// TileOutputs (bench/schedules/tile_outputs.hpp) by how many tiles cover a segment: one
// writes the output directly; two write the output and a partial merged into it in place
// (no fp32 accumulator, no final copy); three or more fold into the fp32 accumulator and
// are copied out at the end. Partials received from another rank follow the same rules.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedules/layout.hpp"
#include "bench/schedules/tile_outputs.hpp"

namespace cpb {
namespace {

constexpr int64_t kRows = 8, kHeads = 2, kD = 4;

struct Fixture {
  Problem p;
  Plan plan;
  DenseTensor out;
  int out_lse = -1;

  explicit Fixture(bool keep_lse) {
    p.B = 1;
    p.H = p.Hkv = kHeads;
    p.D = kD;
    plan.add_lane("compute");
    out = DenseTensor{plan.add_buffer("o", Storage::Act, BufferRole::O, kRows * kHeads * kD), 0, 1, kRows, kHeads, kD};
    if (keep_lse) out_lse = plan.add_buffer("o_lse", Storage::F32, BufferRole::Scratch, kRows * kHeads);
  }
  // TileOutputs over one chunk of kRows rows, a tile declared over each of `rows`, its
  // buffers added.
  TileOutputs declared(std::initializer_list<Range> rows) {
    TileOutputs o(p, out, 1, kRows, Range{0, kHeads}, gqa_pieces(Range{0, kHeads}, 1), out_lse);
    for (const Range& r : rows) o.declare(0, r);
    o.add_buffers(plan);
    return o;
  }
  // A stand-in for a tile's attention step writing `t`.
  int tile(TileOutputs& o, Range rows, const std::string& name) {
    const TileOutputs::Target t = o.target(0, rows, 0);
    AttentionOp a;
    a.o = t.o;
    a.has_lse = t.has_lse;
    a.lse = t.lse;
    const int id = plan.add_step(kComputeLane, name, a, t.deps);
    o.after(plan, id, t, 0, rows, 0, "[" + name + "]");
    return id;
  }
  bool has_buffer(const std::string& name) const {
    for (const Buffer& b : plan.buffers)
      if (b.name == name) return true;
    return false;
  }
  const Step& step(int id) const { return plan.steps[static_cast<size_t>(id)]; }
};

TEST(TileOutputs, ASegmentsOnlyTileWritesTheOutput) {
  Fixture f(false);
  TileOutputs o = f.declared({Range{0, kRows}});
  const TileOutputs::Target t = o.target(0, Range{0, kRows}, 0);
  EXPECT_TRUE(t.direct);
  EXPECT_FALSE(t.has_lse);
  EXPECT_EQ(t.o.buf, f.out.buf);
  const int id = f.tile(o, Range{0, kRows}, "a");
  EXPECT_EQ(o.finish(f.plan), std::vector<int>{id});
  EXPECT_EQ(f.plan.steps.size(), 1u);
}

TEST(TileOutputs, TwoTilesMergeIntoTheOutputInPlace) {
  Fixture f(false);
  TileOutputs o = f.declared({Range{0, kRows}, Range{0, kRows}});
  EXPECT_FALSE(f.has_buffer("o_acc"));  // no fp32 accumulator
  const TileOutputs::Target first = o.target(0, Range{0, kRows}, 0);
  EXPECT_TRUE(first.first);
  EXPECT_FALSE(first.direct);
  EXPECT_TRUE(first.has_lse);
  EXPECT_EQ(first.o.buf, f.out.buf);
  const int a = f.tile(o, Range{0, kRows}, "a");
  EXPECT_EQ(f.plan.steps.size(), 1u);  // nothing to merge yet
  const TileOutputs::Target second = o.target(0, Range{0, kRows}, 0);
  EXPECT_FALSE(second.first || second.direct);
  EXPECT_NE(second.o.buf, f.out.buf);
  EXPECT_TRUE(second.deps.empty());  // its partial rows are written once
  const int b = f.tile(o, Range{0, kRows}, "b");
  ASSERT_EQ(f.plan.steps.size(), 3u);
  const Step& merge = f.step(2);
  ASSERT_EQ(merge.kind(), OpKind::Merge);
  const MergeOp& m = std::get<MergeOp>(merge.op);
  EXPECT_FALSE(m.init);
  EXPECT_EQ(m.acc_o.buf, f.out.buf);
  EXPECT_EQ(m.acc_lse.buf, first.lse.buf);
  EXPECT_EQ(m.acc_lse.offset, first.lse.offset);
  EXPECT_EQ(m.part_o.buf, second.o.buf);
  EXPECT_EQ(merge.deps, (std::vector<int>{b, a}));
  EXPECT_EQ(o.finish(f.plan), std::vector<int>{merge.id});  // no final copy
  EXPECT_EQ(f.plan.steps.size(), 3u);
}

TEST(TileOutputs, AKeptLseOfTwoTilesIsMergedWhereItIsKept) {
  Fixture f(true);
  TileOutputs o = f.declared({Range{0, kRows}, Range{0, kRows}});
  EXPECT_FALSE(f.has_buffer("lse_acc"));
  const TileOutputs::Target first = o.target(0, Range{0, kRows}, 0);
  EXPECT_EQ(first.lse.buf, f.out_lse);
  f.tile(o, Range{0, kRows}, "a");
  f.tile(o, Range{0, kRows}, "b");
  const MergeOp& m = std::get<MergeOp>(f.step(2).op);
  EXPECT_EQ(m.acc_lse.buf, f.out_lse);
  EXPECT_EQ(o.finish(f.plan).size(), 1u);
}

TEST(TileOutputs, ThreeTilesFoldIntoTheFp32AccumulatorAndAreCopiedOut) {
  Fixture f(false);
  TileOutputs o = f.declared({Range{0, kRows}, Range{0, kRows}, Range{0, kRows}});
  ASSERT_TRUE(f.has_buffer("o_acc"));
  for (const char* name : {"a", "b", "c"}) {
    const TileOutputs::Target t = o.target(0, Range{0, kRows}, 0);
    EXPECT_FALSE(t.first || t.direct);
    f.tile(o, Range{0, kRows}, name);
  }
  int merges = 0;
  for (const Step& s : f.plan.steps)
    if (s.kind() == OpKind::Merge) {
      const MergeOp& m = std::get<MergeOp>(s.op);
      EXPECT_EQ(f.plan.buffers[static_cast<size_t>(m.acc_o.buf)].storage, Storage::F32);
      EXPECT_EQ(m.init, merges == 0);
      ++merges;
    }
  EXPECT_EQ(merges, 3);
  const std::vector<int> done = o.finish(f.plan);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(f.step(done[0]).label, "o_final");
}

TEST(TileOutputs, TwoAndThreeTileSegmentsOfOneChunkEachTakeTheirOwnPath) {
  Fixture f(true);
  const Range pair{0, 4}, triple{4, 4};
  TileOutputs o = f.declared({pair, pair, triple, triple, triple});
  ASSERT_TRUE(f.has_buffer("o_acc"));
  ASSERT_TRUE(f.has_buffer("lse_acc"));
  for (const char* name : {"p0", "t0", "p1", "t1", "t2"}) f.tile(o, name[0] == 'p' ? pair : triple, name);
  for (const Step& s : f.plan.steps) {
    if (s.kind() != OpKind::Merge) continue;
    const MergeOp& m = std::get<MergeOp>(s.op);
    const bool of_pair = s.label == "merge[p1]";
    EXPECT_EQ(m.acc_o.buf == f.out.buf, of_pair) << s.label;
    EXPECT_EQ(m.acc_lse.buf == f.out_lse, of_pair) << s.label;
  }
  const std::vector<int> done = o.finish(f.plan);
  const Step& final_copy = f.step(done.back());
  ASSERT_EQ(final_copy.label, "o_final");
  const CopyOp& copy = std::get<CopyOp>(final_copy.op);
  ASSERT_EQ(copy.pairs.size(), 2u);  // the triple's rows and their LSE only
  EXPECT_EQ(copy.pairs[0].dst.offset, triple.begin * kHeads * kD);
  EXPECT_EQ(copy.pairs[0].dst.shape[1], triple.size);
  EXPECT_EQ(copy.pairs[1].dst.buf, f.out_lse);
  EXPECT_EQ(done.size(), 2u);  // the pair's merge, then the copy
}

TEST(TileOutputs, AReceivedPartialFollowsTheSameRules) {
  Fixture f(true);
  TileOutputs o = f.declared({Range{0, kRows}, Range{0, kRows}});
  const int in = f.plan.add_buffer("o_in", Storage::Act, BufferRole::Scratch, 2 * kRows * kHeads * kD);
  const int lse_in = f.plan.add_buffer("lse_in", Storage::F32, BufferRole::Scratch, 2 * kRows * kHeads);
  const View first_o = dense_view(in, 0, {1, kRows, kHeads, kD}),
             first_lse = dense_view(lse_in, 0, {1, kHeads, kRows, 1});
  const View second_o = dense_view(in, kRows * kHeads * kD, {1, kRows, kHeads, kD});
  const View second_lse = dense_view(lse_in, kRows * kHeads, {1, kHeads, kRows, 1});
  o.add_partial(f.plan, first_o, first_lse, 0, Range{0, kRows}, 0, {}, "[from=1]");
  ASSERT_EQ(f.plan.steps.size(), 1u);
  const CopyOp& copy = std::get<CopyOp>(f.step(0).op);
  ASSERT_EQ(copy.pairs.size(), 2u);
  EXPECT_EQ(copy.pairs[0].dst.buf, f.out.buf);
  EXPECT_EQ(copy.pairs[1].dst.buf, f.out_lse);
  o.add_partial(f.plan, second_o, second_lse, 0, Range{0, kRows}, 0, {}, "[from=2]");
  ASSERT_EQ(f.plan.steps.size(), 2u);
  const MergeOp& m = std::get<MergeOp>(f.step(1).op);
  EXPECT_EQ(m.acc_o.buf, f.out.buf);
  EXPECT_EQ(m.acc_lse.buf, f.out_lse);
  EXPECT_FALSE(m.init);
  EXPECT_EQ(f.step(1).deps, std::vector<int>{0});
  EXPECT_EQ(o.finish(f.plan), std::vector<int>{1});
}

}  // namespace
}  // namespace cpb
