// CPB_CUDNN_CHECK: checks a cuDNN call; on failure ends the job through cpb::fatal(),
// naming the call, file:line and cuDNN's message (see cuda_check.hpp).
#pragma once

#include <cudnn.h>

#include <string>

#include "base/check.hpp"

#define CPB_CUDNN_CHECK(call)                                                               \
  do {                                                                                      \
    const cudnnStatus_t cpb_cudnn_rc_ = (call);                                             \
    if (cpb_cudnn_rc_ != CUDNN_STATUS_SUCCESS)                                              \
      ::cpb::fatal(std::string(#call) + " failed: " + cudnnGetErrorString(cpb_cudnn_rc_),   \
                   __FILE__, __LINE__);                                                     \
  } while (0)
