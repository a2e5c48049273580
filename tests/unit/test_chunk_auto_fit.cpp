// chunks "auto": the fit of T(C) = A + X / C + beta C and the choice of C, on synthetic
// times whose right answer is known.
#include <gtest/gtest.h>

#include "bench/schedules/hcms_chunks_auto.hpp"

namespace cpb {
namespace {

std::vector<ChunkSample> samples_of(const ChunkFit& model, const std::vector<int>& counts) {
  std::vector<ChunkSample> out;
  for (int c : counts) out.push_back(ChunkSample{c, model.at(c)});
  return out;
}

TEST(ChunkAutoFit, RecoversAnExactModel) {
  // sqrt(X / beta) = sqrt(12 / 0.75) = 4.
  const ChunkFit f = fit_chunk_model(samples_of(ChunkFit{2, 12, 0.75}, {1, 2, 4, 8}), 99);
  EXPECT_NEAR(f.A_ms, 2, 1e-9);
  EXPECT_NEAR(f.X_ms, 12, 1e-9);  // fitted, not t_comm
  EXPECT_NEAR(f.beta_ms, 0.75, 1e-9);
  EXPECT_EQ(best_chunks(f, 8), 4);
  // Three counts determine the model exactly too.
  const ChunkFit g = fit_chunk_model(samples_of(ChunkFit{5, 30, 2}, {1, 2, 3}), 0);
  EXPECT_NEAR(g.A_ms, 5, 1e-9);
  EXPECT_NEAR(g.X_ms, 30, 1e-9);
  EXPECT_NEAR(g.beta_ms, 2, 1e-9);
}

TEST(ChunkAutoFit, IsTheLeastSquaresFitOfNoisyTimes) {
  // Residuals of a least-squares fit are orthogonal to every basis function (1, 1/C, C).
  const std::vector<ChunkSample> s = {{1, 10.3}, {2, 7.1}, {4, 6.4}, {6, 7.0}};
  const ChunkFit f = fit_chunk_model(s, 0);
  double r1 = 0, r_inv = 0, r_c = 0, sum_sq = 0;
  for (const ChunkSample& x : s) {
    const double r = x.time_ms - f.at(x.chunks);
    r1 += r;
    r_inv += r / x.chunks;
    r_c += r * x.chunks;
    sum_sq += r * r;
  }
  EXPECT_NEAR(r1, 0, 1e-9);
  EXPECT_NEAR(r_inv, 0, 1e-9);
  EXPECT_NEAR(r_c, 0, 1e-9);
  EXPECT_GT(sum_sq, 1e-6);  // the times are not on any such curve
  // Any other parameters fit worse.
  for (double d : {-0.01, 0.01}) {
    double worse = 0;
    for (const ChunkSample& x : s) {
      const double r = x.time_ms - ChunkFit{f.A_ms, f.X_ms + d, f.beta_ms}.at(x.chunks);
      worse += r * r;
    }
    EXPECT_GT(worse, sum_sq);
  }
}

TEST(ChunkAutoFit, FewerThanThreeCountsFixXToTheCommTime) {
  const ChunkFit two = fit_chunk_model(samples_of(ChunkFit{3, 2, 0.5}, {1, 2}), 2);
  EXPECT_NEAR(two.X_ms, 2, 1e-12);
  EXPECT_NEAR(two.A_ms, 3, 1e-9);
  EXPECT_NEAR(two.beta_ms, 0.5, 1e-9);
  const ChunkFit one = fit_chunk_model({{1, 5.5}}, 2);
  EXPECT_DOUBLE_EQ(one.X_ms, 2);
  EXPECT_DOUBLE_EQ(one.A_ms, 3.5);
  EXPECT_DOUBLE_EQ(one.beta_ms, 0);
}

TEST(ChunkAutoFit, RoundsToTheNeighbourTheModelFindsFaster) {
  // sqrt(12.1) = 3.48 rounds to 3, but T(4) = 7.025 < T(3) = 7.033.
  EXPECT_EQ(best_chunks(ChunkFit{0, 12.1, 1}, 8), 4);
  // sqrt(11.9) = 3.45: T(3) = 6.967 < T(4) = 6.975.
  EXPECT_EQ(best_chunks(ChunkFit{0, 11.9, 1}, 8), 3);
  // sqrt(12) = 3.46: T(3) = T(4) = 7; the smaller wins the tie.
  EXPECT_EQ(best_chunks(ChunkFit{0, 12, 1}, 8), 3);
  EXPECT_EQ(best_chunks(ChunkFit{0, 16, 1}, 8), 4);  // exact
}

TEST(ChunkAutoFit, ClampsToTheRange) {
  EXPECT_EQ(best_chunks(ChunkFit{0, 100, 1}, 6), 6);  // sqrt = 10
  EXPECT_EQ(best_chunks(ChunkFit{0, 0.1, 1}, 6), 1);  // sqrt = 0.32
  EXPECT_EQ(best_chunks(ChunkFit{0, 100, 1}, 1), 1);
}

TEST(ChunkAutoFit, DegenerateSigns) {
  EXPECT_EQ(best_chunks(ChunkFit{1, 5, 0}, 6), 6);     // no per-chunk cost: as many as allowed
  EXPECT_EQ(best_chunks(ChunkFit{1, 5, -0.2}, 6), 6);
  EXPECT_EQ(best_chunks(ChunkFit{1, 0, 0.3}, 6), 1);   // nothing exposed: one chunk
  EXPECT_EQ(best_chunks(ChunkFit{1, -2, 0.3}, 6), 1);
  // Both <= 0: the faster end. T(1) = -2, T(6) = -6.17.
  EXPECT_EQ(best_chunks(ChunkFit{0, -1, -1}, 6), 6);
  // T(1) = -10.1, T(4) = -2.9.
  EXPECT_EQ(best_chunks(ChunkFit{0, -10, -0.1}, 4), 1);
  EXPECT_EQ(best_chunks(ChunkFit{0, 0, 0}, 4), 1);  // a tie: the smaller
}

TEST(ChunkAutoFit, Candidates) {
  EXPECT_EQ(chunk_candidates(1), std::vector<int>{1});
  EXPECT_EQ(chunk_candidates(2), (std::vector<int>{1, 2}));
  EXPECT_EQ(chunk_candidates(3), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(chunk_candidates(4), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(chunk_candidates(20), (std::vector<int>{1, 2, 4, 20}));
}

TEST(ChunkAutoFit, MaxChunksIsTheFewestHeadsOfARank) {
  Problem p;
  p.P = 4;
  p.H = 10;  // ranks hold 3, 3, 2, 2
  EXPECT_EQ(max_auto_chunks(p), 2);
  p.P = 2;
  p.H = 40;
  EXPECT_EQ(max_auto_chunks(p), 20);
}

TEST(ChunkAutoFit, CalibrationSettingsAreShortButNotNoisy) {
  MeasureSettings m;
  m.warmup = 3;
  m.iterations = 20;
  m.min_iterations = 10;
  m.max_seconds = 60;
  const MeasureSettings c = calibration_settings(m);
  EXPECT_EQ(c.warmup, 1);
  EXPECT_EQ(c.iterations, 20);
  EXPECT_EQ(c.min_iterations, 5);
  EXPECT_DOUBLE_EQ(c.max_seconds, 20);
  m.warmup = 0;
  m.iterations = 2;
  EXPECT_EQ(calibration_settings(m).warmup, 0);
  EXPECT_EQ(calibration_settings(m).iterations, 2);
  EXPECT_EQ(calibration_settings(m).min_iterations, 2);
}

}  // namespace
}  // namespace cpb
