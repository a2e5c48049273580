// `cpbench list`: what this build can run.
#include <cstdio>

#include "bench/commands.hpp"
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
  std::printf("axes: schedule, S, H, Hkv, D, B, mask, dtype, chunks, chunk_heads, usp_u, "
              "transport, profile, comm_order (docs/CONFIG.md)\n");
  std::printf("masks: full, causal\ndtypes: bf16, fp16, fp32 (fp32: CPU runtime only)\n");
  std::printf("runtimes and transports:\n  cpu   mpi\n");
#if CPBENCH_HAVE_CUDA
  std::printf("  cuda  nccl\n");
#else
  std::printf("  cuda  (not built: configure with -DCPBENCH_CUDA=ON)\n");
#endif
  std::printf("profiles: nvlink (pcie: not implemented yet; such points are SKIPPED)\n");
  return 0;
}

}  // namespace cpb
