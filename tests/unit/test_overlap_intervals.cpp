// The intervals of rho, bound and eta (overlap_intervals.hpp, through
// fill_derived_metrics) on synthetic records: with parts in every round they exist and
// hold their point estimates, the parts' spread widens eta's interval over the one with
// exact parts, one round gives the iterations' interval, and a record whose rounds carry
// no parts (a file written before they were timed every round) gets eta_ci only.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/report/intervals.hpp"
#include "bench/report/metrics.hpp"
#include "bench/report/overlap_intervals.hpp"
#include "bench/report/point_record.hpp"
#include "bench/report/stats.hpp"

namespace cpb {
namespace {

using nlohmann::json;

// Samples around `x`: x (1 - spread), x, x (1 + spread), x (1 + spread / 2).
std::vector<double> around(double x, double spread) {
  return {x * (1 - spread), x, x * (1 + spread), x * (1 + spread / 2)};
}

// A PASSing record of `schedule` over NCCL whose round k has loop, compute-only and
// comm-only samples around t[k], comp[k] and comm[k], its record-level figures taken
// from the rounds as the sweep takes them.
json record(const std::string& schedule, int index, const std::vector<double>& t, const std::vector<double>& comp,
            const std::vector<double>& comm) {
  json params = {{"P", 2},
                 {"S", 1024},
                 {"H", 8},
                 {"Hkv", 8},
                 {"D", 64},
                 {"B", 1},
                 {"mask", "full"},
                 {"dtype", "bf16"},
                 {"transport", "nccl"},
                 {"profile", "nvlink"}};
  if (schedule == "hcms") params["chunks"] = 4;
  json rounds = json::array();
  std::vector<std::vector<double>> loops;
  std::vector<double> comps, comms;
  for (size_t k = 0; k < t.size(); ++k) {
    RoundRecord round;
    round.samples = around(t[k], 0.01);
    round.stats = summarize(round.samples);
    round.comp_samples = around(comp[k], 0.01);
    round.comp_ms = summarize(round.comp_samples).p50;
    round.comm_samples = around(comm[k], 0.01);
    round.comm_ms = summarize(round.comm_samples).p50;
    loops.push_back(round.samples);
    comps.push_back(*round.comp_ms);
    comms.push_back(*round.comm_ms);
    rounds.push_back(round);
  }
  return {{"index", index},
          {"schedule", schedule},
          {"params", params},
          {"runtime", "cuda"},
          {"status", "PASS"},
          {"time_ms", summarize_rounds(loops)},
          {"rounds", rounds},
          {"comp_ms", summarize(comps).p50},
          {"comm_ms", summarize(comms).p50}};
}

// The same record as a file written before the parts were timed every round holds it.
json without_round_parts(json r) {
  for (json& round : r["rounds"])
    for (const char* k : {"comp_ms", "comp_samples", "comm_ms", "comm_samples"}) round.erase(k);
  return r;
}

double width(const json& ci) { return ci["hi"].get<double>() - ci["lo"].get<double>(); }

void expect_holds(const json& r, const char* figure, const char* ci) {
  ASSERT_TRUE(r.contains(ci)) << figure << ": " << r.dump();
  const double x = r[figure].get<double>();
  EXPECT_LE(r[ci]["lo"].get<double>(), x) << figure;
  EXPECT_GE(r[ci]["hi"].get<double>(), x) << figure;
  EXPECT_LT(r[ci]["lo"].get<double>(), r[ci]["hi"].get<double>()) << figure;
}

// Ulysses at 18 ms with parts 10 + 5 ms, HCMS at 12 ms with the same parts; the parts
// move by 5-10% between rounds, the loops less.
std::vector<json> group(bool round_parts) {
  std::vector<json> rs = {record("ulysses", 0, {18, 18.2, 17.9}, {10, 10.5, 9.6}, {5, 5.5, 4.8}),
                          record("hcms", 1, {12, 12.1, 11.9}, {10, 10.6, 9.5}, {5, 5.4, 4.7})};
  if (!round_parts)
    for (json& r : rs) r = without_round_parts(r);
  fill_derived_metrics(rs);
  return rs;
}

TEST(OverlapIntervals, PartsInEveryRoundGiveRhoBoundAndEtaIntervalsHoldingTheirEstimates) {
  const std::vector<json> rs = group(true);
  for (const json& r : rs) {
    expect_holds(r, "rho", "rho_ci");
    expect_holds(r, "bound", "bound_ci");
  }
  EXPECT_EQ(rs[0]["rho_ci"], rs[1]["rho_ci"]) << "rho is the problem's: one source, one interval";
  EXPECT_FALSE(rs[0].contains("eta_ci")) << "serial Ulysses: eta 0 by construction";
  expect_holds(rs[1], "eta", "eta_ci");
}

TEST(OverlapIntervals, ThePartsSpreadWidensEtasInterval) {
  const std::vector<json> with = group(true), without = group(false);
  // The estimates do not depend on where the parts are kept.
  EXPECT_DOUBLE_EQ(with[1]["eta"].get<double>(), without[1]["eta"].get<double>());
  EXPECT_DOUBLE_EQ(with[1]["rho"].get<double>(), without[1]["rho"].get<double>());
  ASSERT_TRUE(without[1].contains("eta_ci"));
  EXPECT_GT(width(with[1]["eta_ci"]), 1.5 * width(without[1]["eta_ci"]))
      << with[1]["eta_ci"] << " against " << without[1]["eta_ci"];
}

TEST(OverlapIntervals, AFileWithoutRoundPartsLoadsAndHasNoRhoOrBoundInterval) {
  const std::vector<json> rs = group(false);
  for (const json& r : rs) {
    EXPECT_FALSE(r.contains("rho_ci"));
    EXPECT_FALSE(r.contains("bound_ci"));
    EXPECT_FALSE(parts_every_round(r));
    const PointRecord back = r.get<PointRecord>();
    EXPECT_FALSE(back.rounds->front().comp_ms);
    EXPECT_TRUE(back.rounds->front().comp_samples.empty());
  }
  expect_holds(rs[1], "eta", "eta_ci");
}

TEST(OverlapIntervals, OneRoundGivesTheIterationsInterval) {
  std::vector<json> rs = {record("ulysses", 0, {18}, {10}, {5}), record("hcms", 1, {12}, {10}, {5})};
  fill_derived_metrics(rs);
  for (const json& r : rs) {
    expect_holds(r, "rho", "rho_ci");
    expect_holds(r, "bound", "bound_ci");
  }
  expect_holds(rs[1], "eta", "eta_ci");
  // Iterations spread by 1%: rho = comm / T, 5 / 18, moves by about that much, not more.
  EXPECT_LT(width(rs[1]["rho_ci"]), 0.03 * rs[1]["rho"].get<double>());
}

}  // namespace
}  // namespace cpb
