// CPB_CUDA_CHECK: checks a CUDA runtime call. It names the failing call, its file:line and
// the runtime's message, and ends the job through cpb::fatal() (which adds host, rank and
// device, runs the abort hooks that abort NCCL communicators, and calls MPI_Abort), so a
// failure on one rank never leaves its peers hanging. NCCL and cuDNN have their own
// headers (nccl_check.hpp, cudnn_check.hpp), so a kernel pulls in neither library.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "base/check.hpp"

#define CPB_CUDA_CHECK(call)                                                                \
  do {                                                                                      \
    const cudaError_t cpb_cuda_rc_ = (call);                                                \
    if (cpb_cuda_rc_ != cudaSuccess)                                                        \
      ::cpb::fatal(std::string(#call) + " failed: " + cudaGetErrorName(cpb_cuda_rc_) + ": " + \
                       cudaGetErrorString(cpb_cuda_rc_),                                    \
                   __FILE__, __LINE__);                                                     \
  } while (0)

// For kernel launches: reports a bad launch configuration right where it happened.
#define CPB_CUDA_CHECK_LAUNCH() CPB_CUDA_CHECK(cudaGetLastError())
