#include "comm/cuda/exchange_wiring.hpp"

#include <algorithm>
#include <string>

#include "base/cuda/cuda_check.hpp"
#include "comm/watchdog.hpp"

namespace cpb {

char* span_ptr(const ExchangePlan& plan, const BufferSpan& s) {
  return static_cast<char*>(plan.buffers[static_cast<size_t>(s.buf)]) + s.offset;
}

std::vector<int> other_peers(const std::vector<PeerSpan>& transfers, int me) {
  std::vector<int> out;
  for (const PeerSpan& t : transfers)
    if (t.peer != me && t.span.bytes > 0 && std::find(out.begin(), out.end(), t.peer) == out.end())
      out.push_back(t.peer);
  return out;
}

void post_self_copies(const ExchangePlan& plan, const ExchangeSpec& e, int me, cudaStream_t stream) {
  std::vector<const PeerSpan*> sends, recvs;
  for (const PeerSpan& t : e.sends)
    if (t.peer == me && t.span.bytes > 0) sends.push_back(&t);
  for (const PeerSpan& t : e.recvs)
    if (t.peer == me && t.span.bytes > 0) recvs.push_back(&t);
  if (sends.size() != recvs.size())
    CPB_FATAL("exchange " + std::to_string(e.key) + " has " + std::to_string(sends.size()) + " sends to self but " +
              std::to_string(recvs.size()) + " receives from self");
  for (size_t i = 0; i < sends.size(); ++i) {
    if (sends[i]->span.bytes != recvs[i]->span.bytes)
      CPB_FATAL("exchange " + std::to_string(e.key) + ": self transfer " + std::to_string(i) + " sends " +
                std::to_string(sends[i]->span.bytes) + " bytes but receives " + std::to_string(recvs[i]->span.bytes));
    CPB_CUDA_CHECK(cudaMemcpyAsync(span_ptr(plan, recvs[i]->span), span_ptr(plan, sends[i]->span), sends[i]->span.bytes,
                               cudaMemcpyDeviceToDevice, stream));
  }
}

std::vector<std::vector<char>> allgather_bytes(const void* mine, size_t bytes, MPI_Comm comm) {
  int size = 1;
  CPB_MPI_CHECK(MPI_Comm_size(comm, &size));
  const int count = static_cast<int>(bytes);
  std::vector<int> counts(static_cast<size_t>(size)), displs(static_cast<size_t>(size));
  CPB_MPI_WAIT(MPI_Allgather, &count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
  int total = 0;
  for (int r = 0; r < size; ++r) {
    displs[static_cast<size_t>(r)] = total;
    total += counts[static_cast<size_t>(r)];
  }
  std::vector<char> flat(static_cast<size_t>(total));
  CPB_MPI_WAIT(MPI_Allgatherv, mine, count, MPI_BYTE, flat.data(), counts.data(), displs.data(), MPI_BYTE, comm);
  std::vector<std::vector<char>> out;
  for (int r = 0; r < size; ++r) {
    const auto first = flat.begin() + displs[static_cast<size_t>(r)];
    out.emplace_back(first, first + counts[static_cast<size_t>(r)]);
  }
  return out;
}

std::vector<ReceiveRecord> gather_receives(const ExchangePlan& plan, MPI_Comm world) {
  int me = 0, size = 1;
  CPB_MPI_CHECK(MPI_Comm_rank(world, &me));
  CPB_MPI_CHECK(MPI_Comm_size(world, &size));
  std::vector<ReceiveRecord> mine;
  for (const ExchangeSpec& e : plan.exchanges) {
    std::vector<int64_t> ordinal(static_cast<size_t>(size), 0);
    for (const PeerSpan& r : e.recvs) {
      if (r.peer == me || r.span.bytes == 0) continue;
      mine.push_back(ReceiveRecord{e.key, r.peer, me, ordinal[static_cast<size_t>(r.peer)]++, r.span.buf,
                                   static_cast<int64_t>(r.span.offset), static_cast<int64_t>(r.span.bytes)});
    }
  }
  std::vector<ReceiveRecord> all;
  for (const std::vector<ReceiveRecord>& rank : allgather_values(mine, world))
    all.insert(all.end(), rank.begin(), rank.end());
  return all;
}

const ReceiveRecord& matching_receive(const std::vector<ReceiveRecord>& all, int64_t key, int src, int dst,
                                      int64_t ordinal, size_t bytes) {
  for (const ReceiveRecord& r : all) {
    if (r.key != key || r.src != src || r.dst != dst || r.ordinal != ordinal) continue;
    if (static_cast<size_t>(r.bytes) != bytes)
      CPB_FATAL("exchange " + std::to_string(key) + ": send " + std::to_string(ordinal) + " of rank " +
                std::to_string(src) + " to rank " + std::to_string(dst) + " has " + std::to_string(bytes) +
                " bytes but the receive has " + std::to_string(r.bytes));
    return r;
  }
  CPB_FATAL("exchange " + std::to_string(key) + ": send " + std::to_string(ordinal) + " of rank " +
            std::to_string(src) + " to rank " + std::to_string(dst) + " has no matching receive");
}

}  // namespace cpb
