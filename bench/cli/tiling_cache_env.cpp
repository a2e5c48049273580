#include "bench/cli/tiling_cache_env.hpp"

#include <cstdlib>
#include <string>

namespace cpb {
namespace {

#ifdef NDEBUG
constexpr const char* kCompiler = "compiler " __VERSION__ " NDEBUG";
#else
constexpr const char* kCompiler = "compiler " __VERSION__;
#endif

}  // namespace

TilingCacheSettings tiling_cache_from_env(const char* cpb_tiling_cache, const char* xdg_cache_home, const char* home,
                                          const BuildCommit& commit) {
  TilingCacheSettings s;
  // Two builds of one commit solve alike only with the same compiler and settings.
  s.code = record_commit(commit) + " " + kCompiler;
  const auto off = [&s](const std::string& why) {
    s.dir.clear();
    s.off_reason = why;
    return s;
  };
  if (cpb_tiling_cache != nullptr) {
    const std::string v = cpb_tiling_cache;
    if (v.empty() || v == "off") return off("CPB_TILING_CACHE=" + v);
    s.dir = v;
  } else if (xdg_cache_home != nullptr && xdg_cache_home[0] == '/') {
    s.dir = std::string(xdg_cache_home) + "/cpbench/tiling";
  } else if (home != nullptr && home[0] == '/') {
    s.dir = std::string(home) + "/.cache/cpbench/tiling";
  } else {
    return off("neither CPB_TILING_CACHE, XDG_CACHE_HOME nor HOME names a directory");
  }
  if (!commit_names_code(commit)) return off("the build's commit " + record_commit(commit) + " does not name its code");
  return s;
}

void configure_tiling_cache() {
  set_tiling_cache(tiling_cache_from_env(std::getenv("CPB_TILING_CACHE"), std::getenv("XDG_CACHE_HOME"),
                                         std::getenv("HOME"), build_commit()));
}

}  // namespace cpb
