// Provenance of the CUDA runtime: the GPU this rank uses and the library versions.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cpb {

// gpu, gpu_memory_gib, sm_count, compute_capability, gpus (every visible device),
// driver (kernel module), cuda_driver (the CUDA version it supports), cuda_runtime, nccl, cudnn, cudnn_frontend.
std::vector<std::pair<std::string, std::string>> describe_cuda(int device);

}  // namespace cpb
