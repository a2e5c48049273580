#include "bench/cli/runtime_select.hpp"

#include "bench/config/config.hpp"
#include "bench/runtime/cpu_runtime.hpp"
#if CPBENCH_HAVE_CUDA
#include "bench/runtime/cuda/cuda_runtime.hpp"
#endif

namespace cpb {

std::unique_ptr<Runtime> make_runtime(const std::string& device, const MpiSession& mpi, int ranks_per_node) {
#if CPBENCH_HAVE_CUDA
  // Collective: every rank must pick the same runtime, so "auto" means CUDA only when
  // every rank sees a GPU.
  const bool all_have_gpu = allreduce_min(cuda_device_count() > 0 ? 1 : 0, mpi.world()) > 0;
  if (device == "cuda" || (device == "auto" && all_have_gpu)) {
    if (!all_have_gpu) throw UsageError("--device cuda: a rank of this job sees no CUDA device");
    return make_cuda_runtime(mpi, ranks_per_node);
  }
#else
  if (device == "cuda")
    throw UsageError("--device cuda: this cpbench was built without the CUDA runtime "
                     "(configure with -DCPBENCH_CUDA=ON on a machine with nvcc, NCCL, cuDNN)");
#endif
  if (ranks_per_node > 0)
    throw UsageError("ranks_per_node: " + std::to_string(ranks_per_node) +
                     " emulates nodes for the copy-engine transports of the CUDA runtime; the cpu runtime moves "
                     "every byte through MPI and has no node-dependent path (leave it out, or run --device cuda)");
  return make_cpu_runtime(mpi);
}

}  // namespace cpb
