#include "bench/sweep/sweep.hpp"

#include <iostream>
#include <memory>

#include "bench/report/metrics.hpp"
#include "bench/sweep/point_runner.hpp"
#include "bench/sweep/provenance.hpp"
#include "bench/report/console_table.hpp"
#include "bench/report/progress.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/report/result_file.hpp"

namespace cpb {

int run_sweep(const SweepConfig& cfg, const std::vector<Point>& points, Runtime& runtime,
              const MpiSession& mpi, const SweepOptions& opt) {
  const bool root = mpi.rank() == 0;
  const nlohmann::json provenance = make_provenance(mpi, runtime, cfg, opt.argv);
  std::unique_ptr<ResultFile> file;
  if (root && !opt.out.empty()) {
    std::vector<nlohmann::json> kept;
    for (const auto& kv : opt.kept) kept.push_back(kv.second);
    file = std::make_unique<ResultFile>(opt.out, provenance, static_cast<int>(points.size()), kept);
  }

  CompTimeCache comp_times;
  PointContext ctx{runtime, cfg.measure, mpi, opt.trace_dir, &comp_times};
  Progress progress(static_cast<int>(points.size()), root && progress_wanted(opt.quiet), std::cerr);
  std::vector<nlohmann::json> records;
  if (root) {
    std::cout << "cpbench " << cfg.name << ": " << points.size() << " points, " << mpi.size()
              << " ranks, " << runtime.name() << " runtime\n";
    print_results_header(std::cout);
  }
  int failed = 0;
  for (const Point& p : points) {
    const auto kept = opt.kept.find(p.index);
    if (kept != opt.kept.end()) {
      records.push_back(kept->second);
    } else {
      progress.begin(p.index, describe_point({{"schedule", p.schedule}, {"params", p.params()}}));
      records.push_back(run_point(p, ctx));
      progress.end();
    }
    if (!root) continue;
    fill_derived_metrics(records);  // a new row can give earlier rows their speedups
    if (file && kept == opt.kept.end()) file->assign(records);  // kept records are in the file
    print_results_row(records.back(), std::cout);
    std::cout.flush();
    if (records.back().value("status", "") == "FAILED") ++failed;
  }
  if (root) {
    const nlohmann::json all = records;
    std::cout << "\n";
    print_overlap_table(all, std::cout);
    if (file) {
      file->assign(records);  // the derived metrics of the last rows, kept ones included
      file->finish();
    }
    std::cout << points.size() << " points: " << failed << " FAILED";
    if (file) std::cout << "; results in " << file->path();
    std::cout << "\n";
  }
  // Rank 0 decides the exit code for everyone: every rank exits the same way.
  return allreduce_max(failed > 0 ? 1 : 0, mpi.world()) > 0 ? 1 : 0;
}

}  // namespace cpb
