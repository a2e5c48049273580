#include "comm/node_groups.hpp"

#include <map>
#include <string>

#include "base/check.hpp"
#include "base/usage_error.hpp"

namespace cpb {
namespace {

[[noreturn]] void bad_ranks_per_node(int value, const std::string& why, const std::string& allowed) {
  throw UsageError("ranks_per_node: " + std::to_string(value) + " " + why + "; allowed: " + allowed);
}

}  // namespace

NodeGroups group_nodes(const std::vector<int>& real_node_of, int ranks_per_node) {
  const int world = static_cast<int>(real_node_of.size());
  std::map<int, std::vector<int>> real;  // real node id -> its world ranks, ascending
  for (int r = 0; r < world; ++r) real[real_node_of[static_cast<size_t>(r)]].push_back(r);
  size_t smallest = static_cast<size_t>(world);
  for (const auto& kv : real) smallest = std::min(smallest, kv.second.size());
  const std::string allowed = "0 (the real nodes) or a divisor of every node's ranks, at most " +
                              std::to_string(smallest) + " here";
  if (ranks_per_node < 0) bad_ranks_per_node(ranks_per_node, "is negative", allowed);
  if (ranks_per_node > 0 && world % ranks_per_node != 0)
    bad_ranks_per_node(ranks_per_node, "does not divide the world size " + std::to_string(world), allowed);
  NodeGroups g;
  g.node_of.assign(real_node_of.size(), 0);
  g.local_rank.assign(real_node_of.size(), 0);
  g.nodes = 0;
  g.ranks_per_node = 0;
  g.emulated = ranks_per_node > 0;
  for (const auto& kv : real) {
    const std::vector<int>& ranks = kv.second;
    const int n = static_cast<int>(ranks.size());
    if (g.emulated && (ranks_per_node > n || n % ranks_per_node != 0))
      bad_ranks_per_node(ranks_per_node,
                         std::string(ranks_per_node > n ? "is more than" : "does not divide") + " the " +
                             std::to_string(n) + " ranks of the node of rank " + std::to_string(ranks.front()),
                         allowed);
    const int size = g.emulated ? ranks_per_node : n;
    for (int i = 0; i < n; ++i) {
      const size_t r = static_cast<size_t>(ranks[static_cast<size_t>(i)]);
      g.node_of[r] = ranks[static_cast<size_t>(i / size * size)];
      g.local_rank[r] = i % size;
    }
    g.nodes += n / size;
    g.ranks_per_node = std::max(g.ranks_per_node, size);
  }
  return g;
}

std::vector<int> real_node_of(MPI_Comm world, MPI_Comm node) {
  int me = 0, size = 1, leader = 0;
  CPB_MPI_CHECK(MPI_Comm_rank(world, &me));
  CPB_MPI_CHECK(MPI_Comm_size(world, &size));
  CPB_MPI_CHECK(MPI_Allreduce(&me, &leader, 1, MPI_INT, MPI_MIN, node));
  std::vector<int> out(static_cast<size_t>(size));
  CPB_MPI_CHECK(MPI_Allgather(&leader, 1, MPI_INT, out.data(), 1, MPI_INT, world));
  return out;
}

NodeComm::NodeComm(MPI_Comm world, MPI_Comm node, int ranks_per_node)
    : groups_(group_nodes(real_node_of(world, node), ranks_per_node)) {
  int me = 0;
  CPB_MPI_CHECK(MPI_Comm_rank(world, &me));
  // The split communicator inherits MPI_ERRORS_RETURN from the world.
  CPB_MPI_CHECK(MPI_Comm_split(world, groups_.node_of[static_cast<size_t>(me)], me, &comm_));
}

NodeComm::~NodeComm() {
  if (comm_ != MPI_COMM_NULL) CPB_MPI_CHECK(MPI_Comm_free(&comm_));
}

}  // namespace cpb
