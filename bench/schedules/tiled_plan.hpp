// The plan and the model of the tiled schedule (tiled.cpp) for one rank, from the layouts
// of its tiling problems (bench/tiling/tiled_layout.hpp).
//
// With tile_u = u > 1 the plan first runs the Ulysses head exchange inside each group of u
// consecutive ranks (head_exchange.hpp, as usp does): member j of every group then holds
// query-head slice j (and its key/value heads) over its group's tokens, and the P / u
// ranks holding slice j form one tiling world, whose layout has P / u ranks and the
// slice's heads; the steps below run in that world (exchange peers are its ranks, the
// groups of its two exchanges follow the Ulysses groups in Plan::groups), and the reverse
// head exchange returns O to the sequence sharding. u = 1 is the plain schedule below.
//
// Lanes: compute (attention, merges, copies) and comm (the two exchanges). Steps:
//  1. "in": one SendRecv among the ranks that send or receive an input (Plan::groups[1]
//     when u = 1; the others have no such step): each sends the Q block and the K, V blocks it holds
//     to every rank computing a tile of them, per block in block order, Q before K before
//     V, one transfer per batch; receives into q_in / k_in / v_in.
//  2. the attention of every tile piece the rank computes, first those whose blocks it
//     holds (independent of "in"), then the others (after "in"), each in block order;
//     labels attn[q=<query block>,k=<key block>] ("-<last>" after a block when fused
//     calls span several), ",t=<piece>" when a tile has several,
//     ",h=<GQA piece>" when a slice's heads cut a key/value group (u > 1).
//  3. its tiles of other ranks' query blocks merged into one partial output and LSE per
//     row segment (tile_outputs.hpp with out_lse), then "out": one SendRecv among the
//     ranks that move partials (Plan::groups[2] when u = 1) returning each segment's
//     output rows (per batch) and LSE to the block's owner.
//  4. the owner merges every received partial into its own tiles' results and writes O.
// A backward pass (Problem::backward()) keeps each row's final LSE beside O (buffer "lse")
// and adds, after the forward (pass bwd: the forward is the untimed prologue,
// Plan::timed_from):
//  5. "grad_zero": the fp32 gradient accumulators (the rank's own, dq_acc / dk_acc /
//     dv_acc, and its partials of other ranks' blocks) set to zero;
//  6. "bwd_in": one SendRecv in the group of "in", after the forward's O: per block in block
//     order, the Q, dO, O rows and the block's LSE to every rank computing a tile of its
//     rows, then K and V to every rank computing a tile of its keys;
//  7. "attn_bwd" per call (the forward's calls, labelled alike), local ones first;
//  8. "grad_pack": the partial gradients copied to Act; "bwd_out": one SendRecv in the
//     group of "in" returning dQ rows per segment, then dK and dV rows per key segment
//     (tiled_plan_builder.hpp: KeySegments), per block in block order, to the owners;
//  9. "reduce[from=<rank>]": the partials of each sender added into the accumulators;
//     "grad_final": the accumulators copied into dQ, dK, dV.
// With u > 1 the world's backward adds into the head exchange's backward accumulators
// (head_gradients.hpp: "zero_grads", "pack_do" and "a2a_do" before it, zeroed by its
// "grad_zero"; "cast_grads", "a2a_grads" and "sum_grads" after it, no "grad_final").
#pragma once

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedule.hpp"
#include "bench/tiling/tiled_layout.hpp"

namespace cpb {

// The tiling problem of slice `slice` under tile_u = u: P / u ranks (the slice's members
// of the P / u Ulysses groups), the slice's query heads and the key/value heads they use.
// u = 1: `p` itself (one slice). For the layout only: its H need not be a multiple of its
// Hkv (a slice may cut a key/value group), so its group_size() means nothing.
Problem tiled_slice_problem(const Problem& p, int slice);

// Why the tiled schedule cannot split `p` (tile_u, its head split, the slice's layout), or none.
Reason tiled_error(const Problem& p);

Plan tiled_plan(const Problem& p, int rank);

// Bytes the plan of `rank` sends and receives and its attention FLOPs, from the layouts.
Model tiled_model(const Problem& p, int rank);

// The record's planner: tiling_json() of slice 0's assignment (the slice with the most
// query heads), and "assignment_digest", a 52-bit hash of every slice's assignment, which
// every rank of a job must have alike (each plans on its own, some perhaps from a cache).
nlohmann::json tiled_planner(const Problem& p);

}  // namespace cpb
