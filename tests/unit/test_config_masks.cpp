// Mask parameters as config axes (bench/mask_params.hpp, docs/CONFIG.md "Masks"): read only
// by the masks that declare them, folded elsewhere, carried in the records of those masks
// with their defaults resolved, usable in -a, --filter and skip rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "bench/config/config.hpp"
#include "bench/config/schema.hpp"
#include "bench/mask/mask_regions.hpp"
#include "bench/mask_params.hpp"
#include "bench/report/metrics.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/schedule.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

using nlohmann::json;

class ConfigMasks : public ConfigTest {
 protected:
  std::vector<Point> points(const std::string& axes, const std::vector<std::string>& overrides = {},
                            const std::string& filter = "", const std::string& extra = "") const {
    return expand(load(axes, extra, overrides), 2, filter);
  }
};

// The keys of params() that are mask parameters.
std::set<std::string> mask_keys(const Point& p) {
  std::set<std::string> out;
  const json params = p.params();
  for (const auto& [k, v] : params.items())
    if (find_mask_param(k)) out.insert(k);
  return out;
}

long count_mask(const std::vector<Point>& p, const char* mask) {
  return std::count_if(p.begin(), p.end(),
                       [&](const Point& x) { return to_string(x.problem.mask) == std::string(mask); });
}

TEST_F(ConfigMasks, ParamsFoldForMasksThatDoNotReadThem) {
  const auto p = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16,
                           "mask": ["full", "causal", "strided", "star", "document", "sliding_window"],
                           "mask_blocks": [4, 8], "mask_group": [2, 4], "mask_docs": [2, 3, 4],
                           "mask_window": [16, 32])");
  EXPECT_EQ(count_mask(p, "full"), 1);
  EXPECT_EQ(count_mask(p, "causal"), 1);
  EXPECT_EQ(count_mask(p, "strided"), 4);  // mask_blocks x mask_group
  EXPECT_EQ(count_mask(p, "star"), 2);     // mask_blocks only
  EXPECT_EQ(count_mask(p, "document"), 3);
  EXPECT_EQ(count_mask(p, "sliding_window"), 2);
  EXPECT_EQ(p.size(), 13u);
  // Mask outermost of its parameters: the strided points in value order.
  std::vector<std::pair<int, int>> strided;
  for (const Point& x : p)
    if (x.problem.mask == Mask::Strided)
      strided.emplace_back(x.problem.mask_params.blocks, x.problem.mask_params.group);
  EXPECT_EQ(strided, (std::vector<std::pair<int, int>>{{4, 2}, {4, 4}, {8, 2}, {8, 4}}));
}

TEST_F(ConfigMasks, FullAndCausalRecordsKeepTheirParams) {
  const auto p = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": ["full", "causal"],
                           "mask_blocks": 8, "mask_docs": 2, "mask_window": 64, "mask_table": [[1]])");
  ASSERT_EQ(p.size(), 2u);
  const std::set<std::string> base = {"P", "S", "H", "Hkv", "D", "B", "mask", "dtype", "transport", "profile"};
  for (const Point& x : p) {
    std::set<std::string> keys;
    const json params = x.params();
    for (const auto& [k, v] : params.items()) keys.insert(k);
    EXPECT_EQ(keys, base) << to_string(x.problem.mask);
    EXPECT_EQ(x.problem.mask_params, MaskParams{}) << "a folded parameter keeps its default";
  }
}

TEST_F(ConfigMasks, RecordsCarryTheParamsTheMaskReadsWithDefaultsResolved) {
  const auto p = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16,
                           "mask": ["strided", "global_local", "star", "streaming", "document", "block_causal",
                                    "sliding_window", "table"], "mask_table": [[1, 0], [1, 2]])");
  ASSERT_EQ(p.size(), 8u);
  auto params = [&](size_t i) { return p[i].params(); };
  EXPECT_EQ(mask_keys(p[0]), (std::set<std::string>{"mask_blocks", "mask_group", "mask_local"}));
  EXPECT_EQ(params(0)["mask_blocks"], 16);
  EXPECT_EQ(params(0)["mask_group"], 4);
  EXPECT_EQ(params(0)["mask_local"], 3);
  EXPECT_EQ(mask_keys(p[1]), (std::set<std::string>{"mask_blocks", "mask_local", "mask_global"}));
  EXPECT_EQ(params(1)["mask_blocks"], 16);
  EXPECT_EQ(params(1)["mask_local"], 1);
  EXPECT_EQ(params(1)["mask_global"], 1);
  EXPECT_EQ(mask_keys(p[2]), (std::set<std::string>{"mask_blocks"}));
  EXPECT_EQ(params(2)["mask_blocks"], 4);
  EXPECT_EQ(mask_keys(p[3]), (std::set<std::string>{"mask_blocks", "mask_local", "mask_global"}));
  EXPECT_EQ(params(3)["mask_blocks"], 8);
  EXPECT_EQ(params(3)["mask_local"], 3);
  EXPECT_EQ(mask_keys(p[4]), (std::set<std::string>{"mask_docs"}));
  EXPECT_EQ(params(4)["mask_docs"], 4);
  EXPECT_EQ(mask_keys(p[5]), (std::set<std::string>{"mask_frames"}));
  EXPECT_EQ(params(5)["mask_frames"], 21);
  EXPECT_EQ(mask_keys(p[6]), (std::set<std::string>{"mask_window"}));
  EXPECT_EQ(params(6)["mask_window"], 4096);
  EXPECT_EQ(mask_keys(p[7]), (std::set<std::string>{"mask_table"}));
  EXPECT_EQ(params(7)["mask_table"], json::parse("[[1, 0], [1, 2]]"));
}

TEST_F(ConfigMasks, GivenValuesReachTheProblem) {
  const auto p = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": ["strided", "streaming"],
                           "mask_blocks": 8, "mask_group": 2, "mask_local": 1, "mask_global": 0)");
  ASSERT_EQ(p.size(), 2u);
  const MaskParams& s = p[0].problem.mask_params;
  EXPECT_EQ(s.blocks, 8);
  EXPECT_EQ(s.group, 2);
  EXPECT_EQ(s.local, 1);
  EXPECT_EQ(s.global, MaskParams{}.global) << "strided does not read mask_global";
  EXPECT_EQ(p[1].problem.mask_params.global, 0);
  EXPECT_EQ(p[1].problem.mask_params.group, MaskParams{}.group) << "streaming does not read mask_group";
  EXPECT_EQ(p[1].params()["mask_global"], 0);
  EXPECT_FALSE(p[1].params().contains("mask_group"));
}

TEST_F(ConfigMasks, DocTokensAListOfListsSweeps) {
  const auto p = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "document",
                           "mask_doc_tokens": [[100, 156], [56, 100, 100]])");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].problem.mask_params.doc_tokens, (std::vector<int64_t>{100, 156}));
  EXPECT_EQ(p[1].params()["mask_doc_tokens"], json::parse("[56, 100, 100]"));
  EXPECT_EQ(mask_keys(p[1]), (std::set<std::string>{"mask_doc_tokens"})) << "mask_docs is not in play";
  // One list is one value.
  EXPECT_EQ(points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "document",
                      "mask_doc_tokens": [128, 128])")
                .size(),
            1u);
}

TEST_F(ConfigMasks, TablesToldApartByDepth) {
  const char* one =
      R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "table", "mask_table": [[1, 0], [1, 2]])";
  ASSERT_EQ(points(one).size(), 1u);
  EXPECT_EQ(points(one)[0].problem.mask_params.table, (std::vector<std::vector<int>>{{1, 0}, {1, 2}}));
  const auto two = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "table",
                             "mask_table": [[[1, 0], [1, 2]], [[2]]])");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].problem.mask_params.table, (std::vector<std::vector<int>>{{2}}));
}

// A value equal to the mask's default is the same point as leaving it out.
TEST_F(ConfigMasks, DefaultAndExplicitDefaultRunOnce) {
  EXPECT_EQ(points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "strided",
                      "mask_blocks": [16, 8, 16])")
                .size(),
            2u);
}

TEST_F(ConfigMasks, PointCountCountsFoldedMaskParams) {
  // 1000 x 1000 x 2 block counts would be over the limit if folding were ignored; only
  // strided reads mask_blocks and mask_group, causal none.
  std::string sizes;
  for (int i = 1; i <= 1000; ++i) sizes += (i > 1 ? ", " : "") + std::to_string(i);
  const std::string axes = R"("schedule": "ulysses", "S": [)" + sizes + R"(], "H": 4, "D": 16,
      "mask": ["causal", "strided"], "mask_blocks": [)" +
                           sizes + "]";
  const std::string msg = usage_error([&] { points(axes); });
  EXPECT_TRUE(contains(msg, "the axes give 1,001,000 points")) << "1000 S x (1 causal + 1000 strided)";
}

TEST_F(ConfigMasks, Overrides) {
  const char* axes = R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "strided")";
  const auto p = points(axes, {"mask_blocks=8,16", "mask_group=2"});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].params()["mask_blocks"], 8);
  EXPECT_EQ(p[1].params()["mask_blocks"], 16);
  EXPECT_EQ(p[1].params()["mask_group"], 2);
  const auto d = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "document")",
                        {"mask_doc_tokens=100:156,128:128"});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].problem.mask_params.doc_tokens, (std::vector<int64_t>{100, 156}));
  const auto t = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16)", {"mask=table", "mask_table=1:0/1:2,2"});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].problem.mask_params.table, (std::vector<std::vector<int>>{{1, 0}, {1, 2}}));
  EXPECT_EQ(t[1].problem.mask_params.table, (std::vector<std::vector<int>>{{2}}));
}

TEST_F(ConfigMasks, Filters) {
  const char* axes = R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": ["causal", "strided"],
                        "mask_blocks": [4, 8, 16])";
  const auto eq = points(axes, {}, "mask_blocks=8");
  ASSERT_EQ(eq.size(), 1u);
  EXPECT_EQ(eq[0].problem.mask_params.blocks, 8);
  EXPECT_EQ(points(axes, {}, "mask_blocks>=8").size(), 2u);
  // causal lacks the key: it matches != only.
  const auto ne = points(axes, {}, "mask_blocks!=8");
  ASSERT_EQ(ne.size(), 3u);
  EXPECT_EQ(ne[0].problem.mask, Mask::Causal);
  // The effective default matches too.
  EXPECT_EQ(
      points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "strided")", {}, "mask_blocks=16").size(),
      1u);
  const auto d = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "document",
                           "mask_doc_tokens": [[100, 156], [128, 128]])",
                        {}, "mask_doc_tokens=128:128");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].problem.mask_params.doc_tokens, (std::vector<int64_t>{128, 128}));
  const auto t = points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "table",
                           "mask_table": [[[1, 0], [1, 2]], [[2]]])",
                        {}, "mask_table=2");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].problem.mask_params.table, (std::vector<std::vector<int>>{{2}}));
}

TEST_F(ConfigMasks, SkipRules) {
  const auto p =
      points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "strided", "mask_blocks": [8, 16])", {}, "",
             R"("skip": [{"if": {"mask_blocks": 16}, "reason": "later"}])");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].skip_reason, "");
  EXPECT_EQ(p[1].skip_reason, "later");
}

// Two problems that differ in a mask parameter only are two comparison groups: the
// parameter is a problem field, not a schedule option.
TEST_F(ConfigMasks, MaskParamsAreProblemFields) {
  for (const cfg::AxisSpec& a : cfg::axis_specs()) {
    if (!a.mask_param) continue;
    EXPECT_EQ(a.option, nullptr) << a.name;
    EXPECT_EQ(find_option(a.name), nullptr) << a.name;
    EXPECT_TRUE(a.default_value.is_null()) << a.name << ": absent, each mask takes its own default";
  }
  const auto p =
      points(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": "strided", "mask_blocks": [8, 16])");
  ASSERT_EQ(p.size(), 2u);
  const json r0 = {{"schedule", p[0].schedule}, {"params", p[0].params()}};
  const json r1 = {{"schedule", p[1].schedule}, {"params", p[1].params()}};
  EXPECT_NE(problem_key(r0), problem_key(r1));
  EXPECT_EQ(problem_key(r0)["mask_blocks"], 8);
  EXPECT_NE(problem_group(r0), problem_group(r1));
  EXPECT_EQ(schedule_options(r0), json::object());
  EXPECT_EQ(variant_label(r0), "ulysses");
}

// The resolved config gives the same points, and leaves out the mask parameters not given.
TEST_F(ConfigMasks, ResolvedConfigReloads) {
  const SweepConfig c = load(R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16, "mask": ["strided", "document"],
                                "mask_doc_tokens": [100, 156])");
  EXPECT_FALSE(c.resolved["axes"].contains("mask_blocks"));
  EXPECT_FALSE(c.resolved["axes"].contains("mask_docs"));
  const std::string again = write("again.json", c.resolved.dump());
  const auto a = expand(c, 2, ""), b = expand(load_config(again, {}), 2, "");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].params(), b[i].params());
}

}  // namespace
}  // namespace cpb::test
