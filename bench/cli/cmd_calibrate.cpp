// `cpbench calibrate`: measures this machine's kernels on one rank (attention tiles,
// copies, merges) or takes them from a machine file (--kernels-from), optionally scales the
// attention table to the probed machine's (--scale-to-probe), fits its transports from
// probe and result files (--from), and writes the machine model file (docs/SIMULATOR.md,
// "The machine model and calibration").
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "base/atomic_file.hpp"
#include "base/exit_code.hpp"
#include "base/interrupt.hpp"
#include "base/usage_error.hpp"
#include "bench/cli/commands.hpp"
#include "bench/cli/error_path.hpp"
#include "bench/cli/runtime_select.hpp"
#include "bench/config/diagnostics.hpp"
#include "bench/report/output_paths.hpp"
#include "bench/report/result_file.hpp"
#include "bench/sim/calibrate_grid.hpp"
#include "bench/sim/calibrate_measure.hpp"
#include "bench/sim/calibrate_sources.hpp"
#include "bench/sim/calibrate_summary.hpp"
#include "bench/sim/kernel_scale.hpp"
#include "bench/sweep/git_commit.hpp"
#include "bench/sweep/provenance.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {
namespace {

// The part of the machine file that needs no measuring, and the runtime to measure on
// (none with --kernels-from: nothing is measured).
struct CalibrateSetup {
  std::vector<TransportModel> transports;
  std::optional<MachineModel> kernels;  // --kernels-from
  std::unique_ptr<Runtime> runtime;
};

// The table --scale-to-probe will scale, for checking the probe files before anything is
// measured: --kernels-from's, or the grid's shapes (their times do not matter here).
std::vector<KernelSample> table_to_scale(const CalibrateSetup& s, const CalibrateArgs& args) {
  if (s.kernels) return s.kernels->attention;
  std::vector<KernelSample> shapes = calibrate_grid(s.runtime->name(), args.quick).attention;
  for (KernelSample& k : shapes) k.ms = 1;
  return shapes;
}

// Every check of the input, before anything is measured or written. Throws UsageError.
CalibrateSetup calibrate_setup(const CalibrateArgs& args, const MpiSession& mpi) {
  if (mpi.size() != 1)
    throw UsageError("calibrate: the job has " + std::to_string(mpi.size()) +
                     " ranks; calibrate measures one GPU on one rank; allowed: 1 rank (run it without mpirun, or "
                     "with mpirun -np 1)");
  check_output_file("--out", args.out);
  check_commit_env();
  if (!args.kernels_from.empty() && (args.quick || args.device_given))
    throw UsageError(std::string("--kernels-from: ") + (args.quick ? "--quick" : "--device " + args.device) +
                     " chooses what to measure, and --kernels-from measures nothing; allowed: --kernels-from "
                     "without --quick and --device");
  CalibrateSetup s;
  s.transports = fit_transports(read_comm_sources(args.from));
  if (!args.kernels_from.empty())
    s.kernels = read_machine_model(args.kernels_from);
  else
    s.runtime = make_runtime(args.device, mpi);
  if (args.scale_to_probe) probe_kernel_scale(table_to_scale(s, args), args.from);
  return s;
}

// The provenance's "config": what was asked and, when measured, the grid.
nlohmann::json calibrate_params(const CalibrateArgs& args) {
  nlohmann::json p = {{"from", args.from}, {"scale_to_probe", args.scale_to_probe}};
  if (!args.kernels_from.empty()) {
    p["kernels_from"] = args.kernels_from;
  } else {
    p["device"] = args.device;
    p["quick"] = args.quick;
  }
  return p;
}

void add_grid_params(const CalibrateGrid& grid, const std::string& runtime, nlohmann::json& p) {
  p["runtime"] = runtime;
  p["attention_shapes"] = grid.attention.size();
  p["bandwidth_tokens"] = grid.bandwidth_tokens;
  p["cap_ms"] = grid.cap_ms;
  p["budget_ms"] = grid.budget_ms;
  p["settle_ms"] = grid.settle_ms;
}

// The kernels measured on this rank's runtime; the grid goes into the config.
void measure_kernels(const CalibrateArgs& args, const MpiSession& mpi, Runtime& runtime, SweepConfig& cfg,
                     MachineModel& m) {
  const CalibrateGrid grid = calibrate_grid(runtime.name(), args.quick);
  CalibrateContext ctx{runtime, mpi.world(), args.quiet ? nullptr : &std::cerr};
  m.attention = measure_attention(ctx, grid);
  const BandwidthFits bw = measure_bandwidth(ctx, grid);
  m.copy = bw.copy;
  m.merge = bw.merge;
  add_grid_params(grid, runtime.name(), cfg.resolved);
}

MachineModel make_machine(const CalibrateArgs& args, const MpiSession& mpi, CalibrateSetup& setup,
                          const std::vector<std::string>& argv_copy) {
  MachineModel m;
  m.name = !args.name.empty() ? args.name : setup.kernels ? setup.kernels->name : setup.runtime->name();
  SweepConfig cfg;
  cfg.name = "calibrate";
  cfg.resolved = calibrate_params(args);
  if (setup.kernels) {
    m.attention = setup.kernels->attention;
    m.copy = setup.kernels->copy;
    m.merge = setup.kernels->merge;
  } else {
    measure_kernels(args, mpi, *setup.runtime, cfg, m);
  }
  if (args.scale_to_probe) {
    const KernelScale scale = probe_kernel_scale(m.attention, args.from);
    scale_attention(m.attention, scale.factor);
    cfg.resolved["kernel_scale"] = to_json(scale);
    std::cout << "attention scaled by " << scale.factor << " to the attention of " << scale.ratios.size()
              << " probe row(s) in " << cfg::join(scale.files) << "\n";
  }
  // With --kernels-from nothing ran here: runtime "none", no device facts; the machine the
  // kernels were measured on is the source file's provenance, kept whole.
  if (setup.kernels) {
    m.provenance = make_offline_provenance("none", argv_copy);
    add_config_provenance(cfg, m.provenance);
    m.provenance["kernels_provenance"] = setup.kernels->provenance;
  } else {
    m.provenance = make_provenance(mpi, *setup.runtime, cfg, argv_copy);
  }
  m.transports = setup.transports;
  m.inter_node.note = "assumed: calibrate measures one node (no multi-node machine measured)";
  m.provenance["sources"] = args.from;
  return m;
}

int calibrate_command(const CalibrateArgs& args, const MpiSession& mpi, const std::vector<std::string>& argv_copy) {
  CalibrateSetup setup;
  try {
    setup = calibrate_setup(args, mpi);
  } catch (const UsageError& e) {
    if (mpi.rank() == 0) std::fprintf(stderr, "cpbench: error: %s\n", e.what());
    return exit_code::bad_input;
  }
  std::cout << "cpbench calibrate: "
            << (setup.kernels ? "kernels from " + args.kernels_from
                              : setup.runtime->name() + " runtime, " + (args.quick ? "quick" : "full") + " grid")
            << "; " << setup.transports.size() << " transport model(s) from " << args.from.size() << " file(s)\n";
  const MachineModel m = make_machine(args, mpi, setup, argv_copy);
  const nlohmann::json doc = to_json(m);
  machine_model_from_json(doc, args.out);  // what is written reads back
  write_file_atomically(args.out, result_file_text(doc));
  print_machine_summary(m, std::cout);
  std::cout << "machine model in " << args.out << "\n";
  return exit_code::ok;
}

}  // namespace

int cmd_calibrate(const CalibrateArgs& args, int* argc, char*** argv) {
  const InterruptWatch interrupts;  // before MPI starts its threads: they inherit the mask
  MpiSession mpi(argc, argv);
  const std::vector<std::string> argv_copy((*argv), (*argv) + *argc);
  try {
    return calibrate_command(args, mpi, argv_copy);
  } catch (const std::exception& e) {
    abort_on_error(e);  // see cmd_run
  }
}

}  // namespace cpb
