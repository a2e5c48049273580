// NcclTransport: every Exchange step as one NCCL group of sends and receives on the
// communicator of its lane; the transfers to this rank itself are device copies on a side
// stream, beside the group (posted after it on one stream they would add their time to
// the exchange's). NCCL's kernels move the bytes: they need SMs, so they only progress
// beside attention when SMs are free.
#pragma once

#include <functional>
#include <vector>

#include "comm/cuda/nccl_comm.hpp"
#include "comm/cuda/side_streams.hpp"
#include "comm/cuda/transport.hpp"

namespace cpb {

// Posts the transfers of `e` whose peer passes `keep` (all when empty) as one NCCL group
// on `comm`, on `stream`.
void post_nccl(const NcclComm& comm, const ExchangePlan& plan, const ExchangeSpec& e, cudaStream_t stream,
               const std::function<bool(int)>& keep = {});

class NcclTransport final : public Transport {
 public:
  // `comms[i]`: the communicator of exchanges[i] (its lane's); not owned.
  NcclTransport(ExchangePlan plan, std::vector<const NcclComm*> comms);
  void post(size_t i, cudaStream_t stream) override;

 private:
  ExchangePlan plan_;
  std::vector<const NcclComm*> comms_;
  SideStreams side_;
};

}  // namespace cpb
