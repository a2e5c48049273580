// `cpbench calibrate`: measures this machine's kernels on one rank (attention tiles,
// copies, merges), fits its transports from probe and result files (--from), and writes
// the machine model file (docs/SIMULATOR.md, "The machine model and calibration").
#include <cstdio>
#include <iostream>
#include <memory>

#include "base/atomic_file.hpp"
#include "base/exit_code.hpp"
#include "base/interrupt.hpp"
#include "base/usage_error.hpp"
#include "bench/cli/commands.hpp"
#include "bench/cli/error_path.hpp"
#include "bench/cli/runtime_select.hpp"
#include "bench/report/output_paths.hpp"
#include "bench/report/result_file.hpp"
#include "bench/sim/calibrate_grid.hpp"
#include "bench/sim/calibrate_measure.hpp"
#include "bench/sim/calibrate_sources.hpp"
#include "bench/sim/calibrate_summary.hpp"
#include "bench/sweep/git_commit.hpp"
#include "bench/sweep/provenance.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {
namespace {

// The part of the machine file that needs no measuring, and the runtime to measure on.
struct CalibrateSetup {
  std::vector<TransportModel> transports;
  std::unique_ptr<Runtime> runtime;
};

// Every check of the input, before anything is measured or written. Throws UsageError.
CalibrateSetup calibrate_setup(const CalibrateArgs& args, const MpiSession& mpi) {
  if (mpi.size() != 1)
    throw UsageError("calibrate: the job has " + std::to_string(mpi.size()) +
                     " ranks; calibrate measures one GPU on one rank; allowed: 1 rank (run it without mpirun, or "
                     "with mpirun -np 1)");
  check_output_file("--out", args.out);
  check_commit_env();
  CalibrateSetup s;
  s.transports = fit_transports(read_comm_sources(args.from));
  s.runtime = make_runtime(args.device, mpi);
  return s;
}

// The provenance's "config": what was asked and the grid measured.
nlohmann::json calibrate_params(const CalibrateArgs& args, const CalibrateGrid& grid, const std::string& runtime) {
  return {{"device", args.device},
          {"runtime", runtime},
          {"quick", args.quick},
          {"from", args.from},
          {"attention_shapes", grid.attention.size()},
          {"bandwidth_tokens", grid.bandwidth_tokens},
          {"cap_ms", grid.cap_ms},
          {"budget_ms", grid.budget_ms},
          {"settle_ms", grid.settle_ms}};
}

MachineModel measure_machine(const CalibrateArgs& args, const MpiSession& mpi, CalibrateSetup& setup,
                             const std::vector<std::string>& argv_copy) {
  Runtime& runtime = *setup.runtime;
  const CalibrateGrid grid = calibrate_grid(runtime.name(), args.quick);
  CalibrateContext ctx{runtime, mpi.world(), args.quiet ? nullptr : &std::cerr};
  MachineModel m;
  m.name = args.name.empty() ? runtime.name() : args.name;
  m.attention = measure_attention(ctx, grid);
  const BandwidthFits bw = measure_bandwidth(ctx, grid);
  m.copy = bw.copy;
  m.merge = bw.merge;
  m.transports = setup.transports;
  m.inter_node.note = "assumed: calibrate measures one node (no multi-node machine measured)";
  SweepConfig cfg;
  cfg.name = "calibrate";
  cfg.resolved = calibrate_params(args, grid, runtime.name());
  m.provenance = make_provenance(mpi, runtime, cfg, argv_copy);
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
  std::cout << "cpbench calibrate: " << setup.runtime->name() << " runtime, " << (args.quick ? "quick" : "full")
            << " grid; " << setup.transports.size() << " transport model(s) from " << args.from.size() << " file(s)\n";
  const MachineModel m = measure_machine(args, mpi, setup, argv_copy);
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
