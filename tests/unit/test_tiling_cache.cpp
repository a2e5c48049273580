// The tiling cache (bench/tiling/tiling_cache.hpp): a stored solution comes back only for
// its own key and only when it is consistent with the problem; a layout built twice with
// the cache on is solved once and read once, with the same assignment; the directory
// follows the environment.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bench/cli/tiling_cache_env.hpp"
#include "bench/tiling/tiled_layout.hpp"
#include "bench/tiling/tiling_cache.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

namespace fs = std::filesystem;

// A fresh directory for one test, removed after it.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("cpb_tiling_cache_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

Problem problem(Mask m) {
  Problem p = test::make_problem(4, 256, 8, 8, 16, 1, m);
  p.tile_balance = 10;
  return p;
}

// Sets the cache for one scope and turns it off after.
struct CacheScope {
  explicit CacheScope(const std::string& dir) { set_tiling_cache({dir, "test-code", ""}); }
  ~CacheScope() { set_tiling_cache({"", "", "off in tests"}); }
};

TEST(TilingCache, StoredSolutionLoadsForItsKeyOnly) {
  const TempDir dir;
  const Problem p = problem(Mask::Star);
  const TiledLayout& l = tiled_layout(p);  // p named: GCC 13 flags a temporary (-Wdangling-reference)
  const nlohmann::json key = tiling_cache_key(l.problem, "greedy", "a");
  const std::string file = tiling_cache_file(dir.str(), key);
  EXPECT_EQ(store_cached_tiling(file, key, l.solution), "");
  TilingSolution got;
  std::string why;
  ASSERT_TRUE(load_cached_tiling(file, key, l.problem, &got, &why)) << why;
  EXPECT_EQ(got.rank_of, l.solution.rank_of);
  EXPECT_EQ(got.objective, l.solution.objective);
  EXPECT_EQ(got.status, l.solution.status);
  // Another code, method or problem is another key: another file, and this one refused.
  const nlohmann::json other = tiling_cache_key(l.problem, "greedy", "b");
  EXPECT_NE(tiling_cache_file(dir.str(), other), file);
  EXPECT_FALSE(load_cached_tiling(file, other, l.problem, &got, &why));
  EXPECT_EQ(why, "for another problem (a hash collision)");
  EXPECT_FALSE(load_cached_tiling(dir.str() + "/none.json", key, l.problem, &got, &why));
  EXPECT_EQ(why, "absent");
}

// A file whose assignment does not fit the problem or whose objective is not the
// assignment's is refused, with the reason.
TEST(TilingCache, InconsistentFilesAreRefused) {
  const TempDir dir;
  const Problem p = problem(Mask::Strided);
  const TiledLayout& l = tiled_layout(p);
  const nlohmann::json key = tiling_cache_key(l.problem, "greedy", "a");
  const std::string file = tiling_cache_file(dir.str(), key);
  TilingSolution bad = l.solution;
  TilingSolution got;
  std::string why;
  bad.rank_of[0] = l.ranks;
  ASSERT_EQ(store_cached_tiling(file, key, bad), "");
  EXPECT_FALSE(load_cached_tiling(file, key, l.problem, &got, &why));
  EXPECT_EQ(why, "rank 4 outside [0, 4)");
  bad = l.solution;
  bad.objective += 1;
  ASSERT_EQ(store_cached_tiling(file, key, bad), "");
  EXPECT_FALSE(load_cached_tiling(file, key, l.problem, &got, &why));
  EXPECT_NE(why.find("is not the assignment's"), std::string::npos) << why;
  std::ofstream(file) << "{\"schema\": \"cpbench-tiling-cache\", \"version\": 1, \"problem\": ";
  EXPECT_FALSE(load_cached_tiling(file, key, l.problem, &got, &why));
  EXPECT_EQ(why, "not valid JSON");
  // Valid JSON whose fields have the wrong types is refused too, not thrown.
  std::ofstream(file) << "{\"schema\": 1, \"version\": \"1\"}";
  EXPECT_FALSE(load_cached_tiling(file, key, l.problem, &got, &why));
  EXPECT_EQ(why.rfind("not a cpbench-tiling-cache file: ", 0), 0u) << why;
}

// With the cache on, the first build solves and stores, the second reads the same
// assignment back; a broken file is noted, solved again and replaced.
TEST(TilingCache, SecondBuildReadsTheFirstSolve) {
  const TempDir dir;
  const CacheScope scope(dir.str());
  const Problem p = problem(Mask::GlobalLocal);
  const auto first = build_tiled_layout(p);
  EXPECT_EQ(first->cache.status, "stored");
  ASSERT_TRUE(fs::exists(first->cache.file));
  const auto second = build_tiled_layout(p);
  EXPECT_EQ(second->cache.status, "hit");
  EXPECT_EQ(second->cache.file, first->cache.file);
  EXPECT_EQ(second->solution.rank_of, first->solution.rank_of);
  EXPECT_EQ(second->solution.solve_s, first->solution.solve_s);
  for (size_t t = 0; t < first->tiles.size(); ++t) EXPECT_EQ(second->tiles[t].rank, first->tiles[t].rank);
  std::ofstream(first->cache.file) << "not json";
  const auto third = build_tiled_layout(p);
  EXPECT_EQ(third->cache.status, "stored");
  EXPECT_EQ(third->cache.note, "ignored the cache file: not valid JSON");
  EXPECT_EQ(build_tiled_layout(p)->cache.status, "hit");
}

TEST(TilingCache, UnwritableDirectoryStillSolves) {
  const TempDir dir;
  const std::string blocker = dir.str() + "/file";
  std::ofstream(blocker) << "x";
  const CacheScope scope(blocker + "/cache");
  const auto l = build_tiled_layout(problem(Mask::Streaming));
  EXPECT_EQ(l->cache.status.rfind("not stored: ", 0), 0u) << l->cache.status;
  EXPECT_FALSE(l->solution.rank_of.empty());
}

TEST(TilingCache, OffUntilConfigured) {
  const auto l = build_tiled_layout(problem(Mask::Document));
  EXPECT_EQ(l->cache.status.rfind("off: ", 0), 0u) << l->cache.status;
  EXPECT_EQ(l->cache.file, "");
}

TEST(TilingCache, DirectoryFromTheEnvironment) {
  const BuildCommit clean{"0123456789abcdef", 0, "git"}, dirty{"0123456789abcdef", 1, "git"};
  EXPECT_EQ(tiling_cache_from_env("/c", "/x", "/h", clean).dir, "/c");
  EXPECT_EQ(tiling_cache_from_env("rel", "/x", "/h", clean).dir, "rel");
  EXPECT_EQ(tiling_cache_from_env(nullptr, "/x", "/h", clean).dir, "/x/cpbench/tiling");
  EXPECT_EQ(tiling_cache_from_env(nullptr, "rel", "/h", clean).dir, "/h/.cache/cpbench/tiling");
  EXPECT_EQ(tiling_cache_from_env(nullptr, nullptr, "/h", clean).code.rfind("0123456789abcdef compiler ", 0), 0u);
  for (const char* off : {"off", ""}) {
    const TilingCacheSettings s = tiling_cache_from_env(off, "/x", "/h", clean);
    EXPECT_EQ(s.dir, "");
    EXPECT_EQ(s.off_reason, std::string("CPB_TILING_CACHE=") + off);
  }
  EXPECT_EQ(tiling_cache_from_env(nullptr, nullptr, "rel", clean).off_reason,
            "neither CPB_TILING_CACHE, XDG_CACHE_HOME nor HOME names a directory");
  const TilingCacheSettings s = tiling_cache_from_env("/c", nullptr, nullptr, dirty);
  EXPECT_EQ(s.dir, "");
  EXPECT_EQ(s.off_reason, "the build's commit 0123456789abcdef-dirty does not name its code");
}

}  // namespace
}  // namespace cpb
