// The result file: atomic rewrites, and validation when it is read back.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

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

TEST_F(ReportResultFile, ConstructorWritesProvenanceAndNoPoints) {
  ResultFile f(path("out.json"), {{"host", "h1"}});
  const nlohmann::json doc = load_result_file(path("out.json"));
  EXPECT_EQ(doc["schema_version"], kResultSchemaVersion);
  EXPECT_EQ(doc["provenance"]["host"], "h1");
  EXPECT_TRUE(doc["points"].is_array());
  EXPECT_TRUE(doc["points"].empty());
}

TEST_F(ReportResultFile, EveryAddRewritesTheWholeFileAndLeavesNoTemporaryFile) {
  ResultFile f(path("out.json"), nlohmann::json::object());
  for (int i = 0; i < 3; ++i) {
    f.add({{"schedule", "ulysses"}, {"params", {{"S", 1024 * (i + 1)}}}, {"status", "PASS"}});
    const nlohmann::json doc = load_result_file(path("out.json"));
    ASSERT_EQ(doc["points"].size(), static_cast<std::size_t>(i + 1));
    EXPECT_EQ(doc, f.document());
    EXPECT_EQ(files_in_dir(), 1u);
  }
  f.replace(1, {{"schedule", "ring"}, {"params", {{"S", 7}}}, {"status", "SKIPPED"}});
  EXPECT_EQ(load_result_file(path("out.json"))["points"][1]["schedule"], "ring");
  EXPECT_THROW(f.replace(3, nlohmann::json::object()), std::out_of_range);
  f.assign({{{"schedule", "usp"}, {"params", nlohmann::json::object()}}});
  const nlohmann::json doc = load_result_file(path("out.json"));
  ASSERT_EQ(doc["points"].size(), 1u);
  EXPECT_EQ(doc["points"][0]["schedule"], "usp");
  EXPECT_EQ(files_in_dir(), 1u);
}

TEST_F(ReportResultFile, CreatesParentDirectories) {
  ResultFile f(path("a/b/out.json"), nlohmann::json::object());
  EXPECT_TRUE(fs::exists(path("a/b/out.json")));
}

TEST_F(ReportResultFile, UnwritablePathThrowsNamingTheFile) {
  write("plain_file", "x");
  try {
    ResultFile f(path("plain_file/out.json"), nlohmann::json::object());
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("plain_file"), std::string::npos) << e.what();
  }
}

TEST_F(ReportResultFile, NonFiniteNumbersAndBadUtf8AreWritable) {
  ResultFile f(path("out.json"), nlohmann::json::object());
  f.add({{"schedule", "hcms"},
         {"params", nlohmann::json::object()},
         {"eta", std::numeric_limits<double>::quiet_NaN()},
         {"reason", std::string("bad \xff byte")}});
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
}

TEST_F(ReportResultFile, ProvenanceMayBeAbsent) {
  const std::string p = write("ok.json", "{\"schema_version\": 1, \"points\": []}");
  EXPECT_NO_THROW(load_result_file(p));
}

}  // namespace
}  // namespace cpb
