// expand(): cartesian product in axis order, folding of option axes a schedule does not
// read, de-duplication, skip rules, unsupported() skips, world sizes and params().
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "bench/config/config.hpp"
#include "bench/config/schema.hpp"
#include "bench/schedule.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

using nlohmann::json;

class ConfigExpand : public ConfigTest {
 protected:
  std::vector<Point> points(const std::string& axes, int P, const std::string& extra = "",
                            const std::string& filter = "") const {
    return expand(load(axes, extra), P, filter);
  }
};

bool reads(const std::string& schedule, const std::string& axis) {
  return cfg::schedule_reads(schedule, *cfg::find_axis(axis));
}

TEST_F(ConfigExpand, CartesianProduct) {
  const auto p = points(R"("schedule": "ulysses", "S": [256, 512], "H": [4, 8], "D": 16,
                           "mask": ["full", "causal"], "dtype": ["bf16", "fp16"])",
                        2);
  EXPECT_EQ(p.size(), 16u);
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i].index, static_cast<int>(i));
}

TEST_F(ConfigExpand, ProblemAxesOutermostScheduleInnermost) {
  const auto p = points(R"("schedule": ["ulysses", "ring"], "S": [256, 512], "H": 4, "D": 16,
                           "mask": ["full", "causal"])",
                        2);
  std::vector<std::tuple<int64_t, std::string, std::string>> got;
  for (const Point& x : p) got.emplace_back(x.problem.S, to_string(x.problem.mask), x.schedule);
  const std::vector<std::tuple<int64_t, std::string, std::string>> want = {
      {256, "full", "ulysses"}, {256, "full", "ring"}, {256, "causal", "ulysses"}, {256, "causal", "ring"},
      {512, "full", "ulysses"}, {512, "full", "ring"}, {512, "causal", "ulysses"}, {512, "causal", "ring"}};
  EXPECT_EQ(got, want);
}

TEST_F(ConfigExpand, ScheduleComesBeforeItsOptions) {
  // walk() folds option axes by the schedule already picked: the schedule must be outer.
  const auto& specs = cfg::axis_specs();
  const size_t sched = static_cast<size_t>(cfg::find_axis("schedule") - specs.data());
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].option) {
      EXPECT_GT(i, sched) << specs[i].name;
    }
  }
}

TEST_F(ConfigExpand, OptionAxesFoldForSchedulesThatDoNotReadThem) {
  const auto p =
      points(R"("schedule": ["ulysses", "hcms"], "S": 256, "H": 8, "D": 16, "chunks": [1, 2, 4])", 2);
  ASSERT_EQ(p.size(), 4u);  // ulysses once, hcms three times
  EXPECT_EQ(p[0].schedule, "ulysses");
  EXPECT_EQ(p[0].problem.chunks, 1);
  EXPECT_FALSE(p[0].params().contains("chunks"));
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(p[i].schedule, "hcms");
    EXPECT_EQ(p[i].params()["chunks"], (std::vector<int>{1, 2, 4}[i - 1]));
  }
}

TEST_F(ConfigExpand, EveryOptionAxisFolds) {
  const auto p = points(R"("schedule": ["ulysses", "ring", "hcms", "usp"], "S": 256, "H": 8, "D": 16,
                           "chunks": [3, 4], "usp_u": [1, 2], "comm_order": ["interleaved", "inputs_first"],
                           "chunk_shape": ["even", "taper"], "comm_lanes": [1, 2])",
                        2);
  for (const char* s : {"ulysses", "ring", "hcms", "usp"}) {
    size_t want = 1;
    for (const char* axis : {"chunks", "usp_u", "comm_order", "chunk_shape", "comm_lanes"})
      want *= reads(s, axis) ? 2 : 1;
    EXPECT_EQ(std::count_if(p.begin(), p.end(), [&](const Point& x) { return x.schedule == s; }),
              static_cast<long>(want))
        << s;
  }
}

TEST_F(ConfigExpand, DuplicatesRunOnce) {
  EXPECT_EQ(points(R"("schedule": ["ulysses", "ulysses"], "S": [256, 256], "H": 4, "D": 16)", 2).size(), 1u);
  EXPECT_EQ(points(R"("schedule": "hcms", "S": 256, "H": 8, "D": 16, "chunks": [2, 2])", 2).size(), 1u);
}

TEST_F(ConfigExpand, ChunkHeadsOverrideChunks) {
  if (!reads("hcms", "chunk_heads")) GTEST_SKIP() << "hcms does not read chunk_heads";
  const auto p = points(R"("schedule": "hcms", "S": 256, "H": 8, "D": 16, "chunks": [1, 2, 4],
                           "chunk_heads": [[2, 2], [3, 1]])",
                        2);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].problem.chunk_heads, (std::vector<int>{2, 2}));
  EXPECT_EQ(p[1].problem.chunk_heads, (std::vector<int>{3, 1}));
  for (const Point& x : p) {
    EXPECT_EQ(x.problem.chunks, 2);
    EXPECT_EQ(x.params()["chunks"], 2);
  }
  EXPECT_EQ(p[1].params()["chunk_heads"], json::parse("[3, 1]"));
}

TEST_F(ConfigExpand, ChunksAuto) {
  const auto p = points(R"("schedule": ["ulysses", "hcms"], "S": 256, "H": 8, "D": 16, "chunks": ["auto", 2])", 2);
  ASSERT_EQ(p.size(), 3u);  // ulysses once, hcms auto and 2
  EXPECT_FALSE(p[0].problem.chunks_auto);
  EXPECT_TRUE(p[1].problem.chunks_auto);
  EXPECT_EQ(p[1].problem.chunks, 1);  // until the runner's calibration chooses
  EXPECT_EQ(p[1].params()["chunks"], "auto");
  EXPECT_FALSE(p[2].problem.chunks_auto);
  EXPECT_EQ(p[2].params()["chunks"], 2);
  EXPECT_EQ(p[1].skip_reason, "");
  // An explicit head split replaces "auto" as it replaces a count.
  const auto q = points(R"("schedule": "hcms", "S": 256, "H": 8, "D": 16, "chunks": ["auto", 2],
                           "chunk_heads": [3, 1])",
                        2);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_FALSE(q[0].problem.chunks_auto);
  EXPECT_EQ(q[0].params()["chunks"], 2);
  // Filters and skip rules see "auto".
  EXPECT_EQ(points(R"("schedule": "hcms", "S": 256, "H": 8, "D": 16, "chunks": ["auto", 2, 4])", 2, "",
                   "chunks=auto")
                .size(),
            1u);
  EXPECT_EQ(points(R"("schedule": "hcms", "S": 256, "H": 8, "D": 16, "chunks": ["auto", 2, 4])", 2, "", "chunks>=2")
                .size(),
            2u);
  const auto skipped = points(R"("schedule": "hcms", "S": 256, "H": 8, "D": 16, "chunks": ["auto", 2])", 2,
                              R"("skip": [{"if": {"chunks": "auto"}, "reason": "later"}])");
  EXPECT_EQ(skipped[0].skip_reason, "later");
  EXPECT_EQ(skipped[1].skip_reason, "");
}

TEST_F(ConfigExpand, ChunkShapeAndCommLanes) {
  const auto p = points(R"("schedule": ["ulysses", "hcms"], "S": 256, "H": 8, "D": 16, "chunks": [2, 3, "auto"],
                           "chunk_shape": ["even", "taper"], "comm_lanes": [1, 2])",
                        2);
  // ulysses folds all three; hcms: C=2 taper is C=2 even (2 points), C=3 and auto 4 each.
  ASSERT_EQ(p.size(), 11u);
  EXPECT_EQ(p[0].schedule, "ulysses");
  EXPECT_EQ(p[0].problem.comm_lanes, 1);
  EXPECT_EQ(p[0].problem.chunk_shape, ChunkShape::Even);
  std::vector<std::string> got;
  for (size_t i = 1; i < p.size(); ++i) got.push_back(p[i].params().dump());
  // Defaults (even, one lane) are left out of params, so older records keep theirs.
  auto params = [&](const std::string& chunks, const std::string& shape, int lanes) {
    json j = p[1].params();
    j["chunks"] = json::parse(chunks);
    j.erase("chunk_shape");
    j.erase("comm_lanes");
    if (shape != "even") j["chunk_shape"] = shape;
    if (lanes != 1) j["comm_lanes"] = lanes;
    return j.dump();
  };
  const std::vector<std::string> want = {
      params("2", "even", 1),      params("2", "even", 2),      params("3", "even", 1),
      params("3", "even", 2),      params("3", "taper", 1),     params("3", "taper", 2),
      params("\"auto\"", "even", 1), params("\"auto\"", "even", 2), params("\"auto\"", "taper", 1),
      params("\"auto\"", "taper", 2)};
  EXPECT_EQ(got, want);
  EXPECT_EQ(p[6].problem.chunk_shape, ChunkShape::Taper);
  EXPECT_EQ(p[6].problem.comm_lanes, 2);
  EXPECT_FALSE(p[1].params().contains("chunk_shape"));
  EXPECT_FALSE(p[1].params().contains("comm_lanes"));
}

TEST_F(ConfigExpand, ProblemFields) {
  const auto p = points(R"("schedule": "ulysses", "S": 384, "H": 8, "Hkv": [8, 2], "D": 32, "B": 2,
                           "mask": "causal", "dtype": "fp16", "transport": "ce", "profile": "pcie")",
                        4);
  ASSERT_EQ(p.size(), 2u);
  const Problem& a = p[1].problem;
  EXPECT_EQ(a.P, 4);
  EXPECT_EQ(a.S, 384);
  EXPECT_EQ(a.H, 8);
  EXPECT_EQ(a.Hkv, 2);
  EXPECT_EQ(a.D, 32);
  EXPECT_EQ(a.B, 2);
  EXPECT_EQ(a.mask, Mask::Causal);
  EXPECT_EQ(a.dtype, DType::FP16);
  EXPECT_EQ(p[1].transport, TransportKind::Ce);
  EXPECT_EQ(p[1].profile, Profile::Pcie);
  EXPECT_EQ(points(kBaseAxes, 2)[0].problem.Hkv, 4);  // absent: equal to H
}

TEST_F(ConfigExpand, ParamsShape) {
  const auto p =
      points(R"("schedule": ["ulysses", "hcms", "usp"], "S": 256, "H": 8, "D": 16, "usp_u": 2)", 4);
  ASSERT_EQ(p.size(), 3u);
  const std::set<std::string> base = {"P", "S",    "H",     "Hkv",       "D",
                                      "B", "mask", "dtype", "transport", "profile"};
  for (const Point& x : p) {
    const json params = x.params();
    std::set<std::string> keys, want = base;
    for (const auto& kv : params.items()) keys.insert(kv.key());
    for (const char* axis : {"chunks", "usp_u", "comm_order"})
      if (reads(x.schedule, axis)) want.insert(axis);
    EXPECT_EQ(keys, want) << x.schedule;
  }
  const json u = p[0].params();
  EXPECT_EQ(u, json::parse(R"({"P": 4, "S": 256, "H": 8, "Hkv": 8, "D": 16, "B": 1, "mask": "full",
                               "dtype": "bf16", "transport": "auto", "profile": "nvlink"})"));
  EXPECT_TRUE(p[1].params().contains("chunks"));  // always there for hcms
  EXPECT_FALSE(p[1].params().contains("chunk_heads"));
}

TEST_F(ConfigExpand, SkipRules) {
  const auto p =
      points(R"("schedule": ["ulysses", "ring"], "S": 256, "H": 4, "D": 16, "mask": ["full", "causal"])", 2,
             R"("skip": [{"if": {"schedule": "ring", "mask": "causal"}, "reason": "first"},
                                       {"if": {"mask": ["causal"]}, "reason": "second"}])");
  ASSERT_EQ(p.size(), 4u);  // skipped points stay in the list
  EXPECT_EQ(p[0].skip_reason, "");
  EXPECT_EQ(p[1].skip_reason, "");
  EXPECT_EQ(p[2].skip_reason, "second");  // ulysses causal
  EXPECT_EQ(p[3].skip_reason, "first");   // ring causal: the first matching rule wins
}

TEST_F(ConfigExpand, SkipRuleOnWorldSize) {
  const std::string skip = R"("skip": [{"if": {"P": [3, 4]}, "reason": "small machines only"}])";
  EXPECT_EQ(points(kBaseAxes, 2, skip)[0].skip_reason, "");
  EXPECT_EQ(points(kBaseAxes, 4, skip)[0].skip_reason, "small machines only");
}

TEST_F(ConfigExpand, SkipRuleOnAnOptionMatchesOnlySchedulesThatReadIt) {
  const auto p = points(R"("schedule": ["ulysses", "hcms"], "S": 256, "H": 8, "D": 16, "chunks": [1, 2])", 2,
                        R"("skip": [{"if": {"chunks": 1}, "reason": "C=1 is Ulysses"}])");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].skip_reason, "");  // ulysses: no chunks
  EXPECT_EQ(p[1].skip_reason, "C=1 is Ulysses");
  EXPECT_EQ(p[2].skip_reason, "");
}

TEST_F(ConfigExpand, UnsupportedPointsAreSkippedAndRuleTextWins) {
  // zigzag_ring cuts S into 2P chunks: S = 100 does not split into 8.
  const std::string axes = R"("schedule": "zigzag_ring", "S": 100, "H": 4, "D": 16, "mask": "causal")";
  const auto plain = points(axes, 4);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_NE(plain[0].skip_reason, "");
  EXPECT_EQ(*find_schedule("zigzag_ring")->unsupported(plain[0].problem), plain[0].skip_reason);
  EXPECT_EQ(points(axes, 4, R"("skip": [{"if": {"S": 100}, "reason": "by rule"}])")[0].skip_reason,
            "by rule");
}

TEST_F(ConfigExpand, WorldSize) {
  const SweepConfig c = load(kBaseAxes, R"("world_size": [3, 4])");
  EXPECT_EQ(
      usage_error([&] { expand(c, 2, ""); }),
      (dir_ / "c.json").string() + ": world_size: 2 (the MPI world size) is not allowed; allowed: 3, 4");
  EXPECT_EQ(expand(c, 3, "").size(), 1u);
  EXPECT_EQ(expand(load(kBaseAxes), 7, "").size(), 1u);  // no world_size: any
}

TEST_F(ConfigExpand, FilterKeepsMatchingPointsAndRenumbers) {
  const std::string axes =
      R"("schedule": ["ulysses", "hcms"], "S": [256, 512], "H": 8, "D": 16, "chunks": [1, 2])";
  const auto p = points(axes, 2, "", "schedule=hcms,S>=512");
  ASSERT_EQ(p.size(), 2u);
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_EQ(p[i].index, static_cast<int>(i));
    EXPECT_EQ(p[i].schedule, "hcms");
    EXPECT_EQ(p[i].problem.S, 512);
  }
  EXPECT_EQ(points(axes, 2, "", "chunks=2").size(), 2u);   // ulysses has no chunks
  EXPECT_EQ(points(axes, 2, "", "chunks!=2").size(), 4u);  // ...so it is kept by !=
  EXPECT_TRUE(contains(usage_error([&] { points(axes, 2, "", "S<<3"); }), "--filter"));
}

}  // namespace
}  // namespace cpb::test
