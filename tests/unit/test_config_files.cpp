// The configs shipped with cpbench: quickstart and CI smoke load and expand at the
// world sizes they are run at, the multi-rank numerics matrix (tests/configs) runs most of
// its points at P = 2, 3 and 4 and covers what it promises, and the config cases of the
// bad-input battery (tests/cli/cases.txt) fail in load_config/expand with their messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "bench/config/config.hpp"
#include "test_config_util.hpp"

namespace cpb::test {
namespace {

namespace fs = std::filesystem;

std::string source(const std::string& rel) { return std::string(CPB_SOURCE_DIR) + "/" + rel; }

std::vector<std::string> json_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(source(dir)))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

size_t runnable(const std::vector<Point>& points) {
  return static_cast<size_t>(
      std::count_if(points.begin(), points.end(), [](const Point& p) { return p.skip_reason.empty(); }));
}

TEST(ConfigFiles, EveryShippedConfigLoads) {
  for (const char* dir : {"configs", "configs/paper", "configs/paper/cpu", "configs/ultraattn", "tests/configs"}) {
    for (const std::string& f : json_files(dir)) {
      if (fs::path(f).filename() == "hcms_paper_numbers.json") continue;  // the paper's figures, not a sweep
      const SweepConfig c = load_config(f, {});
      std::vector<int> sizes = c.world_sizes.empty() ? std::vector<int>{2, 4} : c.world_sizes;
      for (int P : sizes) EXPECT_GT(runnable(expand(c, P, "")), 0u) << f << " at P=" << P;
    }
  }
}

TEST(ConfigFiles, QuickstartIsSmallAndRunsAtTwoAndFourRanks) {
  const SweepConfig c = load_config(source("configs/quickstart.json"), {});
  for (int P : {2, 4}) {
    const std::vector<Point> p = expand(c, P, "");
    EXPECT_LE(p.size(), 64u);
    EXPECT_LE(runnable(p), 48u) << "P=" << P;
    EXPECT_GE(runnable(p) * 2, p.size()) << "P=" << P;  // at least half run
    // Every schedule runs the forward, and the forward and backward together.
    for (Pass pass : {Pass::Fwd, Pass::FwdBwd}) {
      std::set<std::string> schedules;
      for (const Point& x : p)
        if (x.skip_reason.empty() && x.problem.pass == pass) schedules.insert(x.schedule);
      EXPECT_EQ(schedules, (std::set<std::string>{"ulysses", "hcms", "ring", "zigzag_ring", "usp"}))
          << "P=" << P << " pass " << to_string(pass);
    }
  }
}

TEST(ConfigFiles, NumericsMatrixRunsMostPointsAtEveryWorldSize) {
  for (const std::string& f : json_files("tests/configs")) {
    const SweepConfig c = load_config(f, {});
    for (int P : {2, 3, 4}) {
      const std::vector<Point> p = expand(c, P, "");
      EXPECT_GE(runnable(p) * 3, p.size() * 2) << f << " at P=" << P << ": fewer than 2 in 3 points run";
    }
  }
}

TEST(ConfigFiles, NumericsMatrixCoversTheIssue) {
  std::map<int, std::set<std::string>> schedules;  // P -> schedules that run
  std::set<std::string> masks;
  std::set<int> dims;
  int64_t s_min = INT64_MAX, s_max = 0;
  int h_min = INT32_MAX, h_max = 0;
  bool gqa = false, batch = false, odd_d = false, uneven_heads = false, uneven_chunks = false,
       head_split = false, auto_chunks = false, taper = false, two_lanes = false;
  for (const std::string& f : json_files("tests/configs")) {
    const SweepConfig c = load_config(f, {});
    for (int P : {2, 3, 4}) {
      for (const Point& x : expand(c, P, "")) {
        if (!x.skip_reason.empty()) continue;
        const Problem& q = x.problem;
        schedules[P].insert(x.schedule);
        masks.insert(to_string(q.mask));
        dims.insert(q.D);
        s_min = std::min(s_min, q.S);
        s_max = std::max(s_max, q.S);
        h_min = std::min(h_min, q.H);
        h_max = std::max(h_max, q.H);
        gqa |= q.Hkv < q.H;
        batch |= q.B > 1;
        odd_d |= q.D % 8 != 0;
        uneven_heads |= (x.schedule == "ulysses" || x.schedule == "hcms") && q.H % P != 0;
        uneven_chunks |= x.schedule == "hcms" && q.chunk_heads.empty() && (q.H / P) % q.chunks != 0;
        head_split |= x.schedule == "hcms" && !q.chunk_heads.empty();
        auto_chunks |= x.schedule == "hcms" && q.chunks_auto;
        taper |= x.schedule == "hcms" && q.chunk_shape == ChunkShape::Taper && q.H % P != 0;
        two_lanes |= x.schedule == "hcms" && q.comm_lanes == 2;
      }
    }
  }
  const std::set<std::string> all = {"ulysses", "hcms", "ring", "zigzag_ring", "usp", "tiled"};
  for (int P : {2, 3, 4}) EXPECT_EQ(schedules[P], all) << "P=" << P;
  const std::vector<std::string> every_mask = mask_names();
  EXPECT_EQ(masks, std::set<std::string>(every_mask.begin(), every_mask.end()));
  EXPECT_LE(s_min, 96);
  EXPECT_GE(s_max, 480);
  EXPECT_LE(h_min, 10);
  EXPECT_GE(h_max, 12);
  EXPECT_LE(*dims.begin(), 16);
  EXPECT_GE(*dims.rbegin(), 64);
  EXPECT_GE(dims.size(), 3u);
  EXPECT_TRUE(gqa);
  EXPECT_TRUE(batch);
  EXPECT_TRUE(odd_d);
  EXPECT_TRUE(uneven_heads);
  EXPECT_TRUE(uneven_chunks);
  EXPECT_TRUE(head_split);
  EXPECT_TRUE(auto_chunks);
  EXPECT_TRUE(taper);  // with uneven heads per rank
  EXPECT_TRUE(two_lanes);
}

// One case of the bad-input battery, tests/cli/cases.txt (format: tests/cli/run_cli_tests.sh).
struct CliCase {
  std::string name, config;
  std::vector<std::string> words, expects;  // the cmd line cut at blanks, quotes removed
  bool np = false;
};

std::vector<CliCase> cli_cases() {
  std::vector<CliCase> out;
  for (const std::string& l : lines(source("tests/cli/cases.txt"))) {
    const size_t sp = l.find(' ');
    const std::string key = l.substr(0, sp), rest = sp == std::string::npos ? "" : l.substr(sp + 1);
    if (key == "case") out.push_back({rest, "", {}, {}, false});
    if (out.empty()) continue;
    if (key == "config") out.back().config = rest;
    if (key == "np") out.back().np = true;
    if (key == "expect") out.back().expects.push_back(rest);
    if (key != "cmd") continue;
    std::string word;
    for (const char c : rest + " ") {
      if (c != ' ') {
        if (c != '\'') word += c;
      } else if (!word.empty()) {
        out.back().words.push_back(word);
        word.clear();
      }
    }
  }
  return out;
}

// The battery's config cases checked without the driver: those that run or plan an inline
// config with no options but -a, --filter and -P (not --out, --trace, ...). A case whose
// config loads and expands fails in the driver instead (no runnable point, --index).
TEST(ConfigFiles, CliCasesFailWithTheirMessages) {
  const std::string path = (fs::temp_directory_path() / "cpbench_cli_case.json").string();
  int cases = 0;
  for (const CliCase& c : cli_cases()) {
    if (c.config.empty() || c.words.size() < 3 || (c.words[0] != "run" && c.words[0] != "plan")) continue;
    std::vector<std::string> overrides;
    std::string filter;
    int P = c.words[0] == "plan" ? 2 : 1;
    bool config_case = !c.np;
    for (size_t i = 1; i + 1 < c.words.size(); i += 2) {
      const std::string& opt = c.words[i];
      const std::string& value = c.words[i + 1];
      if (opt == "-a") overrides.push_back(value);
      else if (opt == "--filter") filter = value;
      else if (opt == "-P") P = std::atoi(value.c_str());
      else if (opt != "-c" || value != "$CONFIG") config_case = false;
    }
    if (!config_case || c.words.size() % 2 == 0 || P < 1) continue;
    std::ofstream(path) << c.config;
    std::string msg;
    try {
      expand(load_config(path, overrides), P, filter);
      continue;
    } catch (const UsageError& e) {
      msg = e.what();
    }
    ++cases;
    for (std::string want : c.expects) {
      const size_t at = want.find("$CONFIG");
      if (at != std::string::npos) want.replace(at, 7, path);
      EXPECT_TRUE(contains(msg, want)) << c.name << ": " << msg;
    }
  }
  fs::remove(path);
  EXPECT_GE(cases, 150);
}

}  // namespace
}  // namespace cpb::test
