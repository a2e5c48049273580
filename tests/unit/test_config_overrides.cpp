// "-a axis=v1,v2" overrides: replace or add an axis, checked like the file's values, with
// messages naming "-a <axis>".
#include <gtest/gtest.h>

#include "bench/config/config.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

using nlohmann::json;

class ConfigOverrides : public ConfigTest {
 protected:
  SweepConfig with(const std::vector<std::string>& overrides) const { return load(kBaseAxes, "", overrides); }
  std::string error(const std::vector<std::string>& overrides) const {
    return usage_error([&] { with(overrides); });
  }
};

TEST_F(ConfigOverrides, ReplaceAnAxis) {
  EXPECT_EQ(with({"S=128,512"}).axes["S"], json::array({128, 512}));
  EXPECT_EQ(with({"schedule=ring,zigzag_ring"}).axes["schedule"], json::array({"ring", "zigzag_ring"}));
}

TEST_F(ConfigOverrides, AddAnAxis) {
  const SweepConfig c = with({"Hkv=2", "mask=full,causal", "dtype=fp32", "pass=bwd,fwd_bwd"});
  EXPECT_EQ(c.axes["Hkv"], json::array({2}));
  EXPECT_EQ(c.axes["mask"], json::array({"full", "causal"}));
  EXPECT_EQ(c.axes["dtype"], json::array({"fp32"}));
  EXPECT_EQ(c.axes["pass"], json::array({"bwd", "fwd_bwd"}));
}

TEST_F(ConfigOverrides, LaterOverrideWins) {
  EXPECT_EQ(with({"S=128", "S=64"}).axes["S"], json::array({64}));
}

// Numbers read as in a config file (docs/CONFIG.md, "Numbers"): an integral value is an
// integer however it is written, and is stored as one.
TEST_F(ConfigOverrides, IntegralNumbersAreIntegers) {
  const json S = with({"S=256.0,2.56e2,512"}).axes["S"];
  EXPECT_EQ(S, json::array({256, 256, 512}));
  EXPECT_TRUE(S[0].is_number_integer());
  EXPECT_EQ(with({"chunk_heads=2.0:2"}).axes["chunk_heads"], json::parse("[[2,2]]"));
}

TEST_F(ConfigOverrides, ChunkHeadsSyntax) {
  EXPECT_EQ(with({"chunk_heads=4:3:3,3:3:2:2"}).axes["chunk_heads"], json::parse("[[4,3,3],[3,3,2,2]]"));
  EXPECT_EQ(with({"chunk_heads=2:2"}).axes["chunk_heads"], json::parse("[[2,2]]"));
}

TEST_F(ConfigOverrides, HcmsChunkOptions) {
  EXPECT_EQ(with({"chunks=auto,2"}).axes["chunks"], json::parse(R"(["auto", 2])"));
  EXPECT_EQ(with({"chunk_shape=taper", "comm_lanes=2"}).axes["chunk_shape"], json::array({"taper"}));
  EXPECT_EQ(with({"comm_lanes=1,2"}).axes["comm_lanes"], json::array({1, 2}));
  EXPECT_EQ(error({"chunks=big"}),
            "-a chunks: \"big\" is neither an integer nor \"auto\"; allowed: integers >= 1 or \"auto\"");
  EXPECT_EQ(error({"comm_lanes=0"}), "-a comm_lanes: 0 is not positive; allowed: integers from 1 to 2");
}

TEST_F(ConfigOverrides, BlanksAroundValuesAreIgnored) {
  EXPECT_EQ(with({"S=128, 256"}).axes["S"], json::array({128, 256}));
}

TEST_F(ConfigOverrides, SuppliesARequiredAxis) {
  const SweepConfig c = load_config(config(R"("schedule": "ulysses", "S": 256, "D": 16)"), {"H=4"});
  EXPECT_EQ(c.axes["H"], json::array({4}));
}

TEST_F(ConfigOverrides, VerifyAutoSeesTheOverriddenSizes) {
  EXPECT_EQ(with({}).measure.verify, VerifyMode::Full);
  EXPECT_EQ(with({"S=65536"}).measure.verify, VerifyMode::Sampled);
}

TEST_F(ConfigOverrides, Errors) {
  EXPECT_EQ(error({"S512"}),
            "-a S512: \"S512\" is not axis=values; allowed: axis=v1,v2,... with an axis of S, H, "
            "Hkv, D, B, mask, mask_blocks, mask_group, mask_local, mask_global, mask_docs, mask_doc_tokens, "
            "mask_frames, mask_window, mask_table, dtype, pass, profile, transport, comm_priority, nccl_ctas, "
            "attn_sms, step_order, schedule, chunks, chunk_heads, chunk_shape, usp_u, comm_order, comm_lanes, "
            "qkv_layout, tile_blocks, tile_balance, tile_solver, tile_u, tile_node, tile_fuse");
  EXPECT_TRUE(contains(error({"=4"}), "is not axis=values"));
  EXPECT_EQ(error({"chunk=2"}),
            "-a chunk: \"chunk\" is not an axis; allowed: S, H, Hkv, D, B, mask, mask_blocks, mask_group, "
            "mask_local, mask_global, mask_docs, mask_doc_tokens, mask_frames, mask_window, mask_table, dtype, "
            "pass, profile, transport, comm_priority, nccl_ctas, attn_sms, step_order, schedule, chunks, chunk_heads, "
            "chunk_shape, usp_u, comm_order, comm_lanes, qkv_layout, tile_blocks, tile_balance, tile_solver, tile_u, "
            "tile_node, tile_fuse (did you mean \"chunks\"?)");
  EXPECT_EQ(error({"S=big"}), "-a S: \"big\" is not an integer; allowed: integers >= 1");
  EXPECT_EQ(error({"S=256,0"}), "-a S[1]: 0 is not positive; allowed: integers >= 1");
  EXPECT_EQ(error({"S=1.5"}), "-a S: 1.5 is not an integer; allowed: integers >= 1");
  EXPECT_EQ(error({"S=+2"}), "-a S: \"+2\" is not an integer; allowed: integers >= 1");
  EXPECT_EQ(error({"mask=full,casual"}),
            "-a mask[1]: \"casual\" is not a mask; allowed: full, causal, strided, global_local, star, streaming, document, block_causal, sliding_window, table (did you mean \"causal\"?)");
  EXPECT_TRUE(contains(error({"mask=1"}), "-a mask: 1 is not a mask"));
  EXPECT_EQ(error({"pass=bwdd"}),
            "-a pass: \"bwdd\" is not a pass; allowed: fwd, bwd, fwd_bwd (did you mean \"bwd\"?)");
  EXPECT_TRUE(contains(error({"S=1,,2"}), "-a S: \"S=1,,2\" has an empty value"));
  EXPECT_TRUE(contains(error({"S="}), "-a S: \"S=\" has an empty value"));
  EXPECT_TRUE(contains(error({"schedule=rign"}), "-a schedule: \"rign\" is not a schedule"));
  EXPECT_TRUE(contains(error({"chunk_heads=4:x:3"}), "-a chunk_heads[1]: \"x\" is not an integer"));
  EXPECT_TRUE(contains(error({"chunk_heads=4:0"}), "-a chunk_heads[1]: 0 is not positive"));
  // The H/Hkv check names where Hkv came from.
  EXPECT_EQ(error({"Hkv=3"}), "-a Hkv: 3 does not divide H=4; allowed: divisors of every H value: 1, 2, 4");
}

// Command-line text need not be UTF-8: the message shows such bytes as U+FFFD (found by
// tests/fuzz/fuzz_config.cpp; the message used to throw instead).
TEST_F(ConfigOverrides, BytesThatAreNotUtf8) {
  EXPECT_TRUE(contains(error({"S=\xff,,2"}), "-a S: \"S=\xef\xbf\xbd,,2\" has an empty value"));
  EXPECT_TRUE(contains(error({"\xff"}), "\"\xef\xbf\xbd\" is not axis=values"));
  EXPECT_TRUE(contains(error({"mask=\xff"}), "-a mask: \"\xef\xbf\xbd\" is not a mask"));
}

}  // namespace
}  // namespace cpb::test
