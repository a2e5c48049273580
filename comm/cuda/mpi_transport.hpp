// MpiTransport: CUDA-aware MPI (device pointers handed to MPI_Isend/MPI_Irecv). MPI
// calls are not stream-ordered, so posting an exchange waits on the host until its
// stream has reached the step (dependencies done), runs the transfers to completion, and
// only then lets the executor enqueue the next steps: the host blocks, and steps
// enqueued after the exchange in plan order start late. That is the cost of this
// transport, and what the sweep measures.
#pragma once

#include <mpi.h>

#include <string>

#include "comm/cuda/transport.hpp"

namespace cpb {

// "" when the MPI library can take device pointers (MPIX_Query_cuda_support), else why not.
std::string cuda_aware_mpi_unsupported();

class MpiTransport final : public Transport {
 public:
  MpiTransport(ExchangePlan plan, MPI_Comm world);
  void post(size_t i, cudaStream_t stream) override;

 private:
  ExchangePlan plan_;
  MPI_Comm world_;
  int me_ = 0;
};

}  // namespace cpb
