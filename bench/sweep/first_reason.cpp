#include "bench/sweep/first_reason.hpp"

#include "base/check.hpp"

namespace cpb {

std::string first_reason(const std::string& mine, const MpiSession& mpi) {
  const int first = static_cast<int>(allreduce_min(mine.empty() ? mpi.size() : mpi.rank(), mpi.world()));
  if (first == mpi.size()) return "";
  int len = static_cast<int>(mine.size());
  CPB_MPI_CHECK(MPI_Bcast(&len, 1, MPI_INT, first, mpi.world()));
  std::string out = mine;
  out.resize(static_cast<size_t>(len));
  CPB_MPI_CHECK(MPI_Bcast(out.data(), len, MPI_CHAR, first, mpi.world()));
  return first == mpi.rank() ? mine : "rank " + std::to_string(first) + ": " + out;
}

}  // namespace cpb
