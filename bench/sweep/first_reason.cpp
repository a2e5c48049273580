#include "bench/sweep/first_reason.hpp"

#include "base/check.hpp"
#include "comm/watchdog.hpp"

namespace cpb {

Reason first_reason(const Reason& mine, const MpiSession& mpi) {
  // An engaged empty reason would skip the point on every rank without saying why.
  if (mine && mine->empty()) CPB_FATAL("first_reason: an empty reason (return std::nullopt for none)");
  const int first = static_cast<int>(allreduce_min(mine ? mpi.rank() : mpi.size(), mpi.world()));
  if (first == mpi.size()) return std::nullopt;
  int len = mine ? static_cast<int>(mine->size()) : 0;
  CPB_MPI_WAIT(MPI_Bcast, &len, 1, MPI_INT, first, mpi.world());
  std::string out = mine.value_or("");
  out.resize(static_cast<size_t>(len));
  CPB_MPI_WAIT(MPI_Bcast, out.data(), len, MPI_CHAR, first, mpi.world());
  return first == mpi.rank() ? *mine : "rank " + std::to_string(first) + ": " + out;
}

}  // namespace cpb
