#include "comm/cuda/ce_transport.hpp"

#include <cstring>

#include "comm/cuda/exchange_wiring.hpp"
#include "comm/cuda/nccl_transport.hpp"
#include "comm/cuda/stream_memops.hpp"

namespace cpb {
namespace {

// Every rank's IPC handles of its plan buffers (a zeroed handle for an empty buffer):
// [rank][buffer]. Collective over `world`.
std::vector<std::vector<cudaIpcMemHandle_t>> gather_handles(const ExchangePlan& plan, MPI_Comm world) {
  std::vector<cudaIpcMemHandle_t> mine(plan.buffers.size());
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    std::memset(&mine[b], 0, sizeof(cudaIpcMemHandle_t));
    if (plan.buffer_bytes[b] > 0) CPB_CUDA_CHECK(cudaIpcGetMemHandle(&mine[b], plan.buffers[b]));
  }
  return allgather_values(mine, world);
}

}  // namespace

CeTransport::CeTransport(ExchangePlan plan, const MpiSession& mpi, const NodeComm& nodes,
                             std::vector<const NcclComm*> remote)
    : plan_(std::move(plan)), remote_(std::move(remote)), me_(mpi.rank()), size_(mpi.size()),
      node_of_(nodes.groups().node_of), side_(plan_.exchanges.size()) {
  const std::vector<ReceiveRecord> receives = gather_receives(plan_, mpi.world());
  const auto handles = gather_handles(plan_, mpi.world());
  const int node = node_of_[static_cast<size_t>(me_)];
  auto on_node = [&](int r) { return r != me_ && node_of_[static_cast<size_t>(r)] == node; };
  for (size_t i = 0; i < plan_.exchanges.size(); ++i) {
    const ExchangeSpec& e = plan_.exchanges[i];
    Wired w;
    std::vector<int64_t> ordinal(static_cast<size_t>(size_), 0);
    for (const PeerSpan& t : e.sends) {
      if (!on_node(t.peer) || t.span.bytes == 0) continue;
      const ReceiveRecord& r = matching_receive(receives, e.key, me_, t.peer, ordinal[static_cast<size_t>(t.peer)]++,
                                                t.span.bytes);
      auto key = std::make_pair(t.peer, static_cast<int>(r.buf));
      auto it = mapped_.find(key);
      if (it == mapped_.end())
        it = mapped_.emplace(key, IpcMapping(handles[static_cast<size_t>(t.peer)][static_cast<size_t>(r.buf)])).first;
      w.pushes.push_back(Push{it->second.get() + r.offset, span_ptr(plan_, t.span), t.span.bytes});
    }
    for (int p : other_peers(e.sends, me_))
      if (on_node(p)) w.to.push_back(p);
    for (int p : other_peers(e.recvs, me_))
      if (on_node(p)) w.from.push_back(p);
    wired_.push_back(std::move(w));
  }
  const size_t flags = 2 * static_cast<size_t>(plan_.keys) * static_cast<size_t>(size_) * static_cast<size_t>(size_);
  board_ = SharedHostMemory(nodes.comm(), flags * sizeof(uint32_t));
}

volatile uint32_t* CeTransport::free_flag(int key, int to, int from) const {
  const size_t i = (static_cast<size_t>(key) * static_cast<size_t>(size_) + static_cast<size_t>(to)) *
                       static_cast<size_t>(size_) + static_cast<size_t>(from);
  return reinterpret_cast<volatile uint32_t*>(board_.device()) + i;
}

volatile uint32_t* CeTransport::done_flag(int key, int from, int to) const {
  const size_t half = static_cast<size_t>(plan_.keys) * static_cast<size_t>(size_) * static_cast<size_t>(size_);
  const size_t i = (static_cast<size_t>(key) * static_cast<size_t>(size_) + static_cast<size_t>(from)) *
                       static_cast<size_t>(size_) + static_cast<size_t>(to);
  return reinterpret_cast<volatile uint32_t*>(board_.device()) + half + i;
}

void CeTransport::post(size_t i, cudaStream_t stream) {
  const ExchangeSpec& e = plan_.exchanges[i];
  const Wired& w = wired_[i];
  post_self_copies(plan_, e, me_, side_.fork(i, stream));  // beside everything below
  for (int src : w.from) stream_write_u32(stream, free_flag(e.key, me_, src), run_);
  for (int dst : w.to) stream_wait_u32(stream, free_flag(e.key, dst, me_), run_);
  if (remote_[i]) {
    const int node = node_of_[static_cast<size_t>(me_)];
    post_nccl(*remote_[i], plan_, e, stream, [&](int peer) { return node_of_[static_cast<size_t>(peer)] != node; });
  }
  for (const Push& p : w.pushes) CPB_CUDA_CHECK(cudaMemcpyAsync(p.dst, p.src, p.bytes, cudaMemcpyDefault, stream));
  for (int dst : w.to) stream_write_u32(stream, done_flag(e.key, me_, dst), run_);
  for (int src : w.from) stream_wait_u32(stream, done_flag(e.key, src, me_), run_);
  side_.join(i, stream);
}

}  // namespace cpb
