// The pass axis (docs/CONFIG.md): fwd (the default), bwd, fwd_bwd, one value or a list,
// in a file or "-a"; expanded into Problem::pass; in a record's params only when not fwd;
// part of the problem, so a shape's fwd and bwd points are separate comparison groups.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/report/metrics.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

using nlohmann::json;

class ConfigPass : public ConfigTest {
 protected:
  std::vector<Point> points(const std::string& axes, const std::string& extra = "",
                            const std::vector<std::string>& overrides = {}, const std::string& filter = "") const {
    return expand(load(axes, extra, overrides), 2, filter);
  }
  std::string file() const { return (dir_ / "c.json").string(); }
};

std::vector<Pass> passes_of(const std::vector<Point>& pts) {
  std::vector<Pass> out;
  for (const Point& p : pts) out.push_back(p.problem.pass);
  return out;
}

TEST_F(ConfigPass, DefaultsToFwd) {
  const SweepConfig c = load(kBaseAxes);
  EXPECT_EQ(c.axes["pass"], json::array({"fwd"}));  // the resolved config names it
  EXPECT_EQ(passes_of(expand(c, 2, "")), std::vector<Pass>{Pass::Fwd});
}

TEST_F(ConfigPass, OneValueOrAList) {
  EXPECT_EQ(load(std::string(kBaseAxes) + R"(, "pass": "bwd")").axes["pass"], json::array({"bwd"}));
  EXPECT_EQ(passes_of(points(std::string(kBaseAxes) + R"(, "pass": "fwd_bwd")")), std::vector<Pass>{Pass::FwdBwd});
  EXPECT_EQ(passes_of(points(std::string(kBaseAxes) + R"(, "pass": ["fwd", "bwd", "fwd_bwd"])")),
            (std::vector<Pass>{Pass::Fwd, Pass::Bwd, Pass::FwdBwd}));
}

TEST_F(ConfigPass, BadValuesNameTheFieldTheValueAndWhatIsAllowed) {
  EXPECT_EQ(usage_error([&] { load(std::string(kBaseAxes) + R"(, "pass": "bwdd")"); }),
            file() + ": axes.pass: \"bwdd\" is not a pass; allowed: fwd, bwd, fwd_bwd (did you mean \"bwd\"?)");
  EXPECT_EQ(usage_error([&] { load(std::string(kBaseAxes) + R"(, "pass": ["fwd", "fwd-bwd"])"); }),
            file() +
                ": axes.pass[1]: \"fwd-bwd\" is not a pass; allowed: fwd, bwd, fwd_bwd (did you mean "
                "\"fwd_bwd\"?)");
  EXPECT_EQ(usage_error([&] { load(std::string(kBaseAxes) + R"(, "pass": 1)"); }),
            file() + ": axes.pass: 1 is not a pass; allowed: fwd, bwd, fwd_bwd");
  EXPECT_TRUE(
      contains(usage_error([&] { load(std::string(kBaseAxes) + R"(, "pass": [])"); }), "axes.pass: [] is empty"));
}

TEST_F(ConfigPass, Overrides) {
  EXPECT_EQ(load(kBaseAxes, "", {"pass=bwd,fwd_bwd"}).axes["pass"], json::array({"bwd", "fwd_bwd"}));
  EXPECT_EQ(passes_of(points(std::string(kBaseAxes) + R"(, "pass": "bwd")", "", {"pass=fwd"})),
            std::vector<Pass>{Pass::Fwd});
  EXPECT_EQ(usage_error([&] { load(kBaseAxes, "", {"pass=fwd,backward"}); }),
            "-a pass[1]: \"backward\" is not a pass; allowed: fwd, bwd, fwd_bwd");
}

// The pass is a problem axis, after dtype: every pass runs all its schedules one after
// another, and each pass of a shape follows the previous one.
TEST_F(ConfigPass, ExpansionOrder) {
  const auto p = points(R"("schedule": ["ulysses", "ring"], "S": [256, 512], "H": 4, "D": 16,
                           "pass": ["fwd", "bwd"])");
  std::vector<std::string> got;
  for (const Point& x : p)
    got.push_back(std::to_string(x.problem.S) + " " + to_string(x.problem.pass) + " " + x.schedule);
  const std::vector<std::string> want = {"256 fwd ulysses", "256 fwd ring", "256 bwd ulysses", "256 bwd ring",
                                         "512 fwd ulysses", "512 fwd ring", "512 bwd ulysses", "512 bwd ring"};
  EXPECT_EQ(got, want);
}

// Records of sweeps made before the axis have no "pass": fwd points keep their params.
TEST_F(ConfigPass, ParamsNameThePassOnlyWhenNotFwd) {
  const auto p = points(std::string(kBaseAxes) + R"(, "pass": ["fwd", "bwd", "fwd_bwd"])");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].params(), json::parse(R"({"P": 2, "S": 256, "H": 4, "Hkv": 4, "D": 16, "B": 1, "mask": "full",
                                          "dtype": "bf16", "transport": "auto", "profile": "nvlink"})"));
  json bwd = p[0].params();
  bwd["pass"] = "bwd";
  EXPECT_EQ(p[1].params(), bwd);
  EXPECT_EQ(p[2].params()["pass"], "fwd_bwd");
  EXPECT_FALSE(shape_json(p[0].problem).contains("pass"));
  EXPECT_EQ(shape_json(p[1].problem)["pass"], "bwd");
}

TEST_F(ConfigPass, SkipRulesAndFiltersSeeThePassAlsoAtFwd) {
  const std::string axes = std::string(kBaseAxes) + R"(, "pass": ["fwd", "bwd"])";
  const auto skipped = points(axes, R"("skip": [{"if": {"pass": "fwd"}, "reason": "forward done"}])");
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_EQ(skipped[0].skip_reason, "forward done");
  EXPECT_NE(skipped[1].skip_reason, "forward done");
  EXPECT_EQ(passes_of(points(axes, "", {}, "pass=fwd")), std::vector<Pass>{Pass::Fwd});
  EXPECT_EQ(passes_of(points(axes, "", {}, "pass!=fwd")), std::vector<Pass>{Pass::Bwd});
  EXPECT_TRUE(contains(usage_error([&] { points(axes, R"("skip": [{"if": {"pass": "bwdd"}, "reason": "x"}])"); }),
                       "skip[0].if.pass: \"bwdd\" is not a pass"));
}

// The sweep runs and compares the points of one problem_key together: a shape's passes are
// separate groups, its schedules of one pass one group.
TEST_F(ConfigPass, EachPassIsItsOwnComparisonGroup) {
  const auto p = points(R"("schedule": ["ulysses", "ring"], "S": 256, "H": 4, "D": 16,
                           "pass": ["fwd", "bwd", "fwd_bwd"])");
  ASSERT_EQ(p.size(), 6u);
  std::set<std::string> keys;
  for (const Point& x : p) keys.insert(problem_key({{"params", x.params()}}).dump());
  EXPECT_EQ(keys.size(), 3u);
  for (size_t i = 0; i < p.size(); i += 2)
    EXPECT_EQ(problem_key({{"params", p[i].params()}}), problem_key({{"params", p[i + 1].params()}}));
  EXPECT_NE(problem_key({{"params", p[0].params()}}), problem_key({{"params", p[2].params()}}));
}

}  // namespace
}  // namespace cpb::test
