// --filter syntax: key=v1|v2, key!=v, numeric comparisons, terms joined by ','.
#include <gtest/gtest.h>

#include "bench/config/point_filter.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

using cfg::PointFilter;
using nlohmann::json;

const json kHcms = json::parse(R"({"schedule": "hcms", "P": 4, "S": 1024, "H": 12, "Hkv": 12, "D": 64, "B": 1,
  "mask": "causal", "dtype": "bf16", "transport": "nccl", "profile": "nvlink", "chunks": 3, "chunk_heads": [1, 1, 1]})");
const json kRing = json::parse(R"({"schedule": "ring", "P": 4, "S": 512, "H": 12, "Hkv": 4, "D": 64, "B": 1,
  "mask": "full", "dtype": "bf16", "transport": "nccl", "profile": "nvlink"})");

bool keeps(const std::string& expr, const json& view) { return PointFilter(expr).matches(view); }

TEST(ConfigFilter, EmptyKeepsAll) {
  EXPECT_TRUE(keeps("", kHcms));
  EXPECT_TRUE(keeps("  ", kRing));
}

TEST(ConfigFilter, EqualsAnyOf) {
  EXPECT_TRUE(keeps("schedule=hcms", kHcms));
  EXPECT_FALSE(keeps("schedule=hcms", kRing));
  EXPECT_TRUE(keeps("schedule=hcms|ring", kRing));
  EXPECT_TRUE(keeps("S=512|1024", kHcms));
  EXPECT_TRUE(keeps("mask=causal", kHcms));
  EXPECT_TRUE(keeps("Hkv=4", kRing));
  EXPECT_TRUE(keeps("chunk_heads=1:1:1", kHcms));
  EXPECT_FALSE(keeps("chunk_heads=2:1", kHcms));
}

TEST(ConfigFilter, NotEquals) {
  EXPECT_FALSE(keeps("schedule!=hcms", kHcms));
  EXPECT_TRUE(keeps("schedule!=hcms", kRing));
  EXPECT_FALSE(keeps("mask!=full|causal", kRing));
}

TEST(ConfigFilter, NumericComparisons) {
  EXPECT_TRUE(keeps("S<1025", kHcms));
  EXPECT_FALSE(keeps("S<1024", kHcms));
  EXPECT_TRUE(keeps("S<=1024", kHcms));
  EXPECT_TRUE(keeps("S>1023", kHcms));
  EXPECT_FALSE(keeps("S>1024", kHcms));
  EXPECT_TRUE(keeps("S>=1024", kHcms));
  EXPECT_TRUE(keeps("P>=2", kRing));
}

TEST(ConfigFilter, AllTermsMustHold) {
  EXPECT_TRUE(keeps("schedule=hcms,S>=1024,mask=causal", kHcms));
  EXPECT_FALSE(keeps("schedule=hcms,S>=2048", kHcms));
  EXPECT_TRUE(keeps(" schedule = hcms , S >= 1024 ", kHcms));  // blanks are ignored
}

TEST(ConfigFilter, MissingKeyMatchesOnlyNotEquals) {
  EXPECT_FALSE(keeps("chunks=3", kRing));
  EXPECT_FALSE(keeps("chunks>=1", kRing));
  EXPECT_TRUE(keeps("chunks!=3", kRing));
}

TEST(ConfigFilter, HcmsChunkOptions) {
  json v = kHcms;
  v.erase("chunk_heads");
  v["chunks"] = "auto";
  v["chunk_shape"] = "taper";  // comm_lanes left out: the default, 1
  EXPECT_TRUE(keeps("chunks=auto", v));
  EXPECT_TRUE(keeps("chunks=auto|2", v));
  EXPECT_FALSE(keeps("chunks=3", v));
  EXPECT_FALSE(keeps("chunks>=1", v));  // "auto" is no number
  EXPECT_TRUE(keeps("chunk_shape=taper", v));
  EXPECT_TRUE(keeps("comm_lanes!=2", v));
  EXPECT_FALSE(keeps("comm_lanes=1", v));
  EXPECT_TRUE(contains(usage_error([] { PointFilter f("chunk_shape=tapper"); }),
                       "\"tapper\" is not a chunk_shape; allowed: even, taper"));
}

TEST(ConfigFilter, Malformed) {
  auto err = [](const std::string& expr) { return usage_error([&] { PointFilter f(expr); }); };
  EXPECT_EQ(err("S512"),
            "--filter S512: \"S512\" is not a term; allowed: key=v1|v2, key!=v, key<n, key<=n, key>n, "
            "key>=n, joined by ','");
  EXPECT_TRUE(contains(err("=3"), "\"=3\" is not a term"));
  EXPECT_TRUE(contains(err("S="), "\"S=\" is not a term"));
  EXPECT_TRUE(contains(err("S<<3"), "--filter S<<3: \"S<<3\" is not a term"));
  EXPECT_TRUE(contains(err("S=>3"), "is not a term"));
  EXPECT_TRUE(contains(err("S=1,,H=2"), "--filter: an empty term"));
  EXPECT_TRUE(contains(err("S=1,"), "--filter: an empty term"));
  EXPECT_TRUE(contains(err("S=1||2"), "has an empty value"));
  EXPECT_TRUE(contains(err("S<big"), "--filter S<big: \"big\" is not an integer"));
  EXPECT_TRUE(contains(err("S=big"), "--filter S=big: \"big\" is not an integer; allowed: integers >= 1"));
  EXPECT_TRUE(contains(err("mask<3"), "--filter mask<3: \"mask\" is not numeric"));
  EXPECT_EQ(
      err("mask=casual"),
      "--filter mask=casual: \"casual\" is not a mask; allowed: full, causal, strided, global_local, star, streaming, document, block_causal, sliding_window, table (did you mean \"causal\"?)");
  EXPECT_TRUE(contains(err("schedule=rign"), "\"rign\" is not a schedule"));
  const std::string key = err("sched=ring");
  EXPECT_TRUE(
      contains(key, "--filter sched=ring: \"sched\" is not a filter key; allowed: P, S, H, Hkv, D, B, mask"));
  EXPECT_TRUE(contains(key, "(did you mean \"schedule\"?)"));
  EXPECT_TRUE(contains(err("chunk_heads=2:x"), "\"x\" is not an integer"));
}

// Command-line text need not be UTF-8: the message shows such bytes as U+FFFD.
TEST(ConfigFilter, BytesThatAreNotUtf8) {
  auto err = [](const std::string& expr) { return usage_error([&] { PointFilter f(expr); }); };
  EXPECT_TRUE(contains(err("\xff"), "\"\xef\xbf\xbd\" is not a term"));
  EXPECT_TRUE(contains(err("S=1||\xff"), "\"S=1||\xef\xbf\xbd\" has an empty value"));
  EXPECT_TRUE(contains(err("schedule=\xff"), "\"\xef\xbf\xbd\" is not a schedule"));
}

}  // namespace
}  // namespace cpb::test
