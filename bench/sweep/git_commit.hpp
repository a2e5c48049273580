// The commit cpbench was built from, compiled in at build time (cmake/GitCommit.cmake
// generates build_commit()), and the run-time check of CPB_GIT_SHA against it
// (docs/ARCHITECTURE.md, "The result file").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cpb {

struct BuildCommit {
  const char* sha;     // the CPB_GIT_SHA of the build (env, when set), the full commit (git), or "unknown"
  int dirty;           // 1: the tree differed from the commit (tracked or untracked files); 0: it did not; -1: unknown
  const char* source;  // "env" (CPB_GIT_SHA set at build time), "git" or "unknown"
};

// The commit of this binary; defined in the generated source.
const BuildCommit& build_commit();

// Whether `claimed` names the commit `built`: equal, or one an abbreviation of the other
// (a prefix of at least 7 characters of a hex commit id).
bool commit_matches(const std::string& built, const std::string& claimed);

// Throws UsageError naming both when `claimed` (CPB_GIT_SHA at run time; null or empty:
// not set) does not name the commit the binary was built from: a record must carry the
// commit of the code that made it, and the environment cannot override it.
void check_claimed_commit(const BuildCommit& built, const char* claimed);
// The same with build_commit() and the environment's CPB_GIT_SHA.
void check_commit_env();

// The commit a record carries ("git"): the sha, with "-dirty" when tracked or untracked
// files differed from it, so a record never claims a commit its code was not.
std::string record_commit(const BuildCommit& c);

// Whether the commit names the code exactly (a clean git tree, or a commit named by the
// build's CPB_GIT_SHA where the tree has no .git): only then may --resume keep records.
bool commit_names_code(const BuildCommit& c);

// The commit in words: "<sha> (git)", "<sha> (git, dirty)", "<sha> (env)", "unknown".
std::string commit_text(const BuildCommit& c);

// The provenance fields: {"git": sha, "git_dirty": true/false/null, "git_source": source}.
nlohmann::json commit_json(const BuildCommit& c);

}  // namespace cpb
