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
  EXPECT_EQ(fnv1a64({}), 0xcbf29ce484222325ull);  // the offset basis
  EXPECT_EQ(fnv1a64(bytes("a")), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64(bytes("foobar")), 0x85944171f73967e8ull);
}

TEST(OutputDigest, CombinesRankHashesInOrderAsWholeValues) {
  const uint64_t a = fnv1a64(bytes("a")), f = fnv1a64(bytes("foobar"));
  EXPECT_EQ(combine_rank_hashes({a, f}), "d369f98fecdf0c59");
  EXPECT_EQ(combine_rank_hashes({fnv1a64(bytes("0"))}), "0676ea7ba2be777e");  // 16 digits, leading zero kept
  EXPECT_EQ(combine_rank_hashes({f, a}), "8d79b4f771c44021");
  EXPECT_EQ(combine_rank_hashes({}), "cbf29ce484222325");
}

TEST(OutputDigest, CollectiveOverOneRankCombinesItsOwnHash) {
  const MpiSession& mpi = test::mpi_session();
  ASSERT_EQ(mpi.size(), 1);
  const uint64_t h = fnv1a64(bytes("foobar"));
  EXPECT_EQ(output_digest(h, mpi.world()), combine_rank_hashes({h}));
}

}  // namespace
}  // namespace cpb
