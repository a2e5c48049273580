// CPB_NCCL_CHECK: checks an NCCL call; on failure ends the job through cpb::fatal(), naming
// the call, file:line and NCCL's message (see cuda_check.hpp).
#pragma once

#include <nccl.h>

#include <string>

#include "base/check.hpp"

#define CPB_NCCL_CHECK(call)                                                                \
  do {                                                                                      \
    const ncclResult_t cpb_nccl_rc_ = (call);                                               \
    if (cpb_nccl_rc_ != ncclSuccess)                                                        \
      ::cpb::fatal(std::string(#call) + " failed: " + ncclGetErrorString(cpb_nccl_rc_),     \
                   __FILE__, __LINE__);                                                     \
  } while (0)
