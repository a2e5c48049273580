// The structure of the deterministic inputs that makes verification able to fail
// (kernels/input_values.hpp): anchors of every class in every 32 keys, neighbouring query
// rows and heads in different classes, a few anchors dominating each row's softmax.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "kernels/input_values.hpp"

namespace cpb {
namespace {

TEST(InputValues, EveryClassHasAnAnchorInEvery32Keys) {
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t hk = 0; hk < 3; ++hk)
      for (int64_t start : {int64_t{0}, int64_t{7}, int64_t{1000}, int64_t{524256}}) {
        std::vector<int> seen(kInputClasses, 0);
        for (int64_t t = start; t < start + 32; ++t)
          if (anchor_class(b, t, hk) >= 0) ++seen[static_cast<size_t>(anchor_class(b, t, hk))];
        for (int c = 0; c < kInputClasses; ++c) EXPECT_EQ(seen[static_cast<size_t>(c)], 1) << c;
      }
}

TEST(InputValues, NeighbouringRowsAndHeadsDifferInClass) {
  for (int64_t t = 0; t < 64; ++t)
    for (int64_t h = 0; h < 8; ++h) {
      EXPECT_NE(query_class(0, t, h), query_class(0, t + 1, h));
      EXPECT_NE(query_class(0, t, h), query_class(0, t, h + 1));
    }
}

TEST(InputValues, AnchorLevelsAreGeometric) {
  std::vector<int> count(kMaxLevel + 1, 0);
  for (int64_t t = 1; t < 4 * 8192; t += kAnchorEvery) ++count[static_cast<size_t>(anchor_level(0, t, 0))];
  EXPECT_NEAR(count[0], 4096, 200);
  EXPECT_NEAR(count[1], 2048, 150);
  EXPECT_NEAR(count[2], 1024, 100);
}

// The softmax of one query row over S keys, in double: its largest probability and the
// number of keys that carry half of the mass.
struct RowMass {
  double top = 0;
  int keys_for_half = 0;
};
RowMass row_mass(int64_t S, int64_t D, int64_t token, int64_t head) {
  std::vector<double> s(static_cast<size_t>(S));
  for (int64_t j = 0; j < S; ++j) {
    double dot = 0;
    for (int64_t d = 0; d < D; ++d)
      dot += static_cast<double>(input_value(Tensor::Q, 0, token, head, d, D)) * input_value(Tensor::K, 0, j, head, d, D);
    s[static_cast<size_t>(j)] = dot / std::sqrt(static_cast<double>(D));
  }
  const double m = *std::max_element(s.begin(), s.end());
  double l = 0;
  for (double& x : s) l += (x = std::exp(x - m));
  std::sort(s.begin(), s.end(), std::greater<double>());
  RowMass r;
  r.top = s[0] / l;
  for (double acc = 0; acc < 0.5 * l; ++r.keys_for_half) acc += s[static_cast<size_t>(r.keys_for_half)];
  return r;
}

TEST(InputValues, AFewAnchorsDominateButNotOne) {
  for (int64_t D : {32, 128})
    for (int64_t token : {0, 5, 4093}) {
      const RowMass r = row_mass(4096, D, token, 1);
      EXPECT_LT(r.top, 0.9) << "D " << D << " token " << token;
      EXPECT_LE(r.keys_for_half, 8) << "D " << D << " token " << token;
    }
}

}  // namespace
}  // namespace cpb
