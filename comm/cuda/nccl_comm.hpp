// NcclComm: one NCCL communicator, set up collectively over an MPI communicator, plus the
// grouped point-to-point exchange the plans' Exchange steps need.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>
#include <vector>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/nccl_check.hpp"
#include "base/unique_handle.hpp"

namespace cpb {

// One side of a point-to-point transfer: `bytes` [bytes] at device pointer `ptr`, to or
// from rank `peer` of the communicator.
struct P2p {
  int peer = -1;
  void* ptr = nullptr;
  size_t bytes = 0;
};

class NcclComm {
 public:
  // Collective over `comm`: its rank 0 creates the unique id, MPI_Bcast hands it to the
  // others, and every rank joins with ncclCommInitRank on the current device. `name`
  // labels error messages. `ctas` > 0 creates it with minCTAs = maxCTAs = ctas (the
  // number of thread blocks, hence SMs, its kernels take); 0 leaves that to NCCL.
  // Registers an abort hook (cpb::fatal calls ncclCommAbort).
  // Destruction removes the abort hook, then ncclCommDestroy waits for the communicator's
  // outstanding work.
  NcclComm(MPI_Comm comm, std::string name, int ctas = 0);

  ncclComm_t get() const { return comm_.get().comm; }
  const std::string& name() const { return name_; }
  int rank() const { return rank_; }
  int size() const { return size_; }

  // Posts every send and receive in one NCCL group on `stream`; the exchange is complete
  // when the stream passes this point. Transfers to this rank itself become device
  // copies on `stream`: the i-th self send feeds the i-th self receive (equal sizes).
  // Empty transfers are skipped.
  void exchange(const std::vector<P2p>& sends, const std::vector<P2p>& recvs, cudaStream_t stream) const;

  // A GPU-side barrier on `stream`: a one-element max all-reduce, in place, of the device
  // int32 at `word`. Work enqueued on `stream` after it starts once every rank's stream
  // has reached it.
  void barrier(int* word, cudaStream_t stream) const;

 private:
  // The communicator with the id of its abort hook: one handle, so the hook is removed
  // before the communicator it aborts is destroyed.
  struct Owned {
    ncclComm_t comm = nullptr;
    int hook = -1;
    bool operator==(const Owned& o) const { return comm == o.comm && hook == o.hook; }
  };
  struct Traits {
    using Handle = Owned;
    static Handle null() { return Owned{}; }
    static void destroy(Handle h);
  };

  UniqueHandle<Traits> comm_;
  std::string name_;
  int rank_ = 0, size_ = 1;
};

}  // namespace cpb
