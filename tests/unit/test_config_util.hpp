// Helpers for the config tests: configs written to a per-test temporary folder, and the
// message of the UsageError a call throws.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/config/config.hpp"

namespace cpb::test {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("cpb_cfg_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to <tmp>/<name> and returns the path.
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // A config with `axes` (the inside of the axes object) and extra top-level members.
  std::string config(const std::string& axes, const std::string& extra = "") const {
    return write("c.json", "{\"axes\": {" + axes + "}" + (extra.empty() ? "" : ", " + extra) + "}");
  }

  SweepConfig load(const std::string& axes, const std::string& extra = "",
                   const std::vector<std::string>& overrides = {}) const {
    return load_config(config(axes, extra), overrides);
  }

  std::filesystem::path dir_;
};

// The what() of the UsageError that `f` throws; fails the test when it throws none.
template <class F>
std::string usage_error(F&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a UsageError";
  return "";
}

// Whether `text` contains `part`; the failure message shows both.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Axes of a small valid config, for tests that vary one thing.
inline const char* kBaseAxes = R"("schedule": "ulysses", "S": 256, "H": 4, "D": 16)";

}  // namespace cpb::test
