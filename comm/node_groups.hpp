// Which ranks share a node, for the transports that take a different path within a node
// than between nodes (the copy-engine transports: CUDA IPC or shared host memory within,
// NCCL between). The real nodes are the hosts (MPI_Comm_split_type); a setting
// (ranks_per_node, docs/CONFIG.md) can split each host into emulated nodes of that many
// ranks, so that the between-node path runs, and is measured, on one host.
#pragma once

#include <mpi.h>

#include <vector>

namespace cpb {

struct NodeGroups {
  std::vector<int> node_of;     // per world rank: the world rank of the lowest rank of its node
  std::vector<int> local_rank;  // per world rank: its place among its node's ranks, 0-based
  int nodes = 1;                // how many nodes
  int ranks_per_node = 1;       // ranks of the largest node (every node's, when emulated)
  bool emulated = false;        // split by ranks_per_node, not the real nodes
};

// `real_node_of`: per world rank, an id that exactly the ranks of one real node share.
// `ranks_per_node` 0: the real nodes. Else every real node's ranks, in world-rank order,
// in consecutive groups of `ranks_per_node`. Throws UsageError naming ranks_per_node,
// its value and what is allowed when it is negative, does not divide the world size, or
// is more than the ranks of a real node or does not divide them (a group never spans
// two hosts). Pure: every rank computes the same groups from the same input.
NodeGroups group_nodes(const std::vector<int>& real_node_of, int ranks_per_node);

// Collective over `world`: per world rank, the world rank of the lowest rank of its real
// node (`node`: the ranks of this host, as MpiSession::node()).
std::vector<int> real_node_of(MPI_Comm world, MPI_Comm node);

// The node groups of the job and this rank's node as a communicator (one MPI_Comm_split).
class NodeComm {
 public:
  // Collective over `world`; the groups as group_nodes(real_node_of(world, node),
  // ranks_per_node), so a bad ranks_per_node is a UsageError on every rank alike.
  NodeComm(MPI_Comm world, MPI_Comm node, int ranks_per_node);
  ~NodeComm();
  NodeComm(const NodeComm&) = delete;
  NodeComm& operator=(const NodeComm&) = delete;

  const NodeGroups& groups() const { return groups_; }
  MPI_Comm comm() const { return comm_; }  // this rank's node, ranked in world order

 private:
  NodeGroups groups_;
  MPI_Comm comm_ = MPI_COMM_NULL;
};

}  // namespace cpb
