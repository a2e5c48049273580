#include "comm/cuda/nccl_comm.hpp"

#include <utility>

#include "comm/watchdog.hpp"

namespace cpb {

NcclComm::NcclComm(MPI_Comm comm, std::string name, int ctas) : name_(std::move(name)) {
  CPB_MPI_CHECK(MPI_Comm_rank(comm, &rank_));
  CPB_MPI_CHECK(MPI_Comm_size(comm, &size_));
  ncclUniqueId id;
  if (rank_ == 0) CPB_NCCL_CHECK(ncclGetUniqueId(&id));
  CPB_MPI_WAIT(MPI_Bcast, &id, sizeof(id), MPI_BYTE, 0, comm);
  ncclComm_t handle = nullptr;
  if (ctas > 0) {
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.minCTAs = ctas;
    config.maxCTAs = ctas;
    CPB_NCCL_CHECK(ncclCommInitRankConfig(&handle, size_, id, rank_, &config));
  } else {
    CPB_NCCL_CHECK(ncclCommInitRank(&handle, size_, id, rank_));
  }
  // Capture the handle, not `this`: the object may move, the handle does not.
  const int hook = add_abort_hook([handle] { ncclCommAbort(handle); });
  comm_.reset(Owned{handle, hook});
}

void NcclComm::Traits::destroy(Handle h) {
  remove_abort_hook(h.hook);
  CPB_NCCL_CHECK(ncclCommDestroy(h.comm));
}

void NcclComm::barrier(int* word, cudaStream_t stream) const {
  CPB_NCCL_CHECK(ncclAllReduce(word, word, 1, ncclInt32, ncclMax, get(), stream));
}

void NcclComm::exchange(const std::vector<P2p>& sends, const std::vector<P2p>& recvs,
                        cudaStream_t stream) const {
  std::vector<const P2p*> self_sends, self_recvs;
  CPB_NCCL_CHECK(ncclGroupStart());
  for (const P2p& s : sends) {
    if (s.bytes == 0) continue;
    if (s.peer == rank_) {
      self_sends.push_back(&s);
    } else {
      CPB_NCCL_CHECK(ncclSend(s.ptr, s.bytes, ncclUint8, s.peer, get(), stream));
    }
  }
  for (const P2p& r : recvs) {
    if (r.bytes == 0) continue;
    if (r.peer == rank_) {
      self_recvs.push_back(&r);
    } else {
      CPB_NCCL_CHECK(ncclRecv(r.ptr, r.bytes, ncclUint8, r.peer, get(), stream));
    }
  }
  CPB_NCCL_CHECK(ncclGroupEnd());
  if (self_sends.size() != self_recvs.size())
    CPB_FATAL(name_ + ": exchange has " + std::to_string(self_sends.size()) + " sends to self but " +
              std::to_string(self_recvs.size()) + " receives from self");
  for (size_t i = 0; i < self_sends.size(); ++i) {
    if (self_sends[i]->bytes != self_recvs[i]->bytes)
      CPB_FATAL(name_ + ": self transfer " + std::to_string(i) + " sends " + std::to_string(self_sends[i]->bytes) +
                " bytes but receives " + std::to_string(self_recvs[i]->bytes));
    CPB_CUDA_CHECK(cudaMemcpyAsync(self_recvs[i]->ptr, self_sends[i]->ptr, self_sends[i]->bytes,
                               cudaMemcpyDeviceToDevice, stream));
  }
}

}  // namespace cpb
