// Provenance that cannot be wrong: CPB_GIT_SHA must name the commit compiled into the
// binary, and the GPU facts' names (UUID text, link names).
#include <gtest/gtest.h>

#include <string>

#include <sstream>

#include "base/usage_error.hpp"
#include "bench/report/report.hpp"
#include "bench/runtime/gpu_names.hpp"
#include "bench/sweep/git_commit.hpp"

namespace cpb {
namespace {

const char* const kSha = "fc0bcbf32ba63a322883e31ca0ff015973398b8a";

TEST(GitCommit, AClaimMatchesTheFullCommitOrAnAbbreviationOfIt) {
  EXPECT_TRUE(commit_matches(kSha, kSha));
  EXPECT_TRUE(commit_matches(kSha, "fc0bcbf"));
  EXPECT_TRUE(commit_matches(kSha, "fc0bcbf32ba6"));
  EXPECT_FALSE(commit_matches(kSha, "fc0bcb"));   // shorter than git's abbreviation
  EXPECT_FALSE(commit_matches(kSha, "fc0bcbe"));  // another commit
  EXPECT_FALSE(commit_matches(kSha, std::string(kSha) + "-dirty"));
  EXPECT_FALSE(commit_matches("unknown", "fc0bcbf"));
  EXPECT_TRUE(commit_matches("8b339fe", "8b339fe"));  // built from CPB_GIT_SHA, run with it
  EXPECT_TRUE(commit_matches("fc0bcbf", kSha));       // built from a short one, run with the full one
  EXPECT_FALSE(commit_matches("fc0bcbf", "fc0bcbfzz"));
}

TEST(GitCommit, AClaimThatDiffersIsAUsageErrorNamingBoth) {
  const BuildCommit built{kSha, 0, "git"};
  EXPECT_NO_THROW(check_claimed_commit(built, nullptr));
  EXPECT_NO_THROW(check_claimed_commit(built, ""));
  EXPECT_NO_THROW(check_claimed_commit(built, "fc0bcbf"));
  try {
    check_claimed_commit(built, "8b339fe");
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("CPB_GIT_SHA=\"8b339fe\""), std::string::npos) << what;
    EXPECT_NE(what.find(kSha), std::string::npos) << what;
  }
  EXPECT_THROW(check_claimed_commit(BuildCommit{"unknown", -1, "unknown"}, "8b339fe"), UsageError);
}

TEST(GitCommit, TheProvenanceFieldsSayWhereTheCommitCameFrom) {
  EXPECT_EQ(commit_json({kSha, 1, "git"}),
            (nlohmann::json{{"git", kSha}, {"git_dirty", true}, {"git_source", "git"}}));
  EXPECT_EQ(commit_json({"8b339fe", -1, "env"})["git_dirty"], nullptr);
  EXPECT_EQ(commit_text({kSha, 1, "git"}), std::string(kSha) + " (git, dirty)");
  EXPECT_EQ(commit_text({"unknown", -1, "unknown"}), "unknown");
  // This binary's own commit is one the check accepts.
  EXPECT_NO_THROW(check_claimed_commit(build_commit(), build_commit().sha));
  EXPECT_TRUE(std::string(build_commit().source) == "git" || std::string(build_commit().source) == "env" ||
              std::string(build_commit().source) == "unknown");
}

TEST(GitCommit, TheMarkdownReportSaysWhenTheTreeWasDirty) {
  auto build_line = [](const nlohmann::json& commit) {
    nlohmann::json prov = commit;
    prov["cpbench_version"] = "0.1.0";
    std::ostringstream out;
    write_markdown_report({{"provenance", prov}, {"points", nlohmann::json::array()}}, "x.json", out);
    const std::string text = out.str();
    const size_t at = text.find("- build: ");
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  EXPECT_EQ(build_line(commit_json({kSha, 1, "git"})), "- build: cpbench 0.1.0 (git " + std::string(kSha) + ", dirty)");
  EXPECT_EQ(build_line(commit_json({kSha, 0, "git"})), "- build: cpbench 0.1.0 (git " + std::string(kSha) + ")");
  EXPECT_EQ(build_line(commit_json({"8b339fe", -1, "env"})), "- build: cpbench 0.1.0 (git 8b339fe)");
}

TEST(GpuNames, UuidTextIsNvmlsForm) {
  const unsigned char bytes[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                   0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  EXPECT_EQ(gpu_uuid_text(bytes), "GPU-12345678-9abc-def0-0123-456789abcdef");
}

TEST(GpuNames, LinksAreNamedAsNvidiaSmiTopoNamesThem) {
  EXPECT_EQ(gpu_link_name(true, 50), "NV");
  EXPECT_EQ(gpu_link_name(false, 10), "PIX");
  EXPECT_EQ(gpu_link_name(false, 20), "PXB");
  EXPECT_EQ(gpu_link_name(false, 30), "PHB");
  EXPECT_EQ(gpu_link_name(false, 40), "NODE");
  EXPECT_EQ(gpu_link_name(false, 50), "SYS");
  EXPECT_EQ(gpu_link_name(false, 0), "internal");
  EXPECT_EQ(gpu_link_name(false, 7), "unknown");
}

}  // namespace
}  // namespace cpb
