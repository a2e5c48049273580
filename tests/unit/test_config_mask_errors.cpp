// Bad mask parameters: a UsageError naming the field (its config path, "-a <axis>" or
// "--filter ..."), the value and what is allowed. Types and ranges fail when the config is
// loaded; what depends on the point (S, the other parameters: mask_error) when it expands.
#include <gtest/gtest.h>

#include <string>

#include "bench/config/config.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

class ConfigMaskErrors : public ConfigTest {
 protected:
  std::string file() const { return (dir_ / "c.json").string(); }
  // The message of loading and expanding kBaseAxes (S=256) plus `more`.
  std::string error(const std::string& more, const std::vector<std::string>& overrides = {},
                    const std::string& filter = "") const {
    return usage_error([&] { expand(load(std::string(kBaseAxes) + ", " + more, "", overrides), 2, filter); });
  }
};

TEST_F(ConfigMaskErrors, WrongTypes) {
  EXPECT_EQ(error(R"("mask": "strided", "mask_blocks": "8")"),
            file() + ": axes.mask_blocks: \"8\" is not an integer; allowed: integers >= 1");
  EXPECT_EQ(error(R"("mask": "strided", "mask_group": 2.5)"),
            file() + ": axes.mask_group: 2.5 is not an integer; allowed: integers >= 1");
  EXPECT_TRUE(contains(error(R"("mask": "document", "mask_doc_tokens": "128:128")"),
                       "axes.mask_doc_tokens: \"128:128\" is not a list of document lengths"));
  EXPECT_TRUE(contains(error(R"("mask": "document", "mask_doc_tokens": [[128, "128"]])"),
                       "axes.mask_doc_tokens[0][1]: \"128\" is not an integer"));
  EXPECT_TRUE(contains(error(R"("mask": "table", "mask_table": 1)"), "axes.mask_table: 1 is not a table"));
  EXPECT_TRUE(contains(error(R"("mask": "table", "mask_table": [1, 2])"), "axes.mask_table[0]: 1 is not a row"));
  EXPECT_TRUE(contains(error(R"("mask": "table", "mask_table": [[[1]], 2])"), "axes.mask_table[1]: 2 is not a table"));
  EXPECT_TRUE(
      contains(error(R"("mask": "sliding_window", "mask_window": null)"), "axes.mask_window: null is not an integer"));
}

TEST_F(ConfigMaskErrors, OutOfRange) {
  for (const char* axis : {"mask_blocks", "mask_group", "mask_local", "mask_docs", "mask_frames", "mask_window"})
    EXPECT_EQ(error("\"" + std::string(axis) + "\": 0"),
              file() + ": axes." + axis + ": 0 is not positive; allowed: integers >= 1")
        << axis;
  EXPECT_EQ(error(R"("mask_global": -1)"), file() + ": axes.mask_global: -1 is negative; allowed: integers >= 0");
  EXPECT_TRUE(contains(error(R"("mask_blocks": 4294967296)"),
                       "axes.mask_blocks: 4294967296 is too large; allowed: integers from 1 to 2147483647"));
  EXPECT_TRUE(contains(error(R"("mask_doc_tokens": [128, 0])"), "axes.mask_doc_tokens[1]: 0 is not positive"));
  // A value that does not fit S, at the points of a mask that reads it.
  EXPECT_EQ(error(R"("mask": "strided", "mask_blocks": [8, 512])"),
            file() +
                ": axes.mask_blocks[1]: 512 does not fit mask strided at S=256: mask_blocks 512 exceeds S=256 "
                "tokens; allowed: integers >= 1, at most S (strided: a multiple of mask_group)");
  EXPECT_TRUE(contains(error(R"("mask": "block_causal", "mask_frames": 300)"),
                       "axes.mask_frames: 300 does not fit mask block_causal at S=256: mask_frames 300 exceeds S=256"));
  EXPECT_TRUE(
      contains(error(R"("mask": "strided", "mask_group": 3)"),
               "axes.mask_group: 3 does not fit mask strided at S=256: mask_group 3 must divide mask_blocks 16; "
               "allowed: integers >= 1 that divide mask_blocks"));
}

// A point whose mask does not fit S with the parameters it has, none of which alone is the
// cause: the message names the point's mask and parameters.
TEST_F(ConfigMaskErrors, DefaultsThatDoNotFitS) {
  const std::string msg = usage_error([&] {
    expand(load(R"("schedule": "ulysses", "S": 8, "H": 4, "D": 16, "mask": "strided", "mask_group": 2)"), 2, "");
  });
  EXPECT_TRUE(contains(msg, file() + ": axes: mask strided at S=8 with mask_blocks=16, mask_group=2, mask_local=3: "
                                     "mask_blocks 16 exceeds S=8 tokens; allowed: mask parameters that fit S"));
}

TEST_F(ConfigMaskErrors, DocTokensNotSummingToS) {
  EXPECT_EQ(error(R"("mask": "document", "mask_doc_tokens": [[128, 128], [100, 100]])"),
            file() +
                ": axes.mask_doc_tokens[1]: [100,100] does not fit mask document at S=256: mask_doc_tokens sum to "
                "200 tokens, not S=256; allowed: a non-empty array of integers >= 1 summing to S");
  EXPECT_TRUE(
      contains(error(R"("mask": "document", "mask_doc_tokens": [100, 100])"), "axes.mask_doc_tokens: [100,100]"));
}

TEST_F(ConfigMaskErrors, Tables) {
  EXPECT_EQ(error(R"("mask": "table", "mask_table": [[1, 3], [1, 1]])"),
            file() + ": axes.mask_table[0][1]: 3 is not a cell; allowed: 0 (empty), 1 (full), 2 (causal)");
  EXPECT_TRUE(contains(error(R"("mask": "table", "mask_table": [[1, -1], [1, 1]])"),
                       "axes.mask_table[0][1]: -1 is not a cell"));
  EXPECT_TRUE(contains(error(R"("mask": "table", "mask_table": [[1, 0], []])"), "axes.mask_table[1]: [] is empty"));
  EXPECT_TRUE(contains(error(R"("mask": "table", "mask_table": [])"), "axes.mask_table: [] is empty"));
  EXPECT_TRUE(
      contains(error(R"("mask": "table", "mask_table": [[[1]], [[1, 0], [1]]])"),
               "axes.mask_table[1]: [[1,0],[1]] does not fit mask table at S=256: mask table: row 1 of the table "
               "has 1 cells; the table has 2 rows and must be square"));
  EXPECT_TRUE(
      contains(error(R"("mask": "table", "mask_table": [[1, 0], [0, 0]])"),
               "axes.mask_table: [[1,0],[0,0]] does not fit mask table at S=256: mask table: row 1 of the table "
               "is empty"));
  EXPECT_EQ(error(R"("mask": ["full", "table"])"),
            file() + ": axes: \"mask_table\" is missing; allowed: configs with mask table also set mask_table");
}

TEST_F(ConfigMaskErrors, DocsAndDocTokensTogether) {
  EXPECT_EQ(error(R"("mask": ["causal", "document"], "mask_docs": 2, "mask_doc_tokens": [128, 128])"),
            file() + ": axes.mask_doc_tokens: [128,128] is given with mask_docs (" + file() +
                ": axes.mask_docs); allowed: one of mask_docs and mask_doc_tokens where mask document reads them");
  EXPECT_TRUE(contains(error(R"("mask": "document", "mask_docs": 2)", {"mask_doc_tokens=128:128"}),
                       "-a mask_doc_tokens: [128,128] is given with mask_docs"));
}

// Parameters no swept mask reads fold away, as options no swept schedule reads do: only
// their types and ranges are checked.
TEST_F(ConfigMaskErrors, UnreadParamsFold) {
  const auto p = expand(load(std::string(kBaseAxes) + R"(, "mask": "causal", "mask_blocks": 512, "mask_docs": 2,
                                "mask_doc_tokens": [1, 1], "mask_table": [[0]])"),
                        2, "");
  EXPECT_EQ(p.size(), 1u);
}

TEST_F(ConfigMaskErrors, Overrides) {
  EXPECT_EQ(error(R"("mask": "strided")", {"mask_blocks=0"}),
            "-a mask_blocks: 0 is not positive; allowed: integers >= 1");
  EXPECT_TRUE(contains(error(R"("mask": "strided")", {"mask_blocks=8,512"}),
                       "-a mask_blocks[1]: 512 does not fit mask strided at S=256: mask_blocks 512 exceeds S=256"));
  EXPECT_TRUE(contains(error(R"("mask": "strided", "mask_blocks": 8)", {"mask_blocks=512"}),
                       "-a mask_blocks: 512 does not fit mask strided"));
  EXPECT_TRUE(contains(error(R"("mask": "document")", {"mask_doc_tokens=100:100"}),
                       "-a mask_doc_tokens: [100,100] does not fit mask document at S=256"));
  EXPECT_TRUE(contains(error(R"("mask": "table")", {"mask_table=1:0/1:3"}), "-a mask_table[1][1]: 3 is not a cell"));
  EXPECT_TRUE(contains(error(R"("mask": "table")", {"mask_table=1:0/1"}),
                       "-a mask_table: [[1,0],[1]] does not fit mask table at S=256"));
}

TEST_F(ConfigMaskErrors, Filters) {
  EXPECT_EQ(error(R"("mask": "strided")", {}, "mask_blocks=0"),
            "--filter mask_blocks=0: 0 is not positive; allowed: integers >= 1");
  EXPECT_TRUE(contains(error(R"("mask": "strided")", {}, "mask_blok=8"),
                       "--filter mask_blok=8: \"mask_blok\" is not a filter key"));
  EXPECT_TRUE(contains(error(R"("mask": "table", "mask_table": [[1]])", {}, "mask_table=1:5"),
                       "--filter mask_table=1:5[0][1]: 5 is not a cell"));
  EXPECT_TRUE(contains(error(R"("mask": "document")", {}, "mask_doc_tokens<3"), "\"mask_doc_tokens\" is not numeric"));
}

TEST_F(ConfigMaskErrors, SkipRules) {
  EXPECT_TRUE(contains(usage_error([&] {
                         load(std::string(kBaseAxes) + R"(, "mask": "strided")",
                              R"("skip": [{"if": {"mask_blocks": 0}, "reason": "x"}])");
                       }),
                       "skip[0].if.mask_blocks: 0 is not positive"));
}

}  // namespace
}  // namespace cpb::test
