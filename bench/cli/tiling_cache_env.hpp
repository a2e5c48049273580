// The tiling cache's directory from the environment (docs/CONFIG.md, "Environment"):
// CPB_TILING_CACHE names it ("off" or empty: no cache); unset, it is
// $XDG_CACHE_HOME/cpbench/tiling, else $HOME/.cache/cpbench/tiling. The cache is off in a
// build whose commit does not name its code (a dirty tree), where the key could not tell
// two versions of the planner apart. The code in every key is the commit and the compiler
// (version, NDEBUG).
#pragma once

#include "bench/sweep/git_commit.hpp"
#include "bench/tiling/tiling_cache.hpp"

namespace cpb {

// The setting for the given environment values (null: unset) and build commit.
TilingCacheSettings tiling_cache_from_env(const char* cpb_tiling_cache, const char* xdg_cache_home, const char* home,
                                          const BuildCommit& commit);

// set_tiling_cache() from this process's environment and build.
void configure_tiling_cache();

}  // namespace cpb
