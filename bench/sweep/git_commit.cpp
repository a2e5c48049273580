#include "bench/sweep/git_commit.hpp"

#include <cstdlib>

#include "base/usage_error.hpp"

namespace cpb {

bool commit_matches(const std::string& built, const std::string& claimed) {
  constexpr size_t kShortest = 7;  // git's default abbreviation
  if (claimed == built) return true;
  // Either may be the abbreviation: a build from a short CPB_GIT_SHA, run with the full one.
  const std::string& shorter = claimed.size() < built.size() ? claimed : built;
  const std::string& longer = claimed.size() < built.size() ? built : claimed;
  const bool hex = longer.find_first_not_of("0123456789abcdef") == std::string::npos;
  return hex && shorter.size() >= kShortest && longer.compare(0, shorter.size(), shorter) == 0;
}

void check_claimed_commit(const BuildCommit& built, const char* claimed) {
  if (!claimed || !*claimed || commit_matches(built.sha, claimed)) return;
  throw UsageError(std::string("CPB_GIT_SHA=\"") + claimed +
                   "\" does not name the commit this binary was built from (" + built.sha + ", from " + built.source +
                   "); unset CPB_GIT_SHA, or rebuild with it set: the build takes the commit from "
                   "CPB_GIT_SHA when set, else from git");
}

void check_commit_env() { check_claimed_commit(build_commit(), std::getenv("CPB_GIT_SHA")); }

std::string record_commit(const BuildCommit& c) { return std::string(c.sha) + (c.dirty == 1 ? "-dirty" : ""); }

bool commit_names_code(const BuildCommit& c) {
  const std::string source = c.source;
  return (source == "git" && c.dirty == 0) || source == "env";
}

std::string commit_text(const BuildCommit& c) {
  if (std::string(c.source) == "unknown") return c.sha;
  return std::string(c.sha) + " (" + c.source + (c.dirty == 1 ? ", dirty" : "") + ")";
}

nlohmann::json commit_json(const BuildCommit& c) {
  return {{"git", c.sha},
          {"git_dirty", c.dirty < 0 ? nlohmann::json(nullptr) : nlohmann::json(c.dirty == 1)},
          {"git_source", c.source}};
}

}  // namespace cpb
