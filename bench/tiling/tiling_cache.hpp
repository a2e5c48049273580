// Solved tiling problems kept between processes (issue 19): the MILP takes seconds to a
// minute per point, and a sweep, a rerun, `plan` and `simulate` pose the same problems
// again. One JSON file per problem in a directory (docs/CONFIG.md, "Environment"), named
// by a hash of its key and holding the key itself, so a file is used only for the exact
// problem that made it.
//
// The key is the whole tiling problem (ranks, owners, bytes, tiles with their work,
// balance), the method (solver, its limits and version) and the code (the build's
// commit and compiler). Every rank of a job solves its own copy of the problem, so a cached solution
// must be the one a fresh solve would give: the commit in the key keeps a file from
// another version of the greedy or the model out, and the solve itself is deterministic
// (tiled_layout.cpp: one thread, a node limit, no clock).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench/tiling/tiling_problem.hpp"

namespace cpb {

// The process-wide cache setting: `dir` empty means off, and `off_reason` says why.
struct TilingCacheSettings {
  std::string dir;         // the directory of cache files; "": off
  std::string code;        // the code's identity in every key (the build's commit)
  std::string off_reason;  // why the cache is off, for records ("" when on)
};
// The setting every later tiled_layout() uses; off until set (tests, libraries).
void set_tiling_cache(TilingCacheSettings settings);
const TilingCacheSettings& tiling_cache();

// What the cache did for one problem, for records (tiling_json).
struct TilingCacheUse {
  std::string status;  // "hit", "stored", "not stored: <why>", "off: <why>"
  std::string file;    // the cache file ("" when off)
  double load_s = 0;   // time to read and check the file [s] (hits)
  std::string note;    // why an existing file was ignored ("" when none was)
};

// The key of `p` solved by `method` (tiled_layout.cpp builds it: the solver, its version and every limit of the solve) under `code`.
nlohmann::json tiling_cache_key(const TilingProblem& p, const std::string& method, const std::string& code);

// The file for `key` in `dir`: DIR/tiling-<16 hex digits of FNV-1a 64 of key.dump()>.json.
std::string tiling_cache_file(const std::string& dir, const nlohmann::json& key);

// The solution stored for `key`, checked against `p` (one rank in range per tile, the
// objective equal to tiling_traffic's), or false with `why` set when the file is absent,
// unreadable, for another key or inconsistent.
bool load_cached_tiling(const std::string& file, const nlohmann::json& key, const TilingProblem& p, TilingSolution* out,
                        std::string* why);

// Writes `s` for `key` atomically (base/atomic_file.hpp); returns "" or why it could not.
std::string store_cached_tiling(const std::string& file, const nlohmann::json& key, const TilingSolution& s);

}  // namespace cpb
