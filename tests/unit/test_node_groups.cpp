// Node groups: the real nodes, and emulated nodes of ranks_per_node ranks split out of
// each real node (node ids, local ranks, counts), the UsageErrors for a ranks_per_node
// that does not fit, and NodeComm over the test session's world.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/usage_error.hpp"
#include "comm/node_groups.hpp"
#include "tests/unit/mpi_test_session.hpp"

namespace cpb {
namespace {

using V = std::vector<int>;

std::string usage_error(const V& real, int ranks_per_node) {
  try {
    group_nodes(real, ranks_per_node);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(NodeGroups, RealNodesByDefault) {
  // Two hosts of four ranks, the second listed first by its id, ranks interleaved.
  const NodeGroups g = group_nodes({7, 3, 7, 3, 7, 3, 7, 3}, 0);
  EXPECT_FALSE(g.emulated);
  EXPECT_EQ(g.nodes, 2);
  EXPECT_EQ(g.ranks_per_node, 4);
  EXPECT_EQ(g.node_of, (V{0, 1, 0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(g.local_rank, (V{0, 0, 1, 1, 2, 2, 3, 3}));
}

TEST(NodeGroups, OneHostSplitIntoEmulatedNodes) {
  const NodeGroups g = group_nodes({0, 0, 0, 0}, 2);
  EXPECT_TRUE(g.emulated);
  EXPECT_EQ(g.nodes, 2);
  EXPECT_EQ(g.ranks_per_node, 2);
  EXPECT_EQ(g.node_of, (V{0, 0, 2, 2}));
  EXPECT_EQ(g.local_rank, (V{0, 1, 0, 1}));
  const NodeGroups single = group_nodes({0, 0, 0, 0}, 1);
  EXPECT_EQ(single.nodes, 4);
  EXPECT_EQ(single.node_of, (V{0, 1, 2, 3}));
  EXPECT_EQ(single.local_rank, (V{0, 0, 0, 0}));
}

TEST(NodeGroups, EmulatedNodesNeverSpanTwoHosts) {
  // Two hosts of four ranks, interleaved: each host splits on its own.
  const NodeGroups g = group_nodes({0, 1, 0, 1, 0, 1, 0, 1}, 2);
  EXPECT_EQ(g.nodes, 4);
  EXPECT_EQ(g.node_of, (V{0, 1, 0, 1, 4, 5, 4, 5}));
  EXPECT_EQ(g.local_rank, (V{0, 0, 1, 1, 0, 0, 1, 1}));
}

TEST(NodeGroups, TheRealNodeSizeIsTheSameGrouping) {
  const NodeGroups real = group_nodes({0, 0, 2, 2}, 0);
  const NodeGroups same = group_nodes({0, 0, 2, 2}, 2);
  EXPECT_EQ(same.node_of, real.node_of);
  EXPECT_EQ(same.local_rank, real.local_rank);
  EXPECT_EQ(same.nodes, real.nodes);
}

TEST(NodeGroups, BadRanksPerNodeIsAUsageError) {
  EXPECT_EQ(usage_error({0, 0, 0, 0}, -1),
            "ranks_per_node: -1 is negative; allowed: 0 (the real nodes) or a divisor of every node's ranks, at "
            "most 4 here");
  EXPECT_EQ(usage_error({0, 0, 0, 0}, 3),
            "ranks_per_node: 3 does not divide the world size 4; allowed: 0 (the real nodes) or a divisor of every "
            "node's ranks, at most 4 here");
  EXPECT_EQ(usage_error({0, 0, 2, 2}, 4),
            "ranks_per_node: 4 is more than the 2 ranks of the node of rank 0; allowed: 0 (the real nodes) or a "
            "divisor of every node's ranks, at most 2 here");
  // Uneven hosts: 4 + 2 ranks; 3 divides the world but not the first host, 4 the first
  // host but not the world, 2 both.
  EXPECT_EQ(usage_error({0, 0, 0, 0, 4, 4}, 3),
            "ranks_per_node: 3 does not divide the 4 ranks of the node of rank 0; allowed: 0 (the real nodes) or a "
            "divisor of every node's ranks, at most 2 here");
  EXPECT_EQ(usage_error({0, 0, 0, 0, 4, 4}, 2), "");
  // 4 divides the world of 12 but not a host of 6.
  EXPECT_EQ(usage_error({0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6}, 4),
            "ranks_per_node: 4 does not divide the 6 ranks of the node of rank 0; allowed: 0 (the real nodes) or a "
            "divisor of every node's ranks, at most 6 here");
  EXPECT_EQ(usage_error({0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 12, 12, 12, 12}, 4),
            "ranks_per_node: 4 does not divide the 6 ranks of the node of rank 0; allowed: 0 (the real nodes) or a "
            "divisor of every node's ranks, at most 4 here");
  EXPECT_EQ(usage_error({0, 0, 0, 0}, 2), "");
}

TEST(NodeGroups, NodeCommOverTheWorld) {
  const MpiSession& mpi = test::mpi_session();
  const NodeComm real(mpi.world(), mpi.node(), 0);
  EXPECT_EQ(real.groups().nodes, mpi.nodes());
  int size = 0;
  ASSERT_EQ(MPI_Comm_size(real.comm(), &size), MPI_SUCCESS);
  EXPECT_EQ(size, mpi.local_size());
  const NodeComm single(mpi.world(), mpi.node(), 1);  // one rank per emulated node
  EXPECT_EQ(single.groups().nodes, mpi.size());
  ASSERT_EQ(MPI_Comm_size(single.comm(), &size), MPI_SUCCESS);
  EXPECT_EQ(size, 1);
}

}  // namespace
}  // namespace cpb
