// `cpbench list`: what this build can run.
#include <cstdio>

#include <string>

#include "bench/cli/commands.hpp"
#include "bench/config/schema.hpp"
#include "bench/schedule.hpp"

namespace cpb {

int cmd_list() {
  std::printf("schedules:\n");
  for (const Schedule* s : all_schedules()) {
    std::string opts;
    for (const std::string& o : s->option_axes()) opts += (opts.empty() ? "" : ", ") + o;
    std::printf("  %-12s %s%s%s\n", s->name().c_str(), s->description().c_str(),
                opts.empty() ? "" : "  [options: ", opts.empty() ? "" : (opts + "]").c_str());
  }
  std::string axes;
  for (const std::string& a : cfg::axis_names()) axes += (axes.empty() ? "" : ", ") + a;
  std::printf("axes: %s (docs/CONFIG.md)\n", axes.c_str());
  std::printf("masks: full, causal\ndtypes: bf16, fp16, fp32 (fp32: CPU runtime only)\n");
  std::printf("runtimes and transports:\n  cpu   mpi\n");
#if CPBENCH_HAVE_CUDA
  std::printf("  cuda  nccl, ce, ce_host, mpi (CUDA-aware MPI only)\n");
#else
  std::printf("  cuda  (not built: configure with -DCPBENCH_CUDA=ON)\n");
#endif
  std::printf("profiles: nvlink; pcie (cuda runtime: nccl with NCCL_P2P_DISABLE=1, or ce_host; "
              "scripts/sweep_profiles.sh runs both)\n");
  std::printf("commands: run, plan, list, report, compare, probe\n");
  return 0;
}

}  // namespace cpb
