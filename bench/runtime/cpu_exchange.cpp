#include "bench/runtime/cpu_exchange.hpp"

#include <cstring>

#include "base/check.hpp"

namespace cpb {

void run_exchange(const ExchangeOp& op, int rank, int tag, MPI_Comm comm,
                  std::vector<std::vector<float>>& buffers) {
  auto at = [&buffers](const Slice& s) { return buffers[static_cast<size_t>(s.buf)].data() + s.offset; };
  std::vector<MPI_Request> requests;
  requests.reserve(op.sends.size() + op.recvs.size());
  std::vector<const Transfer*> self_recvs;
  for (const Transfer& t : op.recvs) {
    if (t.peer == rank) {
      self_recvs.push_back(&t);
      continue;
    }
    requests.emplace_back();
    CPB_MPI_CHECK(MPI_Irecv(at(t.slice), static_cast<int>(t.slice.count), MPI_FLOAT, t.peer, tag, comm,
                        &requests.back()));
  }
  size_t next_self = 0;
  for (const Transfer& t : op.sends) {
    if (t.peer == rank) {
      const Transfer& dst = *self_recvs[next_self++];
      // memmove: a schedule may send a slice to the very place it already is.
      std::memmove(at(dst.slice), at(t.slice), static_cast<size_t>(t.slice.count) * sizeof(float));
      continue;
    }
    requests.emplace_back();
    CPB_MPI_CHECK(MPI_Isend(at(t.slice), static_cast<int>(t.slice.count), MPI_FLOAT, t.peer, tag, comm,
                        &requests.back()));
  }
  CPB_MPI_CHECK(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
}

}  // namespace cpb
