// load_config: every key parsed, defaults filled in, verify "auto" resolved, and the
// resolved config written back for provenance.
#include <gtest/gtest.h>

#include "bench/config/config.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

using nlohmann::json;

class ConfigLoad : public ConfigTest {};

TEST_F(ConfigLoad, MinimalConfigGetsDefaults) {
  const SweepConfig c = load(kBaseAxes);
  EXPECT_EQ(c.name, "c");  // the file's stem
  EXPECT_EQ(c.description, "");
  EXPECT_TRUE(c.world_sizes.empty());
  EXPECT_EQ(c.axes["schedule"], json::array({"ulysses"}));
  EXPECT_EQ(c.axes["S"], json::array({256}));
  EXPECT_EQ(c.axes["B"], json::array({1}));
  EXPECT_EQ(c.axes["mask"], json::array({"full"}));
  EXPECT_EQ(c.axes["dtype"], json::array({"bf16"}));
  EXPECT_EQ(c.axes["chunks"], json::array({1}));
  EXPECT_EQ(c.axes["transport"], json::array({"auto"}));
  EXPECT_EQ(c.axes["profile"], json::array({"nvlink"}));
  EXPECT_EQ(c.axes["comm_order"], json::array({"interleaved"}));
  // No default value: Hkv follows H, usp_u is needed with usp only, chunk_heads follows chunks.
  EXPECT_FALSE(c.axes.contains("Hkv"));
  EXPECT_FALSE(c.axes.contains("usp_u"));
  EXPECT_FALSE(c.axes.contains("chunk_heads"));
  EXPECT_TRUE(c.skip.empty());

  EXPECT_EQ(c.measure.warmup, 2);
  EXPECT_EQ(c.measure.iterations, 10);
  EXPECT_DOUBLE_EQ(c.measure.max_seconds, 60);
  EXPECT_EQ(c.measure.min_iterations, 3);
  EXPECT_EQ(c.measure.verify, VerifyMode::Full);  // "auto" on a small sweep
  EXPECT_TRUE(c.measure.isolate);
  EXPECT_FALSE(c.measure.graph);
}

TEST_F(ConfigLoad, ReadsEveryKey) {
  const SweepConfig c = load_config(write("every.json", R"({
    "name": "every key", "description": "all of them", "world_size": [2, 4],
    "axes": {"schedule": ["ulysses", "hcms", "usp"], "S": [256, 512], "H": 8, "Hkv": [2, 4],
             "D": 32, "B": 2, "mask": ["full", "causal"], "dtype": ["fp16", "fp32"],
             "chunks": [1, 2], "chunk_heads": [[2, 1], [1, 1, 1]], "usp_u": 2,
             "transport": ["nccl", "ce", "ce_host", "mpi"], "profile": ["nvlink", "pcie"],
             "comm_order": ["interleaved", "inputs_first"]},
    "skip": [{"if": {"mask": "causal", "P": 4}, "reason": "why not"}],
    "measure": {"warmup": 0, "warmup_ms": 0, "iterations": 5, "max_seconds": 2.5, "min_iterations": 4,
                "verify": "sampled", "isolate": false, "graph": true}})"),
                                    {});
  EXPECT_EQ(c.name, "every key");
  EXPECT_EQ(c.description, "all of them");
  EXPECT_EQ(c.world_sizes, (std::vector<int>{2, 4}));
  EXPECT_EQ(c.axes["schedule"], json::array({"ulysses", "hcms", "usp"}));
  EXPECT_EQ(c.axes["S"], json::array({256, 512}));
  EXPECT_EQ(c.axes["H"], json::array({8}));
  EXPECT_EQ(c.axes["Hkv"], json::array({2, 4}));
  EXPECT_EQ(c.axes["B"], json::array({2}));
  EXPECT_EQ(c.axes["dtype"], json::array({"fp16", "fp32"}));
  EXPECT_EQ(c.axes["chunk_heads"], json::parse("[[2, 1], [1, 1, 1]]"));
  EXPECT_EQ(c.axes["usp_u"], json::array({2}));
  EXPECT_EQ(c.axes["transport"], json::array({"nccl", "ce", "ce_host", "mpi"}));
  EXPECT_EQ(c.axes["profile"], json::array({"nvlink", "pcie"}));
  EXPECT_EQ(c.axes["comm_order"], json::array({"interleaved", "inputs_first"}));
  ASSERT_EQ(c.skip.size(), 1u);
  EXPECT_EQ(c.skip[0]["if"]["mask"], json::array({"causal"}));
  EXPECT_EQ(c.skip[0]["if"]["P"], json::array({4}));
  EXPECT_EQ(c.skip[0]["reason"], "why not");
  EXPECT_EQ(c.measure.warmup, 0);
  EXPECT_EQ(c.measure.warmup_ms, 0);
  EXPECT_EQ(c.measure.iterations, 5);
  EXPECT_DOUBLE_EQ(c.measure.max_seconds, 2.5);
  EXPECT_EQ(c.measure.min_iterations, 4);
  EXPECT_EQ(c.measure.verify, VerifyMode::Sampled);
  EXPECT_FALSE(c.measure.isolate);
  EXPECT_TRUE(c.measure.graph);
}

TEST_F(ConfigLoad, ScalarWorldSizeAndIntegralFloats) {
  const SweepConfig c = load(R"("schedule": "ring", "S": 1024.0, "H": 4, "D": 16)", R"("world_size": 3)");
  EXPECT_EQ(c.world_sizes, std::vector<int>{3});
  EXPECT_EQ(c.axes["S"], json::array({1024}));
  EXPECT_TRUE(c.axes["S"][0].is_number_integer());
}

TEST_F(ConfigLoad, ChunkHeadsOneValueOrList) {
  EXPECT_EQ(load(std::string(kBaseAxes) + R"(, "chunk_heads": [2, 1, 1])").axes["chunk_heads"],
            json::parse("[[2, 1, 1]]"));
  EXPECT_EQ(load(std::string(kBaseAxes) + R"(, "chunk_heads": [[2, 1, 1], [4]])").axes["chunk_heads"],
            json::parse("[[2, 1, 1], [4]]"));
}

TEST_F(ConfigLoad, VerifyAutoDependsOnTheLargestPoint) {
  // B * H * S^2 of the largest point against 2^26.
  EXPECT_EQ(load(R"("schedule": "ulysses", "S": [256, 2048], "H": 16, "D": 16)").measure.verify,
            VerifyMode::Full);
  EXPECT_EQ(load(R"("schedule": "ulysses", "S": [256, 2048], "H": 16, "D": 16, "B": [1, 2])").measure.verify,
            VerifyMode::Sampled);
  EXPECT_EQ(load(R"("schedule": "ulysses", "S": 4096, "H": 8, "D": 16)", R"("measure": {"verify": "auto"})")
                .measure.verify,
            VerifyMode::Sampled);
  EXPECT_EQ(load(kBaseAxes, R"("measure": {"verify": "off"})").measure.verify, VerifyMode::Off);
  EXPECT_EQ(load(kBaseAxes, R"("measure": {"verify": "full"})").measure.verify, VerifyMode::Full);
}

TEST_F(ConfigLoad, RoundsAutoByDefaultOrACount) {
  const SweepConfig plain = load(kBaseAxes, "");
  EXPECT_EQ(plain.measure.rounds, 0);  // the runtime's default
  EXPECT_EQ(plain.resolved["measure"]["rounds"], "auto");
  EXPECT_EQ(load(kBaseAxes, R"("measure": {"rounds": "auto"})").measure.rounds, 0);
  const SweepConfig five = load(kBaseAxes, R"("measure": {"rounds": 5})");
  EXPECT_EQ(five.measure.rounds, 5);
  EXPECT_EQ(five.resolved["measure"]["rounds"], 5);
  EXPECT_EQ(default_rounds("cuda"), 3);
  EXPECT_EQ(default_rounds("cpu"), 1);
}

TEST_F(ConfigLoad, MinIterationsFollowsIterationsWhenLeftOut) {
  const SweepConfig c = load(kBaseAxes, R"("measure": {"iterations": 1})");
  EXPECT_EQ(c.measure.iterations, 1);
  EXPECT_EQ(c.measure.min_iterations, 1);
}

TEST_F(ConfigLoad, ResolvedHoldsTheEffectiveConfig) {
  const SweepConfig c = load(kBaseAxes, R"("name": "r", "measure": {"iterations": 4})", {"S=128,512"});
  const json& r = c.resolved;
  EXPECT_EQ(r["name"], "r");
  EXPECT_EQ(r["axes"]["S"], json::array({128, 512}));
  EXPECT_EQ(r["axes"]["mask"], json::array({"full"}));
  EXPECT_EQ(r["measure"]["iterations"], 4);
  EXPECT_EQ(r["measure"]["warmup"], 2);
  EXPECT_EQ(r["measure"]["warmup_ms"], 100.0);
  EXPECT_EQ(r["measure"]["verify"], "full");
  EXPECT_FALSE(r.contains("world_size"));
}

TEST_F(ConfigLoad, ResolvedConfigLoadsBackToTheSamePoints) {
  const SweepConfig c = load(R"("schedule": ["ulysses", "hcms", "ring"], "S": [256, 512], "H": 8, "D": 16,
                                "chunks": [1, 2], "mask": ["full", "causal"])",
                             R"("world_size": [2, 4], "skip": [{"if": {"schedule": "ring", "mask": "causal"},
                                "reason": "no"}], "measure": {"verify": "auto", "warmup": 1})",
                             {"H=4,8"});
  const SweepConfig back = load_config(write("back.json", c.resolved.dump(2)), {});
  EXPECT_EQ(back.resolved, c.resolved);
  const std::vector<Point> a = expand(c, 2, ""), b = expand(back, 2, "");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].schedule, b[i].schedule);
    EXPECT_EQ(a[i].params(), b[i].params());
    EXPECT_EQ(a[i].skip_reason, b[i].skip_reason);
  }
}

}  // namespace
}  // namespace cpb::test
