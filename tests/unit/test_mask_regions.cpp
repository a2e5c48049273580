// The masks as regions (bench/mask/mask_regions.hpp) against a token-by-token predicate
// written from each pattern's definition: every allowed pair in exactly one region and
// nothing else; clip_regions exact, trimmed and valid on every rectangle; mask_key_rows the
// transpose of mask_row_keys; bad parameters.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench/mask/mask_regions.hpp"

namespace cpb {
namespace {

Problem masked(Mask m, int64_t S) {
  Problem p;
  p.S = S;
  p.mask = m;
  return p;
}

// Block of token t among n near-equal blocks of S tokens: block i is [i S / n, (i + 1) S / n).
int64_t block_of(int64_t t, int64_t n, int64_t S) {
  int64_t b = t * n / S;
  while ((b + 1) * S / n <= t) ++b;
  while (b * S / n > t) --b;
  return b;
}

// Whether query t sees key u, straight from the pattern's definition.
bool naive_allows(const Problem& p, int64_t t, int64_t u) {
  const MaskParams& m = p.mask_params;
  const int64_t S = p.S;
  auto cell = [&](int64_t n, const std::function<int(int64_t, int64_t)>& kind) {
    const int64_t i = block_of(t, n, S), j = block_of(u, n, S);
    const int c = kind(i, j);
    if (c == 1) return true;
    if (c == 2) return u - j * S / n <= t - i * S / n;  // top-left causal inside the cell
    return false;
  };
  switch (p.mask) {
    case Mask::Full: return true;
    case Mask::Causal: return u <= t;
    case Mask::SlidingWindow: return u <= t && t - u < m.window;
    case Mask::Strided: {
      const int64_t n = m.blocks ? m.blocks : 16, g = m.group, w = m.local ? m.local : 3;
      return cell(n, [&](int64_t i, int64_t j) { return i / g == j / g && std::llabs(i % g - j % g) < w ? 1 : 0; });
    }
    case Mask::GlobalLocal: {
      const int64_t n = m.blocks ? m.blocks : 16, w = m.local ? m.local : 1;
      return cell(n, [&](int64_t i, int64_t j) { return i < m.global || j < m.global || std::llabs(i - j) < w; });
    }
    case Mask::Star:
      return cell(m.blocks ? m.blocks : 4, [](int64_t i, int64_t j) { return j == i ? 2 : j == 0 ? 1 : 0; });
    case Mask::Streaming: {
      const int64_t w = m.local ? m.local : 3;
      return cell(m.blocks ? m.blocks : 8,
                  [&](int64_t i, int64_t j) { return j == i ? 2 : j < i && (j < m.global || i - j < w) ? 1 : 0; });
    }
    case Mask::Table: {
      const int64_t n = static_cast<int64_t>(m.table.size());
      return cell(n, [&](int64_t i, int64_t j) { return m.table[static_cast<size_t>(i)][static_cast<size_t>(j)]; });
    }
    case Mask::Document: {
      int64_t begin = 0;
      for (int d = 0;; ++d) {
        const int64_t len = m.doc_tokens.empty() ? (d + 1) * S / m.docs - d * S / m.docs : m.doc_tokens[d];
        if (t < begin + len) return u >= begin && u <= t;
        begin += len;
      }
    }
    case Mask::BlockCausal: return block_of(u, m.frames, S) <= block_of(t, m.frames, S);
  }
  return false;
}

// Every pair of [0, S)^2: the regions cover it exactly as often as the predicate allows it
// (0 or 1), and every region is a valid tile.
void expect_exact(const Problem& p) {
  const std::vector<MaskRegion> regions = mask_regions(p);
  const int64_t S = p.S;
  std::vector<int> count(static_cast<size_t>(S * S), 0);
  for (const MaskRegion& r : regions) {
    EXPECT_EQ(tile_mask_error(r.mask, r.q.size, r.k.size), "");
    for (int64_t t = r.q.begin; t < r.q.end(); ++t) {
      int64_t first = 0, last = 0;
      region_row_keys(r, t, &first, &last);
      for (int64_t u = first; u < last; ++u) ++count[static_cast<size_t>(t * S + u)];
    }
  }
  int wrong = 0;
  for (int64_t t = 0; t < S; ++t)
    for (int64_t u = 0; u < S; ++u)
      if (count[static_cast<size_t>(t * S + u)] != (naive_allows(p, t, u) ? 1 : 0) && ++wrong <= 3)
        ADD_FAILURE() << to_string(p.mask) << " S=" << S << ": query " << t << ", key " << u << " covered "
                      << count[static_cast<size_t>(t * S + u)] << " times";
}

// The masks of the tests: every pattern, with default and other parameters.
std::vector<Problem> mask_cases(int64_t S) {
  std::vector<Problem> out;
  for (Mask m : {Mask::Full, Mask::Causal, Mask::Strided, Mask::GlobalLocal, Mask::Star, Mask::Streaming,
                 Mask::Document, Mask::BlockCausal})
    out.push_back(masked(m, S));
  Problem p = masked(Mask::SlidingWindow, S);
  p.mask_params.window = 7;
  out.push_back(p);
  p = masked(Mask::Strided, S);
  p.mask_params.blocks = 12;
  p.mask_params.group = 3;
  p.mask_params.local = 2;
  out.push_back(p);
  p = masked(Mask::GlobalLocal, S);
  p.mask_params.blocks = 10;
  p.mask_params.global = 2;
  p.mask_params.local = 3;
  out.push_back(p);
  p = masked(Mask::Streaming, S);
  p.mask_params.global = 0;
  p.mask_params.local = 2;
  out.push_back(p);
  p = masked(Mask::Document, S);
  p.mask_params.doc_tokens = {5, S - 5 - 17, 17};
  out.push_back(p);
  p = masked(Mask::BlockCausal, S);
  p.mask_params.frames = 5;
  out.push_back(p);
  p = masked(Mask::Table, S);
  p.mask_params.table = {{2, 0, 1}, {1, 1, 0}, {0, 2, 2}};
  out.push_back(p);
  return out;
}

TEST(MaskRegions, EveryPatternCoversExactlyItsPairs) {
  for (int64_t S : {64, 75, 101})  // a multiple of every block count, and two that are not
    for (const Problem& p : mask_cases(S)) expect_exact(p);
}

TEST(MaskRegions, BlockRowsMergeIntoFewRegions) {
  // Strided: one band per block row; streaming: the sink, then the local run ending in
  // the causal diagonal as one region with a diagonal offset.
  EXPECT_EQ(mask_regions(masked(Mask::Strided, 64)).size(), 16u);
  const std::vector<MaskRegion> s = mask_regions(masked(Mask::Streaming, 64));
  ASSERT_EQ(s.size(), 4u + 4 * 2);  // rows 0-3 one run each; rows 4-7 the sink and their run
  EXPECT_EQ(s.back().q.begin, 56);
  EXPECT_EQ(s.back().k.begin, 40);
  EXPECT_EQ(s.back().mask, (TileMask{true, 16, 0}));
  EXPECT_EQ(mask_regions(masked(Mask::Causal, 64)).size(), 1u);
}

// clip_regions on many rectangles: the pieces cover exactly the regions' pairs inside the
// rectangle, each piece is a valid tile, and no row or key column of a piece is empty.
TEST(MaskRegions, ClipIsExactAndTrimmed) {
  const int64_t S = 48;
  for (Problem p : mask_cases(S)) {
    p.mask_params.window = 7;
    const std::vector<MaskRegion> regions = mask_regions(p);
    for (int64_t q0 = 0; q0 < S; q0 += 7)
      for (int64_t q1 = q0 + 1; q1 <= S; q1 += 11)
        for (int64_t k0 = 0; k0 < S; k0 += 5)
          for (int64_t k1 = k0 + 3; k1 <= S; k1 += 13) {
            const Range q{q0, q1 - q0}, k{k0, k1 - k0};
            std::vector<int> got(static_cast<size_t>(S * S), 0);
            for (const MaskRegion& c : clip_regions(regions, q, k)) {
              ASSERT_EQ(tile_mask_error(c.mask, c.q.size, c.k.size), "") << to_string(p.mask);
              std::vector<int> col(static_cast<size_t>(c.k.size), 0);
              for (int64_t t = c.q.begin; t < c.q.end(); ++t) {
                int64_t first = 0, last = 0;
                region_row_keys(c, t, &first, &last);
                ASSERT_LT(first, last) << to_string(p.mask) << " a row of a clipped piece sees no key";
                for (int64_t u = first; u < last; ++u) {
                  ++got[static_cast<size_t>(t * S + u)];
                  col[static_cast<size_t>(u - c.k.begin)] = 1;
                }
              }
              for (int seen : col) ASSERT_EQ(seen, 1) << to_string(p.mask) << " a key of a clipped piece is never seen";
              if (c.mask.causal) {
                EXPECT_NE(tile_pairs(c.mask, c.q.size, c.k.size), double(c.q.size * c.k.size));
              }
            }
            for (int64_t t = 0; t < S; ++t)
              for (int64_t u = 0; u < S; ++u) {
                const bool inside = t >= q0 && t < q1 && u >= k0 && u < k1;
                ASSERT_EQ(got[static_cast<size_t>(t * S + u)], inside && naive_allows(p, t, u) ? 1 : 0)
                    << to_string(p.mask) << " q " << q0 << ".." << q1 << " k " << k0 << ".." << k1 << " at " << t
                    << ", " << u;
              }
          }
  }
}

TEST(MaskRegions, RowKeysAreSortedRanges) {
  Problem p = masked(Mask::GlobalLocal, 64);
  const std::vector<MaskRegion> regions = mask_regions(p);
  std::vector<std::pair<int64_t, int64_t>> keys;
  mask_row_keys(regions, 20, &keys);  // block 5: the global column, then its own block
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], std::make_pair(int64_t{0}, int64_t{4}));
  EXPECT_EQ(keys[1], std::make_pair(int64_t{20}, int64_t{24}));
}

// mask_key_rows is the transpose of mask_row_keys: for every key, exactly the queries whose
// key ranges hold it, as maximal runs (adjacent ranges merged), appended after what `out` held.
TEST(MaskRegions, KeyRowsTransposeRowKeys) {
  using Ranges = std::vector<std::pair<int64_t, int64_t>>;
  for (int64_t S : {64, 75, 101})  // a multiple of every block count, and two that are not
    for (const Problem& p : mask_cases(S)) {
      const std::vector<MaskRegion> regions = mask_regions(p);
      std::vector<char> sees(static_cast<size_t>(S * S), 0);  // [t * S + u]: query t sees key u
      for (int64_t t = 0; t < S; ++t) {
        Ranges keys;
        mask_row_keys(regions, t, &keys);
        for (const auto& [first, last] : keys)
          for (int64_t u = first; u < last; ++u) sees[static_cast<size_t>(t * S + u)] = 1;
      }
      for (int64_t u = 0; u < S; ++u) {
        Ranges want{{-7, -3}};  // what `out` held before: kept
        for (int64_t t = 0; t < S; ++t) {
          if (!sees[static_cast<size_t>(t * S + u)]) continue;
          if (want.size() > 1 && want.back().second == t)
            ++want.back().second;
          else
            want.emplace_back(t, t + 1);
        }
        Ranges got{{-7, -3}};
        mask_key_rows(regions, u, &got);
        ASSERT_EQ(got, want) << to_string(p.mask) << " S=" << S << " key " << u;
      }
    }
}

std::string error_of(const Problem& p) {
  const Reason e = mask_error(p);
  return e ? *e : "";
}

TEST(MaskRegions, BadParametersAreNamed) {
  Problem p = masked(Mask::Strided, 8);
  EXPECT_EQ(error_of(p), "mask_blocks 16 exceeds S=8 tokens");
  p.S = 64;
  p.mask_params.group = 5;
  EXPECT_EQ(error_of(p), "mask_group 5 must divide mask_blocks 16");
  p = masked(Mask::Document, 64);
  p.mask_params.doc_tokens = {30, 30};
  EXPECT_EQ(error_of(p), "mask_doc_tokens sum to 60 tokens, not S=64");
  p.mask_params.doc_tokens = {64, 0};
  EXPECT_EQ(error_of(p), "mask_doc_tokens[1] is 0; documents have >= 1 token");
  const int64_t big = int64_t{1} << 62;  // four of them wrap around to 0 in int64
  p.mask_params.doc_tokens = {big, big, big, big + 64};
  EXPECT_EQ(error_of(p), "mask_doc_tokens sum to more than S=64 tokens");
  p = masked(Mask::Strided, 1 << 20);
  p.mask_params.blocks = 8192;
  p.mask_params.group = 1;
  EXPECT_EQ(error_of(p), "mask_blocks 8192 exceeds 4096");
  p = masked(Mask::BlockCausal, 10);
  EXPECT_EQ(error_of(p), "mask_frames 21 exceeds S=10 tokens");
  p = masked(Mask::SlidingWindow, 64);
  p.mask_params.window = 0;
  EXPECT_EQ(error_of(p), "mask_window is 0; allowed: integers >= 1");
  p = masked(Mask::Table, 64);
  EXPECT_NE(error_of(p).find("the table is empty"), std::string::npos);
  p.mask_params.table = {{1, 0}, {1}};
  EXPECT_EQ(error_of(p), "mask table: row 1 of the table has 1 cells; the table has 2 rows and must be square");
  p.mask_params.table = {{1, 3}, {1, 1}};
  EXPECT_EQ(error_of(p), "mask table: cell [0][1] is 3; allowed: 0 (empty), 1 (full), 2 (causal)");
  p.mask_params.table = {{1, 0}, {0, 0}};
  EXPECT_EQ(error_of(p), "mask table: row 1 of the table is empty: its queries would see no key");
  EXPECT_THROW(mask_regions(p), std::invalid_argument);
}

}  // namespace
}  // namespace cpb
