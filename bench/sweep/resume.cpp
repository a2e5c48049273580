#include "bench/sweep/resume.hpp"

#include <set>

#include "base/check.hpp"
#include "bench/report/record_fields.hpp"
#include "comm/watchdog.hpp"

namespace cpb {

namespace {

// A record's point with the transport as the config names it: a point of transport "auto"
// records the transport it resolved to ("mpi"), so it is looked up by both.
std::string identity_as_auto(const nlohmann::json& record) {
  nlohmann::json r = {{"schedule", record.value("schedule", "")}, {"params", record.value("params", nlohmann::json())}};
  if (r["params"].is_object()) r["params"]["transport"] = "auto";
  return point_identity(r);
}

}  // namespace

ResumePlan plan_resume(const nlohmann::json& doc, const std::vector<Point>& points,
                       const std::string& hash, const std::string& git, const std::string& runtime) {
  const std::string file_hash = string_field(doc, {"provenance", "config_hash"});
  const nlohmann::json records = doc.value("points", nlohmann::json::array());
  // identity -> positions in `records` of this build's records with it, in file order
  std::map<std::string, std::vector<std::size_t>> exact, as_auto;
  ResumePlan plan;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (git.empty() || file_hash != hash || string_field(records[i], {"git"}) != git ||
        string_field(records[i], {"runtime"}) != runtime) {
      ++plan.other_build;
      continue;
    }
    exact[point_identity(records[i])].push_back(i);
    as_auto[identity_as_auto(records[i])].push_back(i);
  }
  std::set<std::size_t> used;
  for (const Point& p : points) {
    const nlohmann::json params = p.params();
    const auto& by = params.value("transport", "") == "auto" ? as_auto : exact;
    const auto found = by.find(point_identity({{"schedule", p.schedule}, {"params", params}}));
    if (found == by.end()) continue;
    for (const std::size_t i : found->second) {
      if (!used.insert(i).second) continue;
      nlohmann::json record = records[i];
      record["index"] = p.index;
      plan.kept.push_back(std::move(record));
      break;
    }
  }
  plan.unmatched = static_cast<int>(records.size() - plan.kept.size()) - plan.other_build;
  return plan;
}

std::string describe_resume(const ResumePlan& plan, std::size_t points, const std::string& path) {
  std::string s = "resume: keeping " + std::to_string(plan.kept.size()) + " of " + std::to_string(points) +
                  " points from " + path + "; " + std::to_string(points - plan.kept.size()) + " to run";
  std::string dropped;
  const auto add = [&](int n, const char* why) {
    if (n > 0) dropped += (dropped.empty() ? "" : ", ") + std::to_string(n) + " " + why;
  };
  add(plan.other_build, "from another commit, config or runtime, or a build of a dirty tree");
  add(plan.unmatched, "not in this sweep or repeated");
  return dropped.empty() ? s : s + " (records dropped: " + dropped + ")";
}

std::map<int, nlohmann::json> share_kept(const std::vector<nlohmann::json>& kept, const MpiSession& mpi) {
  std::vector<int> indices;
  for (const nlohmann::json& r : kept) indices.push_back(r.at("index").get<int>());
  int n = static_cast<int>(indices.size());
  CPB_MPI_WAIT(MPI_Bcast, &n, 1, MPI_INT, 0, mpi.world());
  indices.resize(static_cast<std::size_t>(n));
  if (n > 0) CPB_MPI_WAIT(MPI_Bcast, indices.data(), n, MPI_INT, 0, mpi.world());
  std::map<int, nlohmann::json> shared;
  for (int i = 0; i < n; ++i) shared[indices[static_cast<std::size_t>(i)]] = mpi.rank() == 0 ? kept[static_cast<std::size_t>(i)] : nullptr;
  return shared;
}

}  // namespace cpb
