// The output digest against values computed independently (Python, from the reference
// algorithm): the byte hash, the rank combine that xors whole 64-bit values, and the
// collective over a world of one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/sweep/output_digest.hpp"
#include "tests/unit/mpi_test_session.hpp"

namespace cpb {
namespace {

std::vector<unsigned char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(OutputDigest, ByteHashKnownAnswers) {
  EXPECT_EQ(fnv1a64({}), 0x14650fb0739d0383ull);  // the offset basis
  EXPECT_EQ(fnv1a64(bytes("a")), 0x44bd8ad473cd9906ull);
  EXPECT_EQ(fnv1a64(bytes("foobar")), 0x88fad7c0a8ff07f2ull);
}

TEST(OutputDigest, CombinesRankHashesInOrderAsWholeValues) {
  const uint64_t a = fnv1a64(bytes("a")), f = fnv1a64(bytes("foobar"));
  EXPECT_EQ(combine_rank_hashes({a, f}), "0afe25fa70322e17");  // 16 digits, leading zero kept
  EXPECT_EQ(combine_rank_hashes({f, a}), "63d7976248e3b77f");
  EXPECT_EQ(combine_rank_hashes({}), "14650fb0739d0383");
}

TEST(OutputDigest, CollectiveOverOneRankCombinesItsOwnHash) {
  const MpiSession& mpi = test::mpi_session();
  ASSERT_EQ(mpi.size(), 1);
  const uint64_t h = fnv1a64(bytes("foobar"));
  EXPECT_EQ(output_digest(h, mpi.world()), combine_rank_hashes({h}));
}

}  // namespace
}  // namespace cpb
