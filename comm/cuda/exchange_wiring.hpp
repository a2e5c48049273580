// What the copy-engine transports need to know about the other ranks' exchanges: where
// each of this rank's sends lands and the self transfers (which ranks share a node:
// comm/node_groups.hpp).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "comm/cuda/transport.hpp"

namespace cpb {

char* span_ptr(const ExchangePlan& plan, const BufferSpan& s);

// Collective over `comm`: every rank's `bytes` bytes at `mine`, one vector per rank in
// rank order.
std::vector<std::vector<char>> allgather_bytes(const void* mine, size_t bytes, MPI_Comm comm);

// The same for a vector of plain values: every rank's `mine`, per rank.
template <class T>
std::vector<std::vector<T>> allgather_values(const std::vector<T>& mine, MPI_Comm comm) {
  static_assert(std::is_trivially_copyable_v<T>, "values travel as bytes");
  std::vector<std::vector<T>> out;
  for (const std::vector<char>& raw : allgather_bytes(mine.data(), mine.size() * sizeof(T), comm)) {
    out.emplace_back(raw.size() / sizeof(T));
    if (!raw.empty()) std::memcpy(out.back().data(), raw.data(), raw.size());
  }
  return out;
}

// The distinct ranks other than `me` among `transfers`, in first-seen order.
std::vector<int> other_peers(const std::vector<PeerSpan>& transfers, int me);

// Enqueues the exchange's transfers to this rank itself as device copies on `stream`:
// the i-th self send feeds the i-th self receive (fails the job when they differ).
void post_self_copies(const ExchangePlan& plan, const ExchangeSpec& e, int me, cudaStream_t stream);

// One receive of the job, as every rank sees it after gather_receives().
struct ReceiveRecord {
  int64_t key, src, dst, ordinal;  // exchange key, sending and receiving rank, i-th from src
  int64_t buf, offset, bytes;      // where on dst [bytes]
};

// Collective over `world`: every rank's receives from other ranks.
std::vector<ReceiveRecord> gather_receives(const ExchangePlan& plan, MPI_Comm world);

// The receive on `dst` that the `ordinal`-th send of `src` to it in exchange `key`
// feeds; fails the job (naming the exchange) when there is none or the bytes differ.
const ReceiveRecord& matching_receive(const std::vector<ReceiveRecord>& all, int64_t key, int src, int dst,
                                      int64_t ordinal, size_t bytes);

}  // namespace cpb
