// Provenance of the CUDA runtime: the GPU this rank uses, the library versions from their
// runtime calls, the GPUs' UUIDs and the links between them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/runtime/cuda/nvml_library.hpp"

namespace cpb {

// gpu, gpu_memory_gib, sm_count, compute_capability, gpus (every visible device), the
// versions of what this process loaded: driver (the kernel module: NVML, else /proc),
// cuda_driver (the CUDA version the driver supports), cuda_runtime, nccl, cudnn (each from
// its library's version call); cuda_runtime_compiled, nccl_compiled, cudnn_compiled (the
// headers cpbench was compiled with) only where they differ from the loaded library;
// cudnn_frontend (header-only: the compiled version); nvml ("ok", or why not).
std::vector<std::pair<std::string, std::string>> describe_cuda(int device, const NvmlLibrary& nvml);

// {"uuid": "GPU-...", "pci_bus_id": "0000:18:00.0", "name"} of `device`.
nlohmann::json cuda_rank_gpu(int device);

// {"gpus": uuids, "links": matrix}: links[i][j] is "X" on the diagonal, else the link
// between GPUs i and j (NvmlLibrary::link); with "error" (every link "unknown") when NVML
// is unavailable.
nlohmann::json cuda_topology(const NvmlLibrary& nvml, const std::vector<std::string>& uuids);

}  // namespace cpb
