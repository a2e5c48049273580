// CHECK macros for the CUDA runtime, NCCL and cuDNN. Each names the failing call, its
// file:line and the library's message, and ends the job through cpb::fatal() (which adds
// host, rank and device, runs the abort hooks that abort NCCL communicators, and calls
// MPI_Abort), so a failure on one rank never leaves its peers hanging.
#pragma once

#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <nccl.h>

#include <string>

#include "comm/check.hpp"

#define CUDA_CHECK(call)                                                                    \
  do {                                                                                      \
    const cudaError_t cpb_cuda_rc_ = (call);                                                \
    if (cpb_cuda_rc_ != cudaSuccess)                                                        \
      ::cpb::fatal(std::string(#call) + " failed: " + cudaGetErrorName(cpb_cuda_rc_) + ": " + \
                       cudaGetErrorString(cpb_cuda_rc_),                                    \
                   __FILE__, __LINE__);                                                     \
  } while (0)

#define NCCL_CHECK(call)                                                                    \
  do {                                                                                      \
    const ncclResult_t cpb_nccl_rc_ = (call);                                               \
    if (cpb_nccl_rc_ != ncclSuccess)                                                        \
      ::cpb::fatal(std::string(#call) + " failed: " + ncclGetErrorString(cpb_nccl_rc_),     \
                   __FILE__, __LINE__);                                                     \
  } while (0)

#define CUDNN_CHECK(call)                                                                   \
  do {                                                                                      \
    const cudnnStatus_t cpb_cudnn_rc_ = (call);                                             \
    if (cpb_cudnn_rc_ != CUDNN_STATUS_SUCCESS)                                              \
      ::cpb::fatal(std::string(#call) + " failed: " + cudnnGetErrorString(cpb_cudnn_rc_),   \
                   __FILE__, __LINE__);                                                     \
  } while (0)

// For kernel launches: reports a bad launch configuration right where it happened.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
