#include "comm/cuda/nccl_transport.hpp"

#include <utility>

#include "comm/cuda/exchange_wiring.hpp"

namespace cpb {

void post_nccl(const NcclComm& comm, const ExchangePlan& plan, const ExchangeSpec& e, cudaStream_t stream,
               const std::function<bool(int)>& keep) {
  std::vector<P2p> sends, recvs;
  for (const PeerSpan& t : e.sends)
    if (!keep || keep(t.peer)) sends.push_back(P2p{t.peer, span_ptr(plan, t.span), t.span.bytes});
  for (const PeerSpan& t : e.recvs)
    if (!keep || keep(t.peer)) recvs.push_back(P2p{t.peer, span_ptr(plan, t.span), t.span.bytes});
  if (!sends.empty() || !recvs.empty()) comm.exchange(sends, recvs, stream);
}

NcclTransport::NcclTransport(ExchangePlan plan, std::vector<const NcclComm*> comms)
    : plan_(std::move(plan)), comms_(std::move(comms)), side_(plan_.exchanges.size()) {}

void NcclTransport::post(size_t i, cudaStream_t stream) {
  const NcclComm& comm = *comms_[i];
  const int me = comm.rank();
  post_self_copies(plan_, plan_.exchanges[i], me, side_.fork(i, stream));
  post_nccl(comm, plan_, plan_.exchanges[i], stream, [me](int peer) { return peer != me; });
  side_.join(i, stream);
}

}  // namespace cpb
