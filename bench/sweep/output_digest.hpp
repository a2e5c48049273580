// A digest of a point's output: equal digests mean bitwise-equal outputs on every rank,
// so two builds or two schedules can be compared from their result files alone.
//
// Each rank hashes its output shard bytes with FNV-1a over 64 bits; the per-rank hashes,
// in rank order, are hashed again the same way, each step xoring a whole 64-bit value (not
// its bytes) before the multiply. The result is written as 16 lower-case hex digits.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cpb {

// FNV-1a 64 of `bytes` (base/fnv1a.hpp).
uint64_t fnv1a64(const std::vector<unsigned char>& bytes);

// The rank hashes combined in order as described above, as "%016llx".
std::string combine_rank_hashes(const std::vector<uint64_t>& hashes);

// Collective over `comm`: allgathers every rank's hash and combines them. Every rank gets
// the same string.
std::string output_digest(uint64_t my_hash, MPI_Comm comm);

}  // namespace cpb
