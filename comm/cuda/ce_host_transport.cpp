#include "comm/cuda/ce_host_transport.hpp"

#include <algorithm>

#include "comm/cuda/exchange_wiring.hpp"
#include "comm/cuda/nccl_transport.hpp"
#include "comm/cuda/stream_memops.hpp"

namespace cpb {
namespace {

size_t chunks_of(size_t bytes) { return (bytes + CeHostTransport::kChunkBytes - 1) / CeHostTransport::kChunkBytes; }
size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

}  // namespace

CeHostTransport::CeHostTransport(ExchangePlan plan, const MpiSession& mpi, const NodeComm& nodes,
                             std::vector<const NcclComm*> remote)
    : plan_(std::move(plan)), remote_(std::move(remote)), me_(mpi.rank()), size_(mpi.size()),
      node_of_(nodes.groups().node_of), side_(plan_.exchanges.size()) {
  const std::vector<ReceiveRecord> receives = gather_receives(plan_, mpi.world());
  const int node = node_of_[static_cast<size_t>(me_)];
  auto here = [&](int64_t r) { return node_of_[static_cast<size_t>(r)] == node; };
  // The layout of the node's board, the same on every rank of the node: consumed flags,
  // then one flag per chunk of every transfer within the node, then the staging areas.
  const size_t consumed = static_cast<size_t>(plan_.keys) * static_cast<size_t>(size_) * static_cast<size_t>(size_);
  std::vector<size_t> first_flag(receives.size()), staging(receives.size());
  size_t flags = consumed, staged_bytes = 0;
  for (size_t j = 0; j < receives.size(); ++j) {
    const ReceiveRecord& r = receives[j];
    if (!here(r.src) || !here(r.dst)) continue;
    first_flag[j] = flags;
    flags += chunks_of(static_cast<size_t>(r.bytes));
    staging[j] = staged_bytes;
    staged_bytes += align_up(static_cast<size_t>(r.bytes), 4096);
  }
  const size_t staging_base = align_up(flags * sizeof(uint32_t), 4096);
  auto record_index = [&](int64_t key, int src, int dst, int64_t ordinal, size_t bytes) {
    return static_cast<size_t>(&matching_receive(receives, key, src, dst, ordinal, bytes) - receives.data());
  };
  for (size_t i = 0; i < plan_.exchanges.size(); ++i) {
    const ExchangeSpec& e = plan_.exchanges[i];
    Wired w;
    std::vector<int64_t> sent(static_cast<size_t>(size_), 0), got(static_cast<size_t>(size_), 0);
    for (const PeerSpan& t : e.sends) {
      if (t.peer == me_ || !here(t.peer) || t.span.bytes == 0) continue;
      const size_t j = record_index(e.key, me_, t.peer, sent[static_cast<size_t>(t.peer)]++, t.span.bytes);
      w.sends.push_back(Staged{span_ptr(plan_, t.span), staging_base + staging[j], t.span.bytes, first_flag[j]});
    }
    for (const PeerSpan& t : e.recvs) {
      if (t.peer == me_ || !here(t.peer) || t.span.bytes == 0) continue;
      const size_t j = record_index(e.key, t.peer, me_, got[static_cast<size_t>(t.peer)]++, t.span.bytes);
      w.recvs.push_back(Staged{span_ptr(plan_, t.span), staging_base + staging[j], t.span.bytes, first_flag[j]});
    }
    for (int p : other_peers(e.sends, me_))
      if (here(p)) w.to.push_back(p);
    for (int p : other_peers(e.recvs, me_))
      if (here(p)) w.from.push_back(p);
    wired_.push_back(std::move(w));
  }
  board_ = SharedHostMemory(nodes.comm(), staging_base + staged_bytes);
}

volatile uint32_t* CeHostTransport::flag(size_t index) const {
  return reinterpret_cast<volatile uint32_t*>(board_.device()) + index;
}

volatile uint32_t* CeHostTransport::consumed_flag(int key, int src, int dst) const {
  return flag((static_cast<size_t>(key) * static_cast<size_t>(size_) + static_cast<size_t>(src)) *
                  static_cast<size_t>(size_) + static_cast<size_t>(dst));
}

void CeHostTransport::post(size_t i, cudaStream_t stream) {
  const ExchangeSpec& e = plan_.exchanges[i];
  const Wired& w = wired_[i];
  const cudaStream_t aux = side_.fork(i, stream);
  post_self_copies(plan_, e, me_, aux);  // while the first chunk is on its way
  // Sends, on the exchange's stream: device -> host, chunk by chunk.
  for (int dst : w.to) stream_wait_u32(stream, consumed_flag(e.key, me_, dst), run_ - 1);
  for (const Staged& s : w.sends) {
    for (size_t c = 0, n = chunks_of(s.bytes); c < n; ++c) {
      const size_t off = c * kChunkBytes, len = std::min(kChunkBytes, s.bytes - off);
      CPB_CUDA_CHECK(cudaMemcpyAsync(board_.host() + s.staging + off, s.device + off, len, cudaMemcpyDeviceToHost, stream));
      stream_write_u32(stream, flag(s.first_flag + c), run_);
    }
  }
  // Receives, on the second stream: host -> device as each chunk lands.
  for (const Staged& r : w.recvs) {
    for (size_t c = 0, n = chunks_of(r.bytes); c < n; ++c) {
      const size_t off = c * kChunkBytes, len = std::min(kChunkBytes, r.bytes - off);
      stream_wait_u32(aux, flag(r.first_flag + c), run_);
      CPB_CUDA_CHECK(cudaMemcpyAsync(r.device + off, board_.host() + r.staging + off, len, cudaMemcpyHostToDevice, aux));
    }
  }
  for (int src : w.from) stream_write_u32(aux, consumed_flag(e.key, src, me_), run_);
  if (remote_[i]) {
    const int node = node_of_[static_cast<size_t>(me_)];
    post_nccl(*remote_[i], plan_, e, stream, [&](int peer) { return node_of_[static_cast<size_t>(peer)] != node; });
  }
  side_.join(i, stream);
}

}  // namespace cpb
