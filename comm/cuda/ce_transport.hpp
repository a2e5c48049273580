// CeTransport: copy-engine peer copies. Each rank maps the other ranks' plan buffers of
// its node with CUDA IPC and pushes its sends straight into their receive spans with
// cudaMemcpyAsync, which the copy engines carry over NVLink: no SM is used, so the
// transfer runs beside a full-grid attention kernel. Peers on other nodes go through
// NCCL (the exchange's lane communicator), posted on the same stream. The copies to this
// rank itself run on a side stream, beside the pushes.
//
// Ordering across processes uses 32-bit signals in host memory shared by the node
// (stream memory operations; values are the run number, so a signal of an earlier run is
// never mistaken for this one). Exchange `key`, run r, this rank me:
//   1. for every rank src me receives from: free[key][me][src] = r  (my receive spans
//      are no longer read: the step's dependencies are done);
//   2. for every rank dst me sends to: wait free[key][dst][me] >= r, then push;
//   3. done[key][me][dst] = r after the pushes (the write fences them);
//   4. wait done[key][src][me] >= r for every src: my receive spans are filled.
// So a push never overwrites a buffer its owner still reads, in this run or the next.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "comm/cuda/ipc_mapping.hpp"
#include "comm/cuda/nccl_comm.hpp"
#include "comm/cuda/shared_host_memory.hpp"
#include "comm/cuda/side_streams.hpp"
#include "comm/cuda/transport.hpp"
#include "comm/mpi_session.hpp"
#include "comm/node_groups.hpp"

namespace cpb {

class CeTransport final : public Transport {
 public:
  // Collective over mpi.world(). `nodes`: which ranks share a node (real or emulated).
  // `remote[i]`: the NCCL communicator for the peers of exchanges[i] on other nodes, or
  // null when all its peers share this node.
  CeTransport(ExchangePlan plan, const MpiSession& mpi, const NodeComm& nodes, std::vector<const NcclComm*> remote);
  void begin_run() override { ++run_; }
  void post(size_t i, cudaStream_t stream) override;

 private:
  struct Push {
    char* dst;
    const char* src;
    size_t bytes;
  };
  struct Wired {
    std::vector<Push> pushes;
    std::vector<int> to, from;  // other ranks of this node it sends to / receives from
  };
  volatile uint32_t* free_flag(int key, int to, int from) const;
  volatile uint32_t* done_flag(int key, int from, int to) const;

  ExchangePlan plan_;
  std::vector<const NcclComm*> remote_;
  int me_ = 0, size_ = 1;
  std::vector<int> node_of_;
  std::map<std::pair<int, int>, IpcMapping> mapped_;  // (rank, buffer) -> its buffer here
  std::vector<Wired> wired_;                          // per exchange
  SharedHostMemory board_;
  SideStreams side_;  // the copies to self, beside the pushes
  uint32_t run_ = 0;
};

}  // namespace cpb
