#include "bench/sweep/output_digest.hpp"

#include "base/check.hpp"
#include "base/fnv1a.hpp"
#include "comm/watchdog.hpp"

namespace cpb {
uint64_t fnv1a64(const std::vector<unsigned char>& bytes) { return fnv1a64(bytes.data(), bytes.size()); }

std::string combine_rank_hashes(const std::vector<uint64_t>& hashes) {
  uint64_t g = kFnv1a64Basis;
  for (uint64_t x : hashes) {
    g ^= x;
    g *= kFnv1a64Prime;
  }
  return hex16(g);
}

std::string output_digest(uint64_t my_hash, MPI_Comm comm) {
  int size = 0;
  CPB_MPI_CHECK(MPI_Comm_size(comm, &size));
  std::vector<unsigned long long> all(static_cast<size_t>(size));
  const unsigned long long mine = my_hash;
  CPB_MPI_WAIT(MPI_Allgather, &mine, 1, MPI_UNSIGNED_LONG_LONG, all.data(), 1, MPI_UNSIGNED_LONG_LONG, comm);
  return combine_rank_hashes(std::vector<uint64_t>(all.begin(), all.end()));
}

}  // namespace cpb
