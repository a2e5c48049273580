// `cpbench run --resume`: which records of an earlier result file a sweep keeps instead of
// running their points again (docs/RELIABILITY.md, "--resume").
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/config/config.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

struct ResumePlan {
  // The records kept, in this sweep's point order, each with "index" set to its point's
  // index in this sweep.
  std::vector<nlohmann::json> kept;
  int other_build = 0;  // records dropped: another config hash, commit or runtime
  int unmatched = 0;    // records dropped: their point is not in this sweep, or repeated
};

// Keeps a record of `doc` (a loaded result file) when the file's provenance.config_hash
// equals `hash`, the record's "git" equals `git` (a commit of a clean tree: the caller
// passes "" for a dirty or unknown build, which keeps nothing), its "runtime" equals
// `runtime` and its point (schedule and params) is one of `points`; a point of transport "auto" matches the record of any transport (records
// name the transport "auto" resolved to). Each point keeps the first such record not kept
// already. Records of any status are kept: a point that FAILED or was SKIPPED with this
// commit and config is a result (--force reruns everything).
ResumePlan plan_resume(const nlohmann::json& doc, const std::vector<Point>& points,
                       const std::string& hash, const std::string& git, const std::string& runtime);

// One line for the console: "resume: keeping 7 of 10 points from FILE; 3 to run (...)".
std::string describe_resume(const ResumePlan& plan, std::size_t points, const std::string& path);

// Collective: rank 0's `kept` (other ranks pass an empty one) becomes, on every rank, a
// map from point index to record (the records on rank 0, null elsewhere), so every rank
// skips the same points.
std::map<int, nlohmann::json> share_kept(const std::vector<nlohmann::json>& kept, const MpiSession& mpi);

}  // namespace cpb
