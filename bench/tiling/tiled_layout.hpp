// The arithmetic of the `tiled` schedule for one problem, the same on every rank and for
// model() and plan(): tiled_layout() builds it once per process and problem.
//
// The sequence is cut into P m blocks of c = S / (P m) tokens (m = tile_blocks); block b
// lives on rank b / m, so every rank holds the contiguous shard ring holds. A tile is a
// (query block, key block) pair the mask allows some pair of: the mask's regions clipped
// to the pair (clip_regions) and cut at the row boundaries of every tile of the same query
// block (cut_rows), so that the pieces of one query block, on whichever ranks, have equal
// or disjoint rows: its segments. The tiles are assigned to ranks by the tiling problem
// (tiling_problem.hpp): work = allowed pairs; a rank that computes a tile of query block i
// receives Q_i and returns one partial output with its LSE per segment it covers, a rank
// that computes a tile of key block j receives K_j and V_j.
// With tile_solver milp the assignment is found in three steps, each deterministic (the
// same on every rank): the greedy's and the grids' assignments (tiling_candidates.hpp),
// each improved by single-tile moves and two-tile swaps (tiling_search.hpp); the best of
// them warm-starts the MILP (tiling_milp.hpp, up to 8 ranks: 1500 branch-and-bound nodes
// up to 256 binaries, 200 up to 512, the root node alone beyond; not run where the pull
// bound of tiling_bound.hpp already proves the start optimal or, where the root node
// alone would run, within 10 %); the MILP's answer is improved by the same moves and
// swaps. The reported bound is the larger of HiGHS's and the pull bound. With tile_solver
// greedy: the greedy's assignment alone.
//
// Node-level tiling (tile_node = g > 1, g < P): the same problem solved first with nodes
// of g consecutive ranks as its ranks (a block owned by its owner's node), then, per node,
// over the node's g ranks for the node's tiles (a block of another node charged to the
// rank of its owner's index in the node, where it enters on rail-optimised clusters).
// The node level gets the balance b with (1 + b)^2 = 1 + tile_balance (so the fullest
// node leaves its ranks room), the rank level the ranks' cap of device-level tiling,
// tile_balance over the mean of all ranks. Where the two levels leave a rank over that cap
// and the device-level assignment does not, the device-level one is used (its status says
// so). The node level counts a block once per node that needs it; the plan moves it from
// its owner to every rank that needs it, so the bytes that cross nodes can be more
// (node_cross_bytes in tiling_json), and the rank level's charging a block to its entry
// rank does not steer an outside block's tiles onto one rank.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/problem.hpp"
#include "bench/tiling/tiling_cache.hpp"
#include "bench/tiling/tiling_problem.hpp"

namespace cpb {

struct TiledTile {
  int q_block = 0, k_block = 0;
  int rank = 0;                    // the rank that computes it
  std::vector<MaskRegion> pieces;  // global tokens; each piece's rows are one segment of q_block
  double pairs = 0;                // allowed pairs of all pieces
};

struct TiledLayout {
  int ranks = 1;
  int per_rank = 1;              // m: blocks per rank
  int64_t c = 0;                 // tokens per block
  std::vector<TiledTile> tiles;  // ordered by query block, then key block
  TilingProblem problem;         // the assignment problem the tiles posed
  TilingSolution solution;       // its solution, which set TiledTile::rank
  TilingCacheUse cache;          // whether it came from the cache (tiling_cache.hpp); two levels: the nodes' solve
  int node = 1;                  // ranks per node of node-level tiling (tile_node); 1: device-level only
  TilingSolution by_node;        // node > 1: the tiles' nodes (rank_of holds node indices)

  int blocks() const { return ranks * per_rank; }
  int owner(int block) const { return block / per_rank; }
  Range tokens(int block) const { return Range{block * c, c}; }
  // The rows (block-local, ascending, distinct) of the pieces of query block q that rank
  // computes: the segments it returns partial outputs of; empty when it computes none.
  const std::vector<Range>& segments(int rank, int q_block) const { return segments_[at(rank, q_block)]; }
  bool needs_q(int rank, int block) const { return !segments(rank, block).empty(); }    // computes a tile of its row
  bool needs_kv(int rank, int block) const { return needs_kv_[at(rank, block)] != 0; }  // ... of its column

  // Fills segments and needs_kv from the tiles' ranks.
  void index_ranks();

 private:
  size_t at(int rank, int block) const {
    return static_cast<size_t>(rank) * static_cast<size_t>(blocks()) + static_cast<size_t>(block);
  }
  std::vector<std::vector<Range>> segments_;  // [rank * blocks + block]
  std::vector<char> needs_kv_;                // [rank * blocks + block]
};

// Why the tiled schedule cannot split `p`, or none: more than 128 blocks (P tile_blocks),
// or S not a multiple of P tile_blocks.
Reason tiled_layout_error(const Problem& p);

// The assignment's facts for a record: {"solver", "status", "objective_bytes",
// "bound_bytes", "gap", "solve_s" (of the solve that found it, also on a cache hit),
// "tiles", "load_max_over_mean", "cache" (TilingCacheUse::status), "cache_file",
// "cache_load_s", "cache_note"}; with node-level tiling also "node_ranks",
// "node_cross_bytes" (the largest bytes a node's ranks send or receive across nodes in the
// plan: tiling_node_traffic) and the node problem's "node_objective_bytes" (the same
// counting each block once per node: a lower bound of node_cross_bytes, equal where one
// rank of a node takes all of an outside block's tiles), "node_bound_bytes" and "node_gap".
nlohmann::json tiling_json(const TiledLayout& layout);

// The layout of `p`, built anew (solved, or read from the tiling cache).
std::shared_ptr<const TiledLayout> build_tiled_layout(const Problem& p);

// The layout of `p` (built on the first call for its shape, mask and tile options, then
// shared). Precondition: tiled_layout_error(p) is none.
const TiledLayout& tiled_layout(const Problem& p);

}  // namespace cpb
