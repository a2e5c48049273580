#include "bench/sweep/output_digest.hpp"

#include <cstdio>

#include "base/check.hpp"
#include "comm/watchdog.hpp"

namespace cpb {
namespace {
constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
}  // namespace

uint64_t fnv1a64(const std::vector<unsigned char>& bytes) {
  uint64_t h = kFnvOffsetBasis;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

std::string combine_rank_hashes(const std::vector<uint64_t>& hashes) {
  uint64_t g = kFnvOffsetBasis;
  for (uint64_t x : hashes) {
    g ^= x;
    g *= kFnvPrime;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(g));
  return hex;
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
