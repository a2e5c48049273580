// The layout arithmetic the schedules share: splits, GQA pieces, shards, views.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "bench/schedules/layout.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

std::vector<int64_t> sizes(const std::vector<Range>& rs) {
  std::vector<int64_t> out;
  for (const Range& r : rs) out.push_back(r.size);
  return out;
}

TEST(SchedulesLayout, EvenSplitGivesTheFirstRangesOneMore) {
  EXPECT_EQ(sizes(even_split(10, 4)), (std::vector<int64_t>{3, 3, 2, 2}));
  EXPECT_EQ(sizes(even_split(8, 4)), (std::vector<int64_t>{2, 2, 2, 2}));
  const std::vector<Range> r = even_split(7, 3);
  EXPECT_EQ(r[1].begin, 3);
  EXPECT_EQ(r[2].begin, 5);
  EXPECT_EQ(r[2].end(), 7);
}

TEST(SchedulesLayout, KvHeadsOfAQueryRange) {
  EXPECT_EQ(kv_heads_for(Range{2, 4}, 3).begin, 0);  // heads 2..5, groups of 3 -> kv 0..1
  EXPECT_EQ(kv_heads_for(Range{2, 4}, 3).size, 2);
  EXPECT_EQ(kv_heads_for(Range{6, 3}, 3).size, 1);
}

TEST(SchedulesLayout, GqaPiecesSplitAtGroupBoundaries) {
  // Heads [2, 10) with groups of 4: partial group [2,4), whole group [4,8), partial [8,10).
  const std::vector<HeadPiece> p = gqa_pieces(Range{2, 8}, 4);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].q.begin, 2);
  EXPECT_EQ(p[0].q.size, 2);
  EXPECT_EQ(p[0].kv.begin, 0);
  EXPECT_EQ(p[0].kv.size, 1);
  EXPECT_EQ(p[1].q.begin, 4);
  EXPECT_EQ(p[1].q.size, 4);
  EXPECT_EQ(p[1].kv.begin, 1);
  EXPECT_EQ(p[1].kv.size, 1);
  EXPECT_EQ(p[2].q.begin, 8);
  EXPECT_EQ(p[2].kv.begin, 2);
  EXPECT_EQ(gqa_pieces(Range{0, 12}, 3).size(), 1u);  // aligned: one piece of 4 kv heads
  EXPECT_EQ(gqa_pieces(Range{0, 12}, 3)[0].kv.size, 4);
  EXPECT_EQ(gqa_pieces(Range{5, 2}, 8).size(), 1u);  // inside one group
  EXPECT_EQ(gqa_pieces(Range{3, 5}, 1).size(), 1u);  // MHA
  // Every piece maps its q heads onto its kv heads by local q / (nq / nkv).
  for (int g : {1, 2, 3, 4, 6})
    for (int a = 0; a < 12; ++a)
      for (int b = a + 1; b <= 12; ++b)
        for (const HeadPiece& pc : gqa_pieces(Range{a, b - a}, g)) {
          ASSERT_EQ(pc.q.size % pc.kv.size, 0);
          const int64_t ratio = pc.q.size / pc.kv.size;
          for (int64_t i = 0; i < pc.q.size; ++i) ASSERT_EQ((pc.q.begin + i) / g, pc.kv.begin + i / ratio);
        }
}

TEST(SchedulesLayout, TokenShards) {
  const Problem p = test::make_problem(4, 128, 4, 4, 16, 1, Mask::Causal);
  EXPECT_EQ(contiguous_tokens(p, 2).begin, 64);
  EXPECT_EQ(contiguous_tokens(p, 2).size, 32);
  const std::vector<Range> z = zigzag_tokens(p, 1);  // chunks of 16: chunk 1 and chunk 6
  EXPECT_EQ(z[0].begin, 16);
  EXPECT_EQ(z[1].begin, 96);
  EXPECT_EQ(z[1].size, 16);
}

TEST(SchedulesLayout, HeadChunks) {
  Problem p = test::make_problem(2, 128, 10, 10, 16, 1, Mask::Full);
  p.chunks = 3;
  EXPECT_EQ(sizes(head_chunks(p, Range{5, 5})), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(head_chunks(p, Range{5, 5})[1].begin, 7);
  p.chunk_heads = {1, 4};
  EXPECT_EQ(sizes(head_chunks(p, Range{5, 5})), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(head_chunk_count(p), 2);
}

TEST(SchedulesLayout, TaperSplitHalvesTheEnds) {
  EXPECT_EQ(sizes(taper_split(20, 6)), (std::vector<int64_t>{2, 4, 4, 4, 4, 2}));
  EXPECT_EQ(sizes(taper_split(20, 3)), (std::vector<int64_t>{5, 10, 5}));
  EXPECT_EQ(sizes(taper_split(20, 4)), (std::vector<int64_t>{3, 7, 7, 3}));   // 20/6 = 3.33 -> 3
  EXPECT_EQ(sizes(taper_split(20, 5)), (std::vector<int64_t>{2, 6, 5, 5, 2}));  // 2.5 -> 2
  EXPECT_EQ(sizes(taper_split(7, 3)), (std::vector<int64_t>{2, 3, 2}));        // 1.75 -> 2
  EXPECT_EQ(sizes(taper_split(6, 3)), (std::vector<int64_t>{1, 4, 1}));        // 1.5 -> 1
  EXPECT_EQ(sizes(taper_split(4, 4)), (std::vector<int64_t>{1, 1, 1, 1}));    // ends at least 1
  EXPECT_EQ(sizes(taper_split(5, 2)), (std::vector<int64_t>{3, 2}));           // below 3: even
  EXPECT_EQ(sizes(taper_split(5, 1)), (std::vector<int64_t>{5}));
  // The rule for every n and parts: contiguous cover, ends e = max(1, nearest integer to
  // n / (2 (parts - 1)), a half down), every middle part at least e and within one of the
  // others.
  for (int64_t n = 1; n <= 64; ++n)
    for (int parts = 3; parts <= n; ++parts) {
      const std::vector<Range> r = taper_split(n, parts);
      ASSERT_EQ(r.size(), static_cast<size_t>(parts));
      int64_t next = 0, lo = n, hi = 0;
      for (const Range& x : r) {
        ASSERT_EQ(x.begin, next) << n << " " << parts;
        next = x.end();
      }
      ASSERT_EQ(next, n);
      const double half = static_cast<double>(n) / (2.0 * (parts - 1));
      const int64_t e = r.front().size;
      ASSERT_EQ(e, std::max<int64_t>(1, static_cast<int64_t>(std::ceil(half - 0.5)))) << n << " " << parts;
      ASSERT_EQ(r.back().size, e);
      for (int i = 1; i + 1 < parts; ++i) {
        lo = std::min(lo, r[i].size);
        hi = std::max(hi, r[i].size);
      }
      ASSERT_GE(lo, e) << n << " " << parts;
      ASSERT_LE(hi - lo, 1) << n << " " << parts;
    }
}

TEST(SchedulesLayout, HeadChunksTaper) {
  Problem p = test::make_problem(2, 128, 40, 8, 16, 1, Mask::Full);
  p.chunks = 6;
  p.chunk_shape = ChunkShape::Taper;
  const std::vector<Range> c = head_chunks(p, Range{20, 20});
  EXPECT_EQ(sizes(c), (std::vector<int64_t>{2, 4, 4, 4, 4, 2}));
  EXPECT_EQ(c[1].begin, 22);
  EXPECT_EQ(c[5].end(), 40);
  p.chunks = 2;  // below 3 chunks taper is even
  EXPECT_EQ(sizes(head_chunks(p, Range{20, 20})), (std::vector<int64_t>{10, 10}));
  p.chunk_heads = {1, 19};  // an explicit split wins over the shape
  EXPECT_EQ(sizes(head_chunks(p, Range{20, 20})), (std::vector<int64_t>{1, 19}));
}

TEST(SchedulesLayout, DenseTensorViewsAndRows) {
  const DenseTensor t{3, 100, 2, 8, 4, 16};  // [B=2, S=8, H=4, D=16] at element 100
  const View v = t.view(Range{2, 3}, Range{1, 2});
  EXPECT_EQ(v.buf, 3);
  EXPECT_EQ(v.offset, 100 + (2 * 4 + 1) * 16);
  EXPECT_EQ(v.shape, (std::array<int64_t, 4>{2, 3, 2, 16}));
  EXPECT_EQ(v.stride, (std::array<int64_t, 4>{8 * 4 * 16, 4 * 16, 16, 1}));
  const Slice s = t.rows(1, Range{4, 2});
  EXPECT_EQ(s.offset, 100 + (8 + 4) * 64);
  EXPECT_EQ(s.count, 2 * 64);
}

TEST(SchedulesLayout, BlockPairs) {
  Problem p;
  p.S = 16;
  p.mask = Mask::Causal;
  EXPECT_EQ(block_pairs(p, Range{8, 4}, Range{0, 4}), 16);
  EXPECT_EQ(block_pairs(p, Range{8, 4}, Range{8, 4}), 10);
  EXPECT_EQ(block_pairs(p, Range{8, 4}, Range{12, 4}), 0);
  // Keys 6, 7 for all four rows; key 8 from row 8 on, key 9 from row 9 on.
  EXPECT_EQ(block_pairs(p, Range{8, 4}, Range{6, 4}), 2 * 4 + 4 + 3);
  p.mask = Mask::Full;
  EXPECT_EQ(block_pairs(p, Range{8, 4}, Range{12, 4}), 16);
}

}  // namespace
}  // namespace cpb
