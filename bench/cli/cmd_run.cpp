// `cpbench run`: load and expand the config, pick the runtime, run the sweep. Exit codes
// and what the result file promises: docs/RELIABILITY.md.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "base/exit_code.hpp"
#include "base/interrupt.hpp"
#include "bench/cli/commands.hpp"
#include "bench/cli/error_path.hpp"
#include "bench/cli/runtime_select.hpp"
#include "bench/config/config.hpp"
#include "bench/config/measure_settings.hpp"
#include "bench/report/output_paths.hpp"
#include "bench/report/result_file.hpp"
#include "bench/sim/machine_model.hpp"
#include "bench/sim/sim_point.hpp"
#include "bench/sweep/git_commit.hpp"
#include "bench/sweep/provenance.hpp"
#include "bench/sweep/resume.hpp"
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

// No point at all is a mistake in the config or the filter; points the config's skip
// rules all skip are a result (every point SKIPPED, exit 0), said in a warning.
void check_runnable(const std::vector<Point>& points, bool root) {
  if (points.empty()) throw UsageError("no point matches the config and filter");
  std::ostringstream why;
  int shown = 0;
  for (const Point& p : points) {
    if (p.skip_reason.empty()) return;
    if (shown++ < 5) why << "\n  " << p.schedule << " " << p.params().dump() << ": " << p.skip_reason;
  }
  if (root) std::fprintf(stderr, "cpbench: warning: the config skips every point of the sweep:%s\n", why.str().c_str());
}

// --out, --force and --resume: an existing result file is overwritten only with --force
// and continued only with --resume. Rank 0 only.
void check_out(const RunArgs& args) {
  if (args.out.empty()) {
    if (args.resume) throw UsageError("--resume: needs --out, the result file to continue");
    return;
  }
  check_output_file("--out", args.out);
  std::error_code ec;
  if (std::filesystem::exists(args.out, ec) && !args.force && !args.resume)
    throw UsageError("--out: \"" + args.out +
                     "\" exists; pass --force to overwrite it or --resume to continue it");
}

// --resume on rank 0: the records of the existing file this sweep keeps (none when the
// file does not exist yet). Throws ResultFileError for a file that cannot be read.
std::vector<nlohmann::json> resumed_records(const RunArgs& args, const SweepConfig& cfg,
                                            const std::vector<Point>& points, const std::string& runtime) {
  std::error_code ec;
  if (!args.resume || !std::filesystem::exists(args.out, ec)) return {};
  const BuildCommit& built = build_commit();
  const std::string git = commit_names_code(built) ? record_commit(built) : std::string();
  const ResumePlan plan = plan_resume(load_result_file(args.out), points, config_hash(cfg.resolved), git, runtime);
  std::printf("%s\n", describe_resume(plan, points.size(), args.out).c_str());
  // A record with step_order "list" ran the order its run's --machine file chose, which the
  // file keeps no digest of: such points run again, under this run's --machine.
  std::vector<nlohmann::json> kept;
  for (const nlohmann::json& r : plan.kept)
    if (r.value("params", nlohmann::json::object()).value("step_order", "plan") != "list") kept.push_back(r);
  if (kept.size() < plan.kept.size())
    std::printf(
        "--resume: %zu kept records with step_order \"list\" run again (the file does not say which "
        "--machine ordered them)\n",
        plan.kept.size() - kept.size());
  return kept;
}

// The config with the command line's settings applied: --timeout (also set on the
// watchdog) and --ranks-per-node replace the config's.
SweepConfig load_run_config(const RunArgs& args, const MpiSession& mpi) {
  check_commit_env();
  SweepConfig cfg = load_config(args.config, args.axes);
  if (args.timeout) {
    cfg.measure.timeout = cfg::check_timeout_option(*args.timeout, "--timeout");
    cfg.resolved["measure"]["timeout"] = cfg.measure.timeout;
  }
  mpi.watchdog().set_timeout(cfg.measure.timeout);
  if (args.ranks_per_node > 0) {
    cfg.ranks_per_node = args.ranks_per_node;
    cfg.resolved["ranks_per_node"] = args.ranks_per_node;
  }
  return cfg;
}

// Collective: runs `step` (a part of the set-up, on every rank or, inside it, on rank 0
// only) and agrees over the ranks on a UsageError: the lowest rank that has one prints
// it. True when no rank had one. Every rank reaches the agreement, so the collectives of
// the next step (make_runtime's) never wait for a rank that stopped at this one.
template <typename Step>
bool agreed(const MpiSession& mpi, Step step) {
  std::string error;
  try {
    step();
  } catch (const UsageError& e) {
    error = e.what();
  }
  const double first = allreduce_min(error.empty() ? mpi.size() : mpi.rank(), mpi.world());
  if (first >= mpi.size()) return true;
  if (mpi.rank() == static_cast<int>(first)) std::fprintf(stderr, "cpbench: error: %s\n", error.c_str());
  return false;
}

// The GPUs per node a machine file's costs are applied with: the emulated nodes of
// ranks_per_node, else the job's.
int job_node_size(const SweepConfig& cfg, const MpiSession& mpi) {
  return cfg.ranks_per_node > 0 ? cfg.ranks_per_node : std::max(1, mpi.size() / std::max(1, mpi.nodes()));
}

// Whether a point that runs has step_order "list": every rank then reads --machine.
bool needs_list_order(const std::vector<Point>& points) {
  return std::any_of(points.begin(), points.end(),
                     [](const Point& p) { return p.skip_reason.empty() && p.levers.list_order; });
}

// step_order "list" orders the steps by --machine's cost model. Without the file, or with
// one that cannot cost a point the runtime runs (its transport under its profile, "auto"
// being the runtime's first, or an attention class its tiles use), the sweep would stop
// at that point: say so before anything runs.
void check_list_order(const std::vector<Point>& points, const MachineModel* machine, const Runtime& runtime, int node) {
  for (Point p : points) {
    // Points the runtime cannot run are SKIPPED by the sweep, whatever the machine file has.
    if (!p.levers.list_order || resolve_transport(p, runtime)) continue;
    if (!machine)
      throw UsageError("step_order \"list\" (point " + std::to_string(p.index) + ", " + p.schedule +
                       "): needs --machine FILE, the cost model the list scheduler orders the steps by; "
                       "without one, only \"plan\"");
    p.levers = Levers{};  // the order is costed without the CUDA levers, which check_costable passes over
    check_costable(p, *machine, node);
  }
}

// --machine: point index -> predicted time [ms], for the points the machine file can
// simulate (rank 0). The runtime's first transport stands for "auto".
std::map<int, double> predictions(const std::vector<Point>& points, const Runtime& runtime, const SweepConfig& cfg,
                                  const MpiSession& mpi, const MachineModel& machine) {
  std::map<int, double> out;
  const int node = job_node_size(cfg, mpi);
  std::string missing;
  for (Point p : points) {
    if (!p.skip_reason.empty()) continue;
    if (!p.transport) p.transport = runtime.transports().front();
    try {
      const double ms = predicted_ms(p, machine, node);
      if (ms > 0) out[p.index] = ms;
    } catch (const std::exception& e) {  // a prediction is an extra: it never ends the measuring job
      if (missing.empty()) missing = e.what();
    }
  }
  if (!missing.empty()) std::cerr << "cpbench: note: --machine: some points have no prediction: " << missing << "\n";
  return out;
}


int run_command(const RunArgs& args, const MpiSession& mpi, const std::vector<std::string>& argv_copy) {
  const bool root = mpi.rank() == 0;
  // Bad input exits 2 on every rank, each set-up step agreed before the next one's
  // collectives. Only rank 0 writes, so only it checks the output paths.
  if (!args.dry_run && !agreed(mpi, [&] {
        if (!root) return;
        check_out(args);
        if (!args.trace_dir.empty()) check_output_dir("--trace", args.trace_dir);
      }))
    return exit_code::bad_input;
  SweepConfig cfg;
  std::vector<Point> points;
  std::optional<MachineModel> machine;  // --machine: on rank 0, on every rank for step_order "list"
  if (!agreed(mpi, [&] {
        cfg = load_run_config(args, mpi);
        points = expand(cfg, mpi.size(), args.filter);
        if (!args.machine.empty() && (root || needs_list_order(points))) machine = read_machine_model(args.machine);
        if (!args.dry_run) check_runnable(points, root);
      }))
    return exit_code::bad_input;
  if (args.dry_run) {
    if (root) print_dry_run(points);
    return exit_code::ok;
  }
  std::unique_ptr<Runtime> runtime;
  std::vector<nlohmann::json> kept;
  if (!agreed(mpi, [&] { runtime = make_runtime(args.device, mpi, cfg.ranks_per_node); }) ||
      !agreed(mpi,
              [&] { check_list_order(points, machine ? &*machine : nullptr, *runtime, job_node_size(cfg, mpi)); }) ||
      !agreed(mpi, [&] {
        if (root) kept = resumed_records(args, cfg, points, runtime->name());
      }))
    return exit_code::bad_input;

  SweepOptions opt;
  opt.out = args.out;
  opt.trace_dir = args.trace_dir;
  opt.quiet = args.quiet;
  opt.argv = argv_copy;
  opt.kept = share_kept(kept, mpi);
  if (needs_list_order(points)) {
    const int node = job_node_size(cfg, mpi);
    opt.order_steps = [&machine, node](const Point& point) { return list_ordered_plans(point, *machine, node); };
  }
  if (root && machine) {
    opt.predicted = predictions(points, *runtime, cfg, mpi, *machine);
    opt.machine = {{"path", args.machine}, {"name", machine->name}, {"provenance", machine->provenance}};
  }
  return run_sweep(cfg, points, *runtime, mpi, opt);
}

}  // namespace

int cmd_run(const RunArgs& args, int* argc, char*** argv) {
  const InterruptWatch interrupts;  // before MPI starts its threads: they inherit the mask
  MpiSession mpi(argc, argv);
  const std::vector<std::string> argv_copy((*argv), (*argv) + *argc);
  // Bad input found in the set-up is agreed over the ranks and returned (exit 2). Any other
  // exception may hit one rank while its peers wait in a collective, so it ends the whole
  // job (MPI_Abort) after the abort hooks; a result file being written then says
  // "interrupted": "error" (result_file.hpp).
  try {
    return run_command(args, mpi, argv_copy);
  } catch (const std::exception& e) {
    abort_on_error(e);
  }
}

}  // namespace cpb
