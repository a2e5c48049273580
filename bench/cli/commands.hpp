// The cpbench subcommands. Each returns the process exit code (base/exit_code.hpp: 0 ok,
// 1 failure found, 2 bad input; 3, interrupted, ends the process from base/interrupt.hpp)
// and prints its own errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/probe/probe_setup.hpp"

namespace cpb {

struct RunArgs {
  std::string config;
  std::vector<std::string> axes;  // "-a axis=v1,v2"
  std::string filter;
  bool dry_run = false;
  std::string out;
  bool force = false;             // overwrite an existing --out
  bool resume = false;            // continue an existing --out (bench/sweep/resume.hpp)
  std::string device = "auto";    // auto | cpu | cuda
  std::string trace_dir;
  bool quiet = false;
  std::optional<double> timeout;  // --timeout [s]; wins over the config's measure.timeout
  int ranks_per_node = 0;         // --ranks-per-node; 0: the config's ranks_per_node
  std::string machine;            // --machine: predicted_ms in every record (docs/SIMULATOR.md)
};
// Needs MPI: initializes it (an MpiSession) for the duration of the call.
int cmd_run(const RunArgs& args, int* argc, char*** argv);

struct PlanArgs {
  std::string config;
  std::vector<std::string> axes;
  std::string filter;
  int index = 0;     // which of the matching points
  int world = 2;     // P
  int rank = 0;
  std::string format = "text";  // text | json
};
int cmd_plan(const PlanArgs& args);

// format: text (for people) | json (registry_json(), for scripts)
int cmd_list(const std::string& format);

// `cpbench probe`: the interference matrix (docs/METRICS.md, "probe"). Needs MPI, like
// cmd_run: initializes it for the duration of the call.
int cmd_probe(const ProbeArgs& args, int* argc, char*** argv);

struct CalibrateArgs {
  std::string out;                // the machine file (required)
  std::string name;               // the model's name; "": the runtime's
  std::vector<std::string> from;  // probe and result files the transports are fitted from
  std::string device = "auto";    // auto | cpu | cuda
  bool device_given = false;      // --device on the command line (whatever its value)
  bool quick = false;             // the small grid
  bool quiet = false;             // no line per shape
  std::string kernels_from;       // a machine file whose attention, copy and merge models are taken, not measured
  bool scale_to_probe = false;    // attention times scaled to the probe files' attention (bench/sim/kernel_scale.hpp)
};
// `cpbench calibrate`: the machine model file (docs/SIMULATOR.md). One rank; needs MPI,
// like cmd_run: initializes it for the duration of the call.
int cmd_calibrate(const CalibrateArgs& args, int* argc, char*** argv);
// `cpbench simulate` / `cpbench advise` (advise = true): bench/cli/cmd_simulate.cpp.
struct SimulateArgs {
  std::string config;
  std::vector<std::string> axes;
  std::string filter;
  std::string machine;            // the machine model file (bench/sim/machine_model.hpp)
  std::vector<int> worlds;        // --world; empty: the config's world_size
  int node_size = 0;              // --node-size; 0: the machine file's gpus_per_node
  std::string out;
  bool force = false;
  std::string trace_dir;
  bool quiet = false;
  bool advise = false;
  std::string order = "plan";     // --order: "plan" (as the schedule wrote it) or "list"
};
// Needs no MPI. Throws UsageError on bad input (the caller's error path prints it).
int cmd_simulate(const SimulateArgs& args, const std::vector<std::string>& argv);

}  // namespace cpb
