// best_of: the best of N variants is chosen on the odd rounds and reported on the even
// ones, so a variant that was lucky in the rounds it was chosen on is reported at its
// time in the others; without two rounds everywhere, the choice and the figure share
// the rounds and the result says so.
#include <gtest/gtest.h>

#include <vector>

#include "bench/report/best_of.hpp"
#include "bench/report/metrics.hpp"
#include "bench/report/stats.hpp"

namespace cpb {
namespace {

// A PASS record of `schedule` at S=1024 (nccl) whose round k has samples around times[k].
nlohmann::json record(const std::string& schedule, int chunks, const std::vector<double>& times) {
  nlohmann::json params = {{"P", 2}, {"S", 1024}, {"H", 8}, {"transport", "nccl"}};
  if (chunks) params["chunks"] = chunks;
  nlohmann::json r = {{"schedule", schedule}, {"params", params}, {"status", "PASS"}};
  std::vector<std::vector<double>> rounds;
  for (double t : times) {
    const std::vector<double> s = {t * 0.999, t, t * 1.001};
    rounds.push_back(s);
    nlohmann::json round = summarize(s);
    round["samples"] = s;
    r["rounds"].push_back(round);
  }
  r["time_ms"] = summarize_rounds(rounds);
  return r;
}

std::vector<nlohmann::json> sweep(const std::vector<double>& lucky, const std::vector<double>& steady) {
  std::vector<nlohmann::json> all = {record("ulysses", 0, std::vector<double>(lucky.size(), 10)),
                                     record("hcms", 2, lucky), record("hcms", 3, steady)};
  fill_derived_metrics(all);
  return all;
}

TEST(BestOf, ChosenOnOddRoundsReportedOnEvenOnes) {
  // C=2 is fast in rounds 1 and 3 only; C=3 is steady at 9 ms.
  const std::vector<nlohmann::json> all = sweep({8, 10, 8, 10}, {9, 9, 9, 9});
  const auto b = best_of({&all[1], &all[2]}, all);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->held_out);
  EXPECT_EQ(b->variants, 2);
  EXPECT_EQ(b->chosen, &all[1]);  // chosen on rounds 1 and 3, where it ran 8 ms
  EXPECT_NEAR(b->speedup, 1.0, 1e-9);  // rounds 2 and 4: 10 ms, as fast as Ulysses
  ASSERT_TRUE(b->ci);
  EXPECT_TRUE(b->ci->contains(1.0));
  // Over all rounds it would have been called 1.11x: the bias the held-out rounds remove.
  EXPECT_GT(all[1]["speedup"]["vs_ulysses"].get<double>(), 1.1);
}

TEST(BestOf, OneRoundIsLabelledAsTheSameRounds) {
  const std::vector<nlohmann::json> all = sweep({8}, {9});
  const auto b = best_of({&all[1], &all[2]}, all);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->held_out);
  EXPECT_EQ(b->chosen, &all[1]);
  EXPECT_NEAR(b->speedup, 10.0 / 8, 1e-9);
}

// Three rounds (the GPU default) would leave one round to report on: its interval would
// rest on one loop's iterations, so the line is labelled instead.
TEST(BestOf, ThreeRoundsAreLabelledAsTheSameRounds) {
  const std::vector<nlohmann::json> all = sweep({8, 10, 8}, {9, 9, 9});
  const auto b = best_of({&all[1], &all[2]}, all);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->held_out);
}

TEST(BestOf, NeedsTwoCandidatesWithAReference) {
  const std::vector<nlohmann::json> all = sweep({8, 9}, {9, 9});
  EXPECT_FALSE(best_of({&all[1]}, all));
  const std::vector<nlohmann::json> no_ulysses = {all[1], all[2]};
  EXPECT_FALSE(best_of({&no_ulysses[0], &no_ulysses[1]}, no_ulysses));
}

}  // namespace
}  // namespace cpb
