// --resume: which records of an earlier result file a sweep keeps (bench/sweep/resume.hpp),
// on the points of tests/faults/sweep.json at 2 ranks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/sweep/provenance.hpp"
#include "bench/sweep/resume.hpp"

namespace cpb {
namespace {

class SweepResume : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_ = load_config(std::string(CPB_SOURCE_DIR) + "/tests/faults/sweep.json", {});
    points_ = expand(cfg_, 2, "");
    ASSERT_EQ(points_.size(), 8u);
    hash_ = config_hash(cfg_.resolved);
  }

  // The record a run of point i at commit `git` wrote, at position `index` of its file.
  nlohmann::json record(std::size_t i, const std::string& git = "abc", int index = -1) const {
    const Point& p = points_.at(i);
    return {{"index", index < 0 ? p.index : index},
            {"schedule", p.schedule},
            {"params", p.params()},
            {"git", git},
            {"runtime", "cpu"},
            {"status", "PASS"}};
  }
  nlohmann::json file(const std::vector<nlohmann::json>& records, const std::string& hash) const {
    return {{"schema_version", 1}, {"provenance", {{"config_hash", hash}}}, {"points", records}};
  }

  SweepConfig cfg_;
  std::vector<Point> points_;
  std::string hash_;
};

TEST_F(SweepResume, KeepsThePointsOfTheSameCommitAndConfigInPointOrder) {
  const ResumePlan plan = plan_resume(file({record(5), record(0), record(2)}, hash_), points_, hash_, "abc", "cpu");
  ASSERT_EQ(plan.kept.size(), 3u);
  EXPECT_EQ(plan.kept[0]["index"], 0);
  EXPECT_EQ(plan.kept[1]["index"], 2);
  EXPECT_EQ(plan.kept[2]["index"], 5);
  EXPECT_EQ(plan.other_build + plan.unmatched, 0);
  EXPECT_EQ(describe_resume(plan, points_.size(), "r.json"), "resume: keeping 3 of 8 points from r.json; 5 to run");
}

TEST_F(SweepResume, DropsRecordsOfAnotherCommit) {
  const ResumePlan plan = plan_resume(file({record(0), record(1, "def")}, hash_), points_, hash_, "abc", "cpu");
  ASSERT_EQ(plan.kept.size(), 1u);
  EXPECT_EQ(plan.kept[0]["index"], 0);
  EXPECT_EQ(plan.other_build, 1);
}

TEST_F(SweepResume, DropsEveryRecordOfAFileWithAnotherConfigHash) {
  const ResumePlan plan = plan_resume(file({record(0), record(1)}, "0123456789abcdef"), points_, hash_, "abc", "cpu");
  EXPECT_TRUE(plan.kept.empty());
  EXPECT_EQ(plan.other_build, 2);
  const nlohmann::json no_provenance = {{"schema_version", 1}, {"points", {record(0)}}};
  EXPECT_TRUE(plan_resume(no_provenance, points_, hash_, "abc", "cpu").kept.empty());
}

// A record's index is its position in the earlier sweep; the kept copy takes the index of
// the same point in this one (e.g. a --filter that differs).
TEST_F(SweepResume, MatchesByPointNotByIndexAndRenumbers) {
  const std::vector<Point> later(points_.begin() + 4, points_.end());
  std::vector<Point> renumbered = later;
  for (std::size_t i = 0; i < renumbered.size(); ++i) renumbered[i].index = static_cast<int>(i);
  const ResumePlan plan = plan_resume(file({record(0), record(6)}, hash_), renumbered, hash_, "abc", "cpu");
  ASSERT_EQ(plan.kept.size(), 1u);
  EXPECT_EQ(plan.kept[0]["index"], 2);
  EXPECT_EQ(plan.kept[0]["params"], points_[6].params());
  EXPECT_EQ(plan.unmatched, 1);
}

TEST_F(SweepResume, KeepsTheFirstRecordOfAPoint) {
  nlohmann::json second = record(3);
  second["status"] = "FAILED";
  const ResumePlan plan = plan_resume(file({record(3), second}, hash_), points_, hash_, "abc", "cpu");
  ASSERT_EQ(plan.kept.size(), 1u);
  EXPECT_EQ(plan.kept[0]["status"], "PASS");
  EXPECT_EQ(plan.unmatched, 1);
  EXPECT_EQ(describe_resume(plan, points_.size(), "r.json"),
            "resume: keeping 1 of 8 points from r.json; 7 to run (records dropped: 1 not in this sweep or repeated)");
}

// The points of the sweep ask for transport "auto"; their records name the transport it
// resolved to.
TEST_F(SweepResume, APointOfTransportAutoMatchesTheResolvedTransport) {
  ASSERT_EQ(points_[0].params()["transport"], "auto");
  nlohmann::json r = record(0);
  r["params"]["transport"] = "mpi";
  const ResumePlan plan = plan_resume(file({r}, hash_), points_, hash_, "abc", "cpu");
  ASSERT_EQ(plan.kept.size(), 1u);
  EXPECT_EQ(plan.kept[0]["params"]["transport"], "mpi");
  std::vector<Point> explicit_transport = points_;
  explicit_transport[0].transport = TransportKind::Ce;
  EXPECT_TRUE(plan_resume(file({r}, hash_), explicit_transport, hash_, "abc", "cpu").kept.empty());
}

TEST_F(SweepResume, DropsRecordsOfAnotherRuntime) {
  nlohmann::json gpu = record(1);
  gpu["runtime"] = "cuda";
  const ResumePlan plan = plan_resume(file({record(0), gpu}, hash_), points_, hash_, "abc", "cpu");
  ASSERT_EQ(plan.kept.size(), 1u);
  EXPECT_EQ(plan.kept[0]["index"], 0);
  EXPECT_EQ(plan.other_build, 1);
}

// A build whose commit does not name its code (a dirty tree, an unknown commit) passes ""
// and keeps nothing, even from records that carry "" themselves.
TEST_F(SweepResume, ABuildWithoutAnExactCommitKeepsNothing) {
  const ResumePlan plan = plan_resume(file({record(0, ""), record(1)}, hash_), points_, hash_, "", "cpu");
  EXPECT_TRUE(plan.kept.empty());
  EXPECT_EQ(plan.other_build, 2);
}

TEST_F(SweepResume, TheConfigHashFollowsWhatChangesAMeasurement) {
  EXPECT_EQ(hash_.size(), 16u);
  nlohmann::json other = cfg_.resolved;
  other["measure"]["iterations"] = 11;
  EXPECT_NE(config_hash(other), hash_);
  other = cfg_.resolved;
  other["axes"]["S"] = 4096;
  EXPECT_NE(config_hash(other), hash_);
  // A longer --timeout after a watchdog exit, or a new name, resumes the same sweep.
  other = cfg_.resolved;
  other["measure"]["timeout"] = 3600;
  other["name"] = "renamed";
  other["description"] = "another text";
  EXPECT_EQ(config_hash(other), hash_);
}

}  // namespace
}  // namespace cpb
