// Every schedule declines the problems it cannot run with a reason naming field and value.
#include <gtest/gtest.h>

#include "bench/schedule.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using test::make_problem;

std::string reason(const std::string& schedule, const Problem& p) {
  const std::optional<std::string> r = find_schedule(schedule)->unsupported(p);
  return r ? *r : "(supported)";
}

TEST(SchedulesUnsupported, AllFiveAreRegistered) {
  for (const char* name : {"ulysses", "hcms", "ring", "zigzag_ring", "usp"})
    EXPECT_NE(find_schedule(name), nullptr) << name;
}

TEST(SchedulesUnsupported, SequenceDivisibility) {
  const Problem p = make_problem(8, 100, 8, 8, 16, 1, Mask::Full);
  EXPECT_EQ(reason("ulysses", p), "S=100 is not divisible by P=8 (ulysses)");
  EXPECT_EQ(reason("ring", p), "S=100 is not divisible by P=8 (ring)");
  EXPECT_EQ(reason("zigzag_ring", make_problem(4, 100, 8, 8, 16, 1, Mask::Full)),
            "S=100 is not divisible by 2P=8 (zigzag_ring)");
  EXPECT_EQ(reason("zigzag_ring", make_problem(4, 104, 8, 8, 16, 1, Mask::Full)), "(supported)");
}

TEST(SchedulesUnsupported, FewerHeadsThanRanks) {
  const Problem p = make_problem(8, 128, 4, 4, 16, 1, Mask::Full);
  EXPECT_EQ(reason("ulysses", p), "H=4 is less than P=8: every rank needs at least one query head (ulysses)");
  EXPECT_EQ(reason("hcms", p), "H=4 is less than P=8: every rank needs at least one query head (hcms)");
  EXPECT_EQ(reason("ring", p), "(supported)");
}

TEST(SchedulesUnsupported, BasicSizes) {
  EXPECT_EQ(reason("ring", make_problem(2, 128, 6, 4, 16, 1, Mask::Full)), "H=6 is not divisible by Hkv=4 (ring)");
  EXPECT_EQ(reason("usp", make_problem(2, 128, 4, 4, 0, 1, Mask::Full)), "D=0 must be at least 1 (usp)");
  EXPECT_EQ(reason("hcms", make_problem(2, 128, 4, 4, 16, 0, Mask::Full)), "B=0 must be at least 1 (hcms)");
}

TEST(SchedulesUnsupported, HcmsChunks) {
  Problem p = make_problem(4, 128, 10, 10, 16, 1, Mask::Full);  // ranks hold 3, 3, 2, 2 heads
  p.chunks = 3;
  EXPECT_EQ(reason("hcms", p), "chunks=3 exceeds the 2 query heads of rank 2 (hcms)");
  p.chunks = 0;
  EXPECT_EQ(reason("hcms", p), "chunks=0 must be at least 1 (hcms)");
  p.chunks = 2;
  EXPECT_EQ(reason("hcms", p), "(supported)");
}

TEST(SchedulesUnsupported, HcmsChunkShapeAndCommLanes) {
  Problem p = make_problem(4, 128, 10, 10, 16, 1, Mask::Full);  // ranks hold 3, 3, 2, 2 heads
  p.chunks = 2;
  p.chunk_shape = ChunkShape::Taper;
  EXPECT_EQ(reason("hcms", p), "(supported)");
  p.chunks = 3;  // taper needs no more heads than even does
  EXPECT_EQ(reason("hcms", p), "chunks=3 exceeds the 2 query heads of rank 2 (hcms)");
  p.chunks = 2;
  p.comm_lanes = 3;
  EXPECT_EQ(reason("hcms", p), "comm_lanes=3 is not one of 1, 2 (hcms)");
  p.comm_lanes = 0;
  EXPECT_EQ(reason("hcms", p), "comm_lanes=0 is not one of 1, 2 (hcms)");
  p.comm_lanes = 2;
  EXPECT_EQ(reason("hcms", p), "(supported)");
}

TEST(SchedulesUnsupported, HcmsExplicitChunkHeads) {
  Problem p = make_problem(4, 128, 10, 10, 16, 1, Mask::Full);
  p.chunk_heads = {2, 1};
  EXPECT_EQ(reason("hcms", p), "chunk_heads sums to 3 but rank 2 holds 2 query heads (hcms)");
  p.H = p.Hkv = 12;
  EXPECT_EQ(reason("hcms", p), "(supported)");
  p.chunk_heads = {3, 0};
  EXPECT_EQ(reason("hcms", p), "chunk_heads[1]=0 must be at least 1 (hcms)");
  p.chunk_heads = {2, 1};
  p.chunks = 3;
  EXPECT_EQ(reason("hcms", p), "chunks=3 disagrees with chunk_heads, which lists 2 chunks (hcms)");
  p.chunks = 2;
  EXPECT_EQ(reason("hcms", p), "(supported)");
}

TEST(SchedulesUnsupported, UspDegree) {
  Problem p = make_problem(8, 128, 8, 8, 16, 1, Mask::Full);
  EXPECT_EQ(reason("usp", p), "usp_u=0 must be at least 1 (usp)");
  p.usp_u = 3;
  EXPECT_EQ(reason("usp", p), "usp_u=3 does not divide P=8 (usp)");
  p.usp_u = 4;
  EXPECT_EQ(reason("usp", p), "(supported)");
  p.H = p.Hkv = 2;
  EXPECT_EQ(reason("usp", p),
            "H=2 is less than usp_u=4: every rank of a Ulysses group needs at least one query head (usp)");
}

TEST(SchedulesUnsupported, QkvLayout) {
  Problem p = make_problem(2, 128, 4, 4, 16, 1, Mask::Full);
  for (const char* s : {"ulysses", "hcms"}) {
    for (QkvLayout layout : {QkvLayout::Separate, QkvLayout::Packed}) {
      p.qkv_layout = layout;
      EXPECT_EQ(reason(s, p), "(supported)") << s;
    }
  }
}

TEST(SchedulesUnsupported, OptionAxes) {
  EXPECT_EQ(find_schedule("hcms")->option_axes(),
            (std::vector<std::string>{"chunks", "chunk_heads", "chunk_shape", "comm_order", "comm_lanes",
                                      "qkv_layout"}));
  EXPECT_EQ(find_schedule("ulysses")->option_axes(), std::vector<std::string>{"qkv_layout"});
  // usp's ring passes K and V as contiguous rows: it keeps Q, K and V separate.
  EXPECT_EQ(find_schedule("usp")->option_axes(), std::vector<std::string>{"usp_u"});
  EXPECT_TRUE(find_schedule("ring")->option_axes().empty());
}

}  // namespace
}  // namespace cpb
