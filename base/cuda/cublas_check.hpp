// CPB_CUBLAS_CHECK: checks a cuBLAS call; on failure ends the job through cpb::fatal(),
// naming the call, file:line and cuBLAS's status name (see cuda_check.hpp).
#pragma once

#include <cublas_v2.h>

#include <string>

#include "base/check.hpp"

#define CPB_CUBLAS_CHECK(call)                                                                     \
  do {                                                                                             \
    const cublasStatus_t cpb_cublas_rc_ = (call);                                                  \
    if (cpb_cublas_rc_ != CUBLAS_STATUS_SUCCESS)                                                   \
      ::cpb::fatal(std::string(#call) + " failed: " + cublasGetStatusName(cpb_cublas_rc_) + ": " + \
                       cublasGetStatusString(cpb_cublas_rc_),                                      \
                   __FILE__, __LINE__);                                                            \
  } while (0)
