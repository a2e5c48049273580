#include "bench/sweep/sweep.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "base/out_of_memory.hpp"
#include "bench/report/console_table.hpp"
#include "bench/report/metrics.hpp"
#include "bench/report/progress.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/report/result_file.hpp"
#include "bench/sweep/point_runner.hpp"
#include "bench/sweep/provenance.hpp"
#include "bench/sweep/round_summary.hpp"

namespace cpb {
namespace {

// The points of each comparison group, in order of the groups' first points.
std::vector<std::vector<size_t>> comparison_groups(const std::vector<Point>& points) {
  std::map<std::string, size_t> group_of;  // problem_key dump -> position in `groups`
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < points.size(); ++i) {
    const std::string key = problem_key({{"params", points[i].params()}}).dump();
    const auto [it, added] = group_of.emplace(key, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  return groups;
}

// Collective: the points `group` of `points`. Round 1 is run_point for each in order;
// round k (k = 2..rounds) times again each point that timed_in_rounds, its loop and then
// its parts, in the order of round 1 rotated left by k-1 places. Every rank sees the same
// statuses, so every rank runs the same points in the same order.
std::vector<PointRecord> run_group(const std::vector<Point>& points, const std::vector<size_t>& group,
                                   int rounds, PointContext& ctx, Progress& progress) {
  std::vector<PointRecord> recs;
  for (size_t i : group) {
    const Point& p = points[i];
    progress.begin(p.index, describe_point({{"schedule", p.schedule}, {"params", p.params()}}));
    recs.push_back(run_point(p, ctx));
    progress.end();
  }
  std::vector<size_t> timed;  // positions in recs
  for (size_t k = 0; k < recs.size(); ++k)
    if (timed_in_rounds(recs[k])) timed.push_back(k);
  for (int round = 1; round < rounds; ++round) {
    for (size_t j = 0; j < timed.size(); ++j) {
      const size_t k = timed[(j + static_cast<size_t>(round)) % timed.size()];
      try {
        add_round(recs[k], measure_round(points[group[k]], recs[k], round + 1, ctx));
      } catch (const OutOfMemory&) {
        // The loop's executor did not fit, on every rank together (Runtime::prepare); the
        // point keeps the rounds it has (its record's "rounds" says how many). An
        // OutOfMemory in the parts does not get here (time_isolated_parts).
      }
    }
  }
  return recs;
}

// Rank 0: `rows` into `records`, which stays sorted by point index.
void merge_by_index(std::vector<nlohmann::json>& records, const std::vector<nlohmann::json>& rows) {
  const auto index = [](const nlohmann::json& r) { return r.value("index", 0); };
  for (const nlohmann::json& r : rows) {
    const auto at = std::upper_bound(records.begin(), records.end(), r,
                                     [&](const nlohmann::json& a, const nlohmann::json& b) { return index(a) < index(b); });
    records.insert(at, r);
  }
}

}  // namespace

int run_sweep(const SweepConfig& cfg, const std::vector<Point>& points, Runtime& runtime,
              const MpiSession& mpi, const SweepOptions& opt) {
  const bool root = mpi.rank() == 0;
  const int rounds = cfg.measure.rounds > 0 ? cfg.measure.rounds : default_rounds(runtime.name());
  nlohmann::json provenance = make_provenance(mpi, runtime, cfg, opt.argv);
  // The provenance's config names the rounds that ran; its config_hash stays that of the
  // config as loaded (rounds "auto" included), which is what --resume compares.
  if (provenance["config"].contains("measure")) provenance["config"]["measure"]["rounds"] = rounds;
  if (!opt.machine.is_null()) provenance["machine"] = opt.machine;
  std::unique_ptr<ResultFile> file;
  if (root && !opt.out.empty()) {
    std::vector<nlohmann::json> kept;
    for (const auto& kv : opt.kept) kept.push_back(kv.second);
    file = std::make_unique<ResultFile>(opt.out, provenance, static_cast<int>(points.size()), kept);
  }

  CompTimeCache comp_times;
  PointContext ctx{runtime, cfg.measure, mpi, opt.trace_dir, &comp_times, opt.order_steps, {}};
  Progress progress(static_cast<int>(points.size()), root && progress_wanted(opt.quiet), std::cerr);
  std::vector<nlohmann::json> records;  // rank 0: the finished groups' records, by index
  // The results table names every row's pass when some point runs another than fwd.
  const bool with_pass =
      std::any_of(points.begin(), points.end(), [](const Point& p) { return p.problem.pass != Pass::Fwd; });
  if (root) {
    std::cout << "cpbench " << cfg.name << ": " << points.size() << " points, " << mpi.size() << " ranks, "
              << runtime.name() << " runtime, " << rounds << (rounds == 1 ? " round\n" : " rounds\n");
    print_results_header(std::cout, with_pass);
  }
  int failed = 0;
  for (const std::vector<size_t>& group : comparison_groups(points)) {
    // Points kept from a resumed file (--resume) are not run again; their records join
    // the group's rows, so the new rows get their speedups against kept references.
    std::vector<size_t> to_run;
    std::vector<nlohmann::json> rows;
    for (size_t i : group) {
      const auto kept = opt.kept.find(points[i].index);
      if (kept == opt.kept.end()) to_run.push_back(i);
      else if (root) rows.push_back(kept->second);
    }
    comp_times.clear();  // its rounds count from 1 again; a part is timed in its own group's stretch
    const std::vector<PointRecord> recs = run_group(points, to_run, rounds, ctx, progress);
    if (!root) continue;
    rows.insert(rows.end(), recs.begin(), recs.end());
    for (nlohmann::json& r : rows) {
      const auto it = opt.predicted.find(r.value("index", -1));
      if (it != opt.predicted.end() && r.value("status", "") != "SKIPPED" && !r.contains("predicted_ms"))
        r["predicted_ms"] = it->second;
    }
    std::sort(rows.begin(), rows.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
      return a.value("index", 0) < b.value("index", 0);
    });
    fill_derived_metrics(rows);  // a row's Ulysses and Ring references are in its own group
    for (const nlohmann::json& r : rows) {
      print_results_row(r, std::cout, with_pass);
      if (r.value("status", "") == "FAILED") ++failed;
    }
    std::cout.flush();
    merge_by_index(records, rows);
    if (file) file->assign(records);
  }
  if (root) {
    const nlohmann::json all = records;
    std::cout << "\n";
    print_overlap_table(all, std::cout);
    if (file) file->finish();
    std::cout << points.size() << " points: " << failed << " FAILED";
    if (file) std::cout << "; results in " << file->path();
    std::cout << "\n";
  }
  // Rank 0 decides the exit code for everyone: every rank exits the same way.
  return allreduce_max(failed > 0 ? 1 : 0, mpi.world()) > 0 ? 1 : 0;
}

}  // namespace cpb
