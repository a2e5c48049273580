// The result file: atomic rewrites, "complete" and "interrupted", kept records, and
// validation when it is read back.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <vector>

#include "bench/report/result_file.hpp"

namespace cpb {
namespace {

namespace fs = std::filesystem;

class ReportResultFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cpb_result_file_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  std::size_t files_in_dir() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  // what() of the error load_result_file throws for `text`.
  std::string load_error(const std::string& text) const {
    const std::string p = write("bad.json", text);
    try {
      load_result_file(p);
    } catch (const ResultFileError& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
};

nlohmann::json record(int index, const std::string& schedule) {
  return {{"index", index}, {"schedule", schedule}, {"params", {{"S", 1024 * (index + 1)}}}, {"status", "PASS"}};
}

TEST_F(ReportResultFile, ConstructorWritesAnIncompleteFileWithProvenanceAndNoPoints) {
  ResultFile f(path("out.json"), {{"host", "h1"}}, 4);
  const nlohmann::json doc = load_result_file(path("out.json"));
  EXPECT_EQ(doc["schema_version"], kResultSchemaVersion);
  EXPECT_EQ(doc["provenance"]["host"], "h1");
  EXPECT_EQ(doc["complete"], false);
  EXPECT_EQ(doc["planned"], 4);
  EXPECT_FALSE(doc.contains("interrupted"));
  EXPECT_TRUE(doc["points"].is_array());
  EXPECT_TRUE(doc["points"].empty());
  EXPECT_EQ(incomplete_note(doc), "incomplete: 0 of 4 points, the run was killed or is still running");
}

TEST_F(ReportResultFile, EveryAssignRewritesTheWholeFileAndLeavesNoTemporaryFile) {
  ResultFile f(path("out.json"), nlohmann::json::object(), 3);
  std::vector<nlohmann::json> records;
  for (int i = 0; i < 3; ++i) {
    records.push_back(record(i, "ulysses"));
    f.assign(records);
    const nlohmann::json doc = load_result_file(path("out.json"));
    ASSERT_EQ(doc["points"].size(), static_cast<std::size_t>(i + 1));
    EXPECT_EQ(doc, f.document());
    EXPECT_EQ(files_in_dir(), 1u);
  }
  EXPECT_EQ(load_result_file(path("out.json"))["complete"], false);
  f.finish();
  const nlohmann::json doc = load_result_file(path("out.json"));
  EXPECT_EQ(doc["complete"], true);
  EXPECT_EQ(incomplete_note(doc), std::nullopt);
  EXPECT_EQ(files_in_dir(), 1u);
}

// Kept records (--resume) are in the first write, and stay, in index order, beside the
// records the sweep makes.
TEST_F(ReportResultFile, KeptRecordsAreWrittenAtOnceAndMergedByIndex) {
  ResultFile f(path("out.json"), nlohmann::json::object(), 4, {record(1, "kept1"), record(3, "kept3")});
  nlohmann::json doc = load_result_file(path("out.json"));
  ASSERT_EQ(doc["points"].size(), 2u);
  EXPECT_EQ(doc["points"][1]["schedule"], "kept3");
  f.assign({record(0, "ran0")});
  doc = load_result_file(path("out.json"));
  ASSERT_EQ(doc["points"].size(), 3u);
  EXPECT_EQ(doc["points"][0]["schedule"], "ran0");
  EXPECT_EQ(doc["points"][1]["schedule"], "kept1");
  EXPECT_EQ(doc["points"][2]["schedule"], "kept3");
  nlohmann::json kept1 = record(1, "kept1");
  kept1["speedup"] = 2;  // the sweep's copy of a kept record, with its derived metrics
  f.assign({record(0, "ran0"), kept1, record(2, "ran2")});
  doc = load_result_file(path("out.json"));
  ASSERT_EQ(doc["points"].size(), 4u);
  EXPECT_EQ(doc["points"][1]["speedup"], 2);
  EXPECT_EQ(doc["points"][2]["schedule"], "ran2");
  EXPECT_EQ(doc["points"][3]["schedule"], "kept3");
}

TEST_F(ReportResultFile, AnInterruptRecordsTheSignalAndKeepsTheFileIncomplete) {
  ResultFile f(path("out.json"), nlohmann::json::object(), 5);
  f.assign({record(0, "ulysses"), record(1, "ring")});
  run_interrupt_hooks("SIGINT");  // what the watcher thread does on a signal
  const nlohmann::json doc = load_result_file(path("out.json"));
  EXPECT_EQ(doc["interrupted"], "SIGINT");
  EXPECT_EQ(doc["complete"], false);
  EXPECT_EQ(doc["points"].size(), 2u);
  EXPECT_EQ(incomplete_note(doc), "incomplete: 2 of 5 points, interrupted by SIGINT");
}

TEST_F(ReportResultFile, ADestroyedFileNoLongerHearsInterrupts) {
  { ResultFile f(path("out.json"), nlohmann::json::object(), 1); }
  run_interrupt_hooks("SIGTERM");
  EXPECT_FALSE(load_result_file(path("out.json")).contains("interrupted"));
}

TEST_F(ReportResultFile, AnExceptionBeforeFinishMarksTheFile) {
  try {
    ResultFile f(path("out.json"), nlohmann::json::object(), 2);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  const nlohmann::json doc = load_result_file(path("out.json"));
  EXPECT_EQ(doc["interrupted"], "error");
  EXPECT_EQ(incomplete_note(doc), "incomplete: 0 of 2 points, stopped by an error");
}

TEST_F(ReportResultFile, CreatesParentDirectories) {
  ResultFile f(path("a/b/out.json"), nlohmann::json::object(), 0);
  EXPECT_TRUE(fs::exists(path("a/b/out.json")));
}

TEST_F(ReportResultFile, UnwritablePathThrowsNamingTheFile) {
  write("plain_file", "x");
  try {
    ResultFile f(path("plain_file/out.json"), nlohmann::json::object(), 0);
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("plain_file"), std::string::npos) << e.what();
  }
}

TEST_F(ReportResultFile, NonFiniteNumbersAndBadUtf8AreWritable) {
  ResultFile f(path("out.json"), nlohmann::json::object(), 1);
  f.assign({{{"index", 0},
             {"schedule", "hcms"},
             {"params", nlohmann::json::object()},
             {"eta", std::numeric_limits<double>::quiet_NaN()},
             {"reason", std::string("bad \xff byte")}}});
  const nlohmann::json doc = load_result_file(path("out.json"));
  EXPECT_TRUE(doc["points"][0]["eta"].is_null());
  EXPECT_NE(doc["points"][0]["reason"].get<std::string>().find("bad "), std::string::npos);
}

TEST_F(ReportResultFile, LoadErrorsNameTheFileAndTheField) {
  EXPECT_THROW(load_result_file(path("missing.json")), ResultFileError);
  EXPECT_THROW(load_result_file(path("missing.json")), UsageError);  // the driver exits 2

  std::string e = load_error("{\"schema_version\": 1, \"points\": [");
  EXPECT_NE(e.find("bad.json: not valid JSON"), std::string::npos) << e;
  e = load_error("[1, 2]");
  EXPECT_NE(e.find("top level is not an object"), std::string::npos) << e;
  e = load_error("{\"points\": []}");
  EXPECT_NE(e.find("schema_version"), std::string::npos) << e;
  e = load_error("{\"schema_version\": 2, \"points\": []}");
  EXPECT_NE(e.find("schema_version 2 is not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("newer cpbench"), std::string::npos) << e;
  e = load_error("{\"schema_version\": 1, \"points\": {}}");
  EXPECT_NE(e.find("\"points\" is missing or not an array"), std::string::npos) << e;
  e = load_error("{\"schema_version\": 1, \"provenance\": 3, \"points\": []}");
  EXPECT_NE(e.find("\"provenance\" is not an object"), std::string::npos) << e;
  e = load_error("{\"schema_version\": 1, \"points\": [{\"schedule\": \"ring\", \"params\": {}}, {\"params\": {}}]}");
  EXPECT_NE(e.find("bad.json: points[1]: \"schedule\" is missing"), std::string::npos) << e;
  e = load_error("{\"schema_version\": 1, \"points\": [{\"schedule\": \"ring\", \"params\": null}]}");
  EXPECT_NE(e.find("points[0]: \"params\" is missing or not an object"), std::string::npos) << e;
  e = load_error("{\"schema_version\": 1, \"complete\": \"yes\", \"points\": []}");
  EXPECT_NE(e.find("bad.json: \"complete\" is string, not a bool"), std::string::npos) << e;
  e = load_error("{\"schema_version\": 1, \"planned\": 2.5, \"points\": []}");
  EXPECT_NE(e.find("\"planned\" is number, not an integer"), std::string::npos) << e;
  e = load_error("{\"schema_version\": 1, \"interrupted\": true, \"points\": []}");
  EXPECT_NE(e.find("\"interrupted\" is boolean, not a string"), std::string::npos) << e;
}

// Files written before "complete" existed read as they are, without a warning.
TEST_F(ReportResultFile, ProvenanceAndCompletenessMayBeAbsent) {
  const std::string p = write("ok.json", "{\"schema_version\": 1, \"points\": []}");
  EXPECT_NO_THROW(load_result_file(p));
  EXPECT_EQ(incomplete_note(load_result_file(p)), std::nullopt);
}

}  // namespace
}  // namespace cpb
