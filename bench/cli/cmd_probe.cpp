// `cpbench probe`: the interference matrix of the machine. Per transport: attention alone,
// the all-to-all alone, and both beside each other, reported as the fraction of
// communication hidden (docs/METRICS.md, "probe"). Launched like `run`: every rank runs it.
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>

#include "base/atomic_file.hpp"
#include "base/exit_code.hpp"
#include "base/interrupt.hpp"
#include "bench/cli/commands.hpp"
#include "bench/cli/error_path.hpp"
#include "bench/sweep/first_reason.hpp"
#include "bench/sweep/git_commit.hpp"
#include "bench/probe/probe_runner.hpp"
#include "bench/probe/probe_setup.hpp"
#include "bench/sweep/provenance.hpp"
#include "bench/report/output_paths.hpp"
#include "bench/report/probe_table.hpp"
#include "bench/report/progress.hpp"
#include "bench/report/result_file.hpp"
#include "bench/report/text_format.hpp"
#include "bench/cli/runtime_select.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {
namespace {

constexpr int kProbeSchemaVersion = 1;

// "P=2 S=56160 H=40 (20 per rank) D=128 bf16 full; all-to-all 411 MiB per rank; profile nvlink"
std::string describe(const ProbeSetup& s) {
  const ProbeShape& sh = s.shape;
  return "P=" + std::to_string(sh.P) + " S=" + std::to_string(sh.S) + " H=" + std::to_string(sh.H) + " (" +
         std::to_string(s.problem.H) + " per rank) D=" + std::to_string(sh.D) + " " + to_string(sh.dtype) +
         " full; all-to-all " + format_bytes(static_cast<double>(s.bytes_per_rank())) + " per rank" +
         (s.bytes_given ? "" : " (Ulysses inputs)") + "; profile " + s.profile + "; " + to_string(s.first) +
         " posted first";
}

// Collective: the probe's settings and runtime from `args`; false (the error printed once)
// on bad input, on every rank alike.
bool probe_set_up(const ProbeArgs& args, const MpiSession& mpi, ProbeSetup& setup, std::unique_ptr<Runtime>& runtime) {
  const bool root = mpi.rank() == 0;
  // Bad input: every rank finds the same errors in the same options, but a device error
  // may hit only some ranks, so the ranks agree before anyone goes on; rank 0 prints.
  Reason error;
  // Only rank 0 writes, so only it checks --out; every rank learns its verdict before the
  // set-up below, whose collectives (make_runtime) a failed rank would not join.
  try {
    if (root && !args.out.empty()) check_output_file("--out", args.out);
  } catch (const UsageError& e) {
    error = e.what();
  }
  if ((error = first_reason(error, mpi))) {
    if (root) std::fprintf(stderr, "cpbench: error: %s\n", error->c_str());
    return false;
  }
  try {
    check_commit_env();
    setup = probe_setup(args, mpi.size());
    mpi.watchdog().set_timeout(setup.measure.timeout);
    runtime = make_runtime(args.device, mpi);
  } catch (const UsageError& e) {
    error = e.what();
  }
  error = first_reason(error, mpi);
  if (error) {
    if (root) std::fprintf(stderr, "cpbench: error: %s\n", error->c_str());
    return false;
  }
  return true;
}

int probe_command(const ProbeArgs& args, const MpiSession& mpi, const std::vector<std::string>& argv_copy) {
  const bool root = mpi.rank() == 0;
  ProbeSetup setup;
  std::unique_ptr<Runtime> runtime;
  if (!probe_set_up(args, mpi, setup, runtime)) return exit_code::bad_input;

  const std::vector<std::string> transports = probe_transports(setup, *runtime);
  nlohmann::json doc;
  doc["schema"] = "cpbench-probe";
  doc["schema_version"] = kProbeSchemaVersion;
  SweepConfig cfg;  // the provenance's "config": the probe's params
  cfg.name = "probe";
  cfg.resolved = probe_params(setup, transports, runtime->name());
  doc["provenance"] = make_provenance(mpi, *runtime, cfg, argv_copy);
  doc["params"] = cfg.resolved;
  doc["rows"] = nlohmann::json::array();
  doc["complete"] = false;  // true once the last row is in, like a run's result file
  // Rewritten after every row, like a run's result file: a probe that dies keeps its rows.
  // A SIGINT/SIGTERM records its name there (base/interrupt.hpp: on the watcher thread).
  std::mutex doc_mu;
  auto save = [&] {
    if (root && !args.out.empty()) write_file_atomically(args.out, result_file_text(doc));
  };
  const InterruptHook on_signal([&](const std::string& signal) {
    const std::lock_guard<std::mutex> lock(doc_mu);
    doc["interrupted"] = signal;
    save();
  });
  save();

  if (root) {
    std::cout << "cpbench probe: " << describe(setup) << "; " << runtime->name() << " runtime\n";
    print_probe_header(std::cout);
  }
  ProbeContext ctx{*runtime, mpi, setup.measure, setup.profile, setup.first};
  Progress progress(static_cast<int>(transports.size()), root && progress_wanted(args.quiet), std::cerr);
  for (size_t i = 0; i < transports.size(); ++i) {
    progress.begin(static_cast<int>(i), "probe " + transports[i]);
    nlohmann::json row = probe_transport(ctx, setup.problem, setup.peer_elems, transports[i]);
    progress.end();
    if (!root) continue;
    print_probe_row(row, std::cout);
    std::cout.flush();
    const std::lock_guard<std::mutex> lock(doc_mu);
    doc["rows"].push_back(std::move(row));
    save();
  }
  {
    const std::lock_guard<std::mutex> lock(doc_mu);
    doc["complete"] = true;
    save();
  }
  if (root && !args.out.empty()) std::cout << "results in " << args.out << "\n";
  return exit_code::ok;
}

}  // namespace

int cmd_probe(const ProbeArgs& args, int* argc, char*** argv) {
  const InterruptWatch interrupts;  // before MPI starts its threads: they inherit the mask
  MpiSession mpi(argc, argv);
  const std::vector<std::string> argv_copy((*argv), (*argv) + *argc);
  try {
    return probe_command(args, mpi, argv_copy);
  } catch (const std::exception& e) {
    abort_on_error(e);  // see cmd_run: a rank may fail alone
  }
}

}  // namespace cpb
