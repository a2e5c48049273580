// The plan and the model of the tiled schedule (tiled.cpp) for one rank of a layout
// (bench/tiling/tiled_layout.hpp).
//
// Lanes: compute (attention, merges, copies) and comm (the two exchanges). Steps:
//  1. "in": one SendRecv among the ranks that send or receive an input (Plan::groups[1];
//     the others have no such step): each sends the Q block and the K, V blocks it holds
//     to every rank computing a tile of them, per block in block order, Q before K before
//     V, one transfer per batch; receives into q_in / k_in / v_in.
//  2. the attention of every tile piece the rank computes, first those whose blocks it
//     holds (independent of "in"), then the others (after "in"), each in block order;
//     labels attn[q=<query block>,k=<key block>], ",t=<piece>" when a tile has several.
//  3. its tiles of other ranks' query blocks merged into one partial output and LSE per
//     row segment (tile_outputs.hpp with out_lse), then "out": one SendRecv among the
//     ranks that move partials (Plan::groups[2]) returning each segment's output rows (per
//     batch) and LSE to the block's owner.
//  4. the owner merges every received partial into its own tiles' results and writes O.
#pragma once

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedule.hpp"
#include "bench/tiling/tiled_layout.hpp"

namespace cpb {

Plan tiled_plan(const Problem& p, int rank, const TiledLayout& layout);

// Bytes the plan of `rank` sends and receives and its attention FLOPs, from the layout.
Model tiled_model(const Problem& p, int rank, const TiledLayout& layout);

}  // namespace cpb
