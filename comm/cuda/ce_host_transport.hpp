// CeHostTransport: copy engines through pinned host memory, the path of GPUs without
// peer access (and of the pcie profile). Every transfer between two ranks of a node has
// its own staging area in host memory shared by the node; the sender copies device ->
// host, the receiver host -> device, in chunks of kChunkBytes so that the two copies of
// consecutive chunks overlap (the receiver's host-to-device copies and the copies to
// self run on a side stream, forked from the exchange's stream). No SM is used. Peers on other nodes go
// through NCCL, as in CeTransport.
//
// Signals are 32-bit values in the same shared memory, written and awaited by stream
// memory operations; values are run numbers. Exchange `key`, run r:
//   sender:   wait consumed[key][me][dst] >= r - 1 (the staging area was read in run r-1),
//             then per chunk: copy to host, ready[chunk] = r;
//   receiver: per chunk: wait ready[chunk] >= r, copy to device; consumed[key][src][me] = r.
// The receiver's copies are ordered after the step's dependencies (the fork), so its
// receive spans are never overwritten while read.
#pragma once

#include <vector>

#include "comm/cuda/nccl_comm.hpp"
#include "comm/cuda/shared_host_memory.hpp"
#include "comm/cuda/side_streams.hpp"
#include "comm/cuda/transport.hpp"
#include "comm/mpi_session.hpp"
#include "comm/node_groups.hpp"

namespace cpb {

class CeHostTransport final : public Transport {
 public:
  static constexpr size_t kChunkBytes = 4u << 20;

  // Collective over mpi.world(); `nodes` and `remote` as for CeTransport.
  CeHostTransport(ExchangePlan plan, const MpiSession& mpi, const NodeComm& nodes,
                  std::vector<const NcclComm*> remote);
  void begin_run() override { ++run_; }
  void post(size_t i, cudaStream_t stream) override;

 private:
  // One transfer through its staging area: `device` is the sender's source or the
  // receiver's destination; chunk c of it has flag first_flag + c.
  struct Staged {
    char* device;
    size_t staging;  // byte offset in board_
    size_t bytes;
    size_t first_flag;
  };
  struct Wired {
    std::vector<Staged> sends, recvs;
    std::vector<int> to, from;  // other ranks of this node
  };
  volatile uint32_t* flag(size_t index) const;
  volatile uint32_t* consumed_flag(int key, int src, int dst) const;

  ExchangePlan plan_;
  std::vector<const NcclComm*> remote_;
  int me_ = 0, size_ = 1;
  std::vector<int> node_of_;
  std::vector<Wired> wired_;
  SideStreams side_;  // the receives' host-to-device copies and the self copies
  SharedHostMemory board_;  // consumed flags, chunk flags, staging areas
  uint32_t run_ = 0;
};

}  // namespace cpb
