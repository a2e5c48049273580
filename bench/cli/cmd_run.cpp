// `cpbench run`: load and expand the config, pick the runtime, run the sweep.
#include <cstdio>
#include <memory>
#include <sstream>

#include "bench/cli/commands.hpp"
#include "bench/config/config.hpp"
#include "bench/cli/runtime_select.hpp"
#include "bench/report/output_paths.hpp"
#include "bench/sweep/first_reason.hpp"
#include "bench/sweep/sweep.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {
namespace {

void print_dry_run(const std::vector<Point>& points) {
  int runnable = 0;
  for (const Point& p : points) {
    std::printf("%4d  %-12s %s%s%s\n", p.index, p.schedule.c_str(), p.params().dump().c_str(),
                p.skip_reason.empty() ? "" : "  SKIPPED: ", p.skip_reason.c_str());
    if (p.skip_reason.empty()) ++runnable;
  }
  std::printf("%zu points (%d to run, %zu skipped)\n", points.size(), runnable,
              points.size() - static_cast<size_t>(runnable));
}

// A sweep of which nothing can run is a mistake in the config, not a result.
void require_runnable(const std::vector<Point>& points) {
  std::ostringstream why;
  int shown = 0;
  for (const Point& p : points) {
    if (p.skip_reason.empty()) return;
    if (shown++ < 5) why << "\n  " << p.schedule << " " << p.params().dump() << ": " << p.skip_reason;
  }
  throw UsageError(points.empty() ? std::string("no point matches the config and filter")
                                  : "no point of the sweep can run:" + why.str());
}

}  // namespace

int cmd_run(const RunArgs& args, int* argc, char*** argv) {
  MpiSession mpi(argc, argv);
  std::vector<std::string> argv_copy((*argv), (*argv) + *argc);

  // Set-up errors are bad input: every rank finds the same ones from the same files, but
  // a device error may hit only some ranks, so the ranks agree before anyone goes on.
  std::string error;
  SweepConfig cfg;
  std::vector<Point> points;
  std::unique_ptr<Runtime> runtime;
  // Only rank 0 writes, so only it checks the output paths; every rank learns its verdict
  // before the set-up below, whose collectives (make_runtime) a failed rank would not join.
  if (!args.dry_run) {
    try {
      if (mpi.rank() == 0) {
        if (!args.out.empty()) check_output_file("--out", args.out);
        if (!args.trace_dir.empty()) check_output_dir("--trace", args.trace_dir);
      }
    } catch (const UsageError& e) {
      error = e.what();
    }
    if (const Reason bad = first_reason(error.empty() ? Reason() : Reason(error), mpi)) {
      if (mpi.rank() == 0) std::fprintf(stderr, "cpbench: error: %s\n", bad->c_str());
      return 2;
    }
  }
  try {
    cfg = load_config(args.config, args.axes);
    if (args.ranks_per_node > 0) {  // --ranks-per-node replaces the config's
      cfg.ranks_per_node = args.ranks_per_node;
      cfg.resolved["ranks_per_node"] = args.ranks_per_node;
    }
    points = expand(cfg, mpi.size(), args.filter);
    if (!args.dry_run) {
      require_runnable(points);
      runtime = make_runtime(args.device, mpi, cfg.ranks_per_node);
    }
  } catch (const UsageError& e) {
    error = e.what();
  }
  // The lowest rank that has an error prints it; every rank exits 2.
  const double first = allreduce_min(error.empty() ? mpi.size() : mpi.rank(), mpi.world());
  if (first < mpi.size()) {
    if (mpi.rank() == static_cast<int>(first)) std::fprintf(stderr, "cpbench: error: %s\n", error.c_str());
    return 2;
  }
  if (args.dry_run) {
    if (mpi.rank() == 0) print_dry_run(points);
    return 0;
  }

  SweepOptions opt;
  opt.out = args.out;
  opt.trace_dir = args.trace_dir;
  opt.quiet = args.quiet;
  opt.argv = argv_copy;
  return run_sweep(cfg, points, *runtime, mpi, opt);
}

}  // namespace cpb
