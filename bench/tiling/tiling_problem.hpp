// The device-level tiling problem of the `tiled` schedule (UltraAttn's ILP, issue 19):
// which rank computes each non-empty (query block, key block) tile of a mask, when every
// block's Q, K, V and O live on one rank (its owner).
//
// A rank that computes tiles of query block i needs Q_i once and returns one partial
// output O_i with its LSE to i's owner; one that computes tiles of key block j needs K_j
// and V_j once. Those are the only transfers: a rank's traffic is what it receives (Q and
// K, V of blocks it does not own, partials of its own blocks) and what it sends (its
// blocks to the ranks that need them, its partials of others' blocks). The objective is
// the largest per-rank send or receive volume; the constraint, each rank's work (allowed
// pairs) within `balance` of the mean.
#pragma once

#include <string>
#include <vector>

namespace cpb {

struct TilingTile {
  int q_block = 0, k_block = 0;
  double work = 0;  // allowed query-key pairs (> 0)
};

struct TilingProblem {
  int ranks = 1;
  std::vector<int> owner;       // [block]: the rank holding its Q, K, V and O
  std::vector<double> q_bytes;  // [block]: its Q [bytes]
  std::vector<double> kv_bytes; // [block]: its K and V together [bytes]
  std::vector<double> o_bytes;  // [block]: a partial output and its LSE [bytes]
  std::vector<TilingTile> tiles;
  double balance = 0.05;        // work per rank <= (1 + balance) * total / ranks

  int blocks() const { return static_cast<int>(owner.size()); }
  double total_work() const;
  // The load cap: (1 + balance) * total / ranks, or the largest tile when that is more.
  double load_cap() const;
};

// Per-rank bytes sent and received under an assignment (rank_of[t]: the rank computing tile t).
struct TilingTraffic {
  std::vector<double> send, recv;
  double max() const;  // the objective: the largest entry of send and recv
};
TilingTraffic tiling_traffic(const TilingProblem& p, const std::vector<int>& rank_of);
// The plan's transfers between nodes of g consecutive ranks under an assignment: per node,
// the bytes of tiling_traffic's transfers whose two ranks lie in different nodes (each rank
// that needs a block receives it from its owner, so a block can cross into a node more
// than once).
TilingTraffic tiling_node_traffic(const TilingProblem& p, const std::vector<int>& rank_of, int g);
// Work per rank under an assignment.
std::vector<double> tiling_load(const TilingProblem& p, const std::vector<int>& rank_of);

struct TilingSolution {
  std::vector<int> rank_of;  // [tile]
  double objective = 0;      // the largest per-rank traffic of rank_of [bytes]
  double bound = 0;          // a proven lower bound of the optimum [bytes] (0: none)
  double gap = 0;            // (objective - bound) / objective; 1 without a bound
  double solve_s = 0;        // wall time of the solve [s]
  std::string solver;        // "greedy", "highs", ...
  std::string status;        // "optimal", "time limit", "heuristic", ...
};

// A greedy assignment, the better (within the load cap first, then by objective) of two
// heuristics: (a) tiles by decreasing work, each to the rank (under the cap when any
// fits) that raises the objective least, ties to the owner of its query block, then of
// its key block, then the least loaded; (b) every tile on its query block's owner, then,
// while the most loaded rank is over the cap, the move of one of its tiles to a rank with
// room that raises the objective least (ending when none of its tiles fits elsewhere).
// Either may leave a rank over the cap when the tiles do not pack under it. The warm start
// and fallback of the MILP. Throws std::invalid_argument for an
// inconsistent problem.
TilingSolution solve_greedy(const TilingProblem& p);

// Why `p` is inconsistent (sizes that differ, an owner outside [0, ranks), a tile outside
// the blocks or with work <= 0), or "".
std::string tiling_problem_error(const TilingProblem& p);

}  // namespace cpb
