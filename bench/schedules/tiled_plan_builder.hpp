// The steps of the tiled schedule (tiled.cpp, tiled_plan.hpp) inside one tiling world, as
// one of its ranks builds them: the forward (tiled_plan_builder.cpp) and the backward
// (tiled_plan_backward.cpp). Internal to the tiled schedule's files.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedules/layout.hpp"
#include "bench/schedules/tile_outputs.hpp"
#include "bench/tiling/tiled_layout.hpp"

namespace cpb {
namespace tiled_detail {

// Blocks of `blocks` for which want(block) holds, ascending, and each one's slot in that list.
struct BlockList {
  std::vector<int> blocks;
  std::vector<int> slot;  // [block]: index in `blocks`, -1 when absent

  template <class F>
  BlockList(int n, F&& want) : slot(static_cast<size_t>(n), -1) {
    for (int b = 0; b < n; ++b)
      if (want(b)) {
        slot[static_cast<size_t>(b)] = static_cast<int>(blocks.size());
        blocks.push_back(b);
      }
  }
  int size() const { return static_cast<int>(blocks.size()); }
};

// One tiling world of the schedule, as one of its ranks sees it: P / u ranks (all of
// them when u = 1) holding the same query heads of their groups' tokens.
struct TiledWorld {
  std::vector<int> members;           // world ranks, by world index (the layout's ranks)
  int me = 0;                         // this rank's world index
  Range q_heads, kv_heads;            // global heads of q, k, v, o
  DenseTensor q, k, v, o;             // [B, the world rank's blocks, heads, D]
  // Backward: dO (like q) and where the gradients end (like q, k, v): Act buffers the
  // builder copies its fp32 accumulators into, or, with grads_accumulate, F32 accumulators
  // it zeroes and adds into directly (the head exchange's, tile_u > 1: it casts them).
  DenseTensor dout, dq, dk, dv;
  bool grads_accumulate = false;
  int in_group = -1, out_group = -1;  // Plan::groups of the two exchanges (-1: none)
  std::vector<int> ready;             // steps the inputs are complete after
};

// Which world indices send or receive in the input exchange and in the output exchange.
struct ExchangeMembers {
  std::vector<char> in, out;
};
ExchangeMembers exchange_members(const TiledLayout& l);

// The key rows (block-local, ascending, disjoint, touching ones joined) of the tile pieces
// each rank computes of each key block: the rows of the dK and dV partials it returns to
// the block's owner in the backward; empty where it computes none.
class KeySegments {
 public:
  explicit KeySegments(const TiledLayout& l);
  const std::vector<Range>& of(int rank, int k_block) const {
    return segs_[static_cast<size_t>(rank) * static_cast<size_t>(blocks_) + static_cast<size_t>(k_block)];
  }

 private:
  int blocks_;
  std::vector<std::vector<Range>> segs_;  // [rank * blocks + block]
};

class TiledBuilder {
 public:
  TiledBuilder(const Problem& p, Plan& plan, const TiledLayout& l, TiledWorld w);

  // Adds the forward's steps; returns the steps after which O is complete (and, for a
  // backward pass, the LSE statistics of the rank's rows, which the backward reads).
  std::vector<int> build();
  // Adds the backward's steps after the forward's (`forward`: what build() returned);
  // `inputs`: the steps after which dO is complete (none when it is an input buffer).
  // Returns the steps after which dQ, dK and dV are complete.
  std::vector<int> build_backward(const std::vector<int>& forward, const std::vector<int>& inputs);

 private:
  struct Incoming {
    int from = 0;   // the rank that computed the partials
    int block = 0;  // this rank's query block they belong to
  };

  // One attention call of this rank (one step per GQA head piece), built by rank_calls()
  // (tiled_plan_calls.cpp): a piece of one of its tiles, or the pieces of several fused by
  // tile_fuse. "rows" (and "both") fuse the pieces of its tiles of one query block that
  // share their rows, whose keys adjoin in one buffer and whose union is one mask region (a
  // run of full cells, or one ending in a causal cell, as the mask's regions merge them).
  // "both" then fuses, as columns, those calls of adjoining query blocks (the rows of one
  // end where the other's begin) whose bounding box's keys lie in one buffer (its key
  // blocks held, or received into consecutive slots) and hold one mask region with no pairs
  // but theirs there: calls over the same keys, or a causal staircase of row-fused calls,
  // one causal call. A column fusion needs one output view and no LSE: both calls run at
  // the same time (both local, or both after the input exchange), the rank holds their
  // query blocks, and each writes the only output of its rows (no other call and no other
  // rank computes them) in a forward pass. TileOutputs keeps a segment's LSEs contiguous,
  // so the LSE rows of two blocks never adjoin: columns never fuse in a backward pass (its
  // forward keeps every row's LSE, its calls read it), nor where a call's output is a
  // partial to merge. Fusing changes neither the pairs nor the bytes, only how many calls
  // and partials (so merges) compute them; fused tiles wait for the same inputs, so no
  // overlap is lost.
  struct Call {
    int q_first = 0, q_last = 0;  // the query blocks of its rows (several: a column fusion)
    MaskRegion piece;
    int k_first = 0, k_last = 0;  // the key blocks of its tiles
    int tile_piece = -1;          // which piece of its first tile, when that tile has several
    bool local = false;           // the rank holds its blocks: it runs before the input exchange

    // "[q=<first>[-<last>],k=<first>[-<last>][,t=<piece>]]"
    std::string tag() const;
  };

  // Whether key blocks a and a + 1 lie next to each other in the buffer this rank reads them from.
  bool kv_adjoin(int a) const;
  // The mask inside q x k when it is one region covering the box and allowing `pairs` pairs.
  std::optional<MaskRegion> one_region(Range q, Range k, double pairs) const;
  // `c` extended by `m` (the next key block's piece of the same rows) into one call, when
  // their union is one region of the mask; false (c unchanged) when it is not.
  bool fuse(Call& c, int k_block, const MaskRegion& m) const;
  // `x` extended by `y`, the call whose rows begin where x's end, into one call when they
  // fuse as columns (Call); false (x unchanged) when they do not.
  bool fuse_below(Call& x, const Call& y) const;
  // [call]: whether the call (of one query block) writes the only output of its rows, of a
  // block the rank holds: no other of `calls` and no other rank computes any of them.
  std::vector<char> alone(const std::vector<Call>& calls) const;
  // `calls` with those that fuse as columns fused, each at the place of its first part.
  void fuse_columns(std::vector<Call>& calls) const;
  // The rank's attention calls, in the layout's tile order (query block, then key block).
  std::vector<Call> rank_calls() const;

  // A [B, rows, heads, D] scratch tensor, or none (buf -1) when rows is 0.
  DenseTensor tensor(const char* name, Storage s, int64_t rows, int64_t heads);
  // Partial LSEs of `chunks` blocks (TileOutputs::lse_view's layout), or none (-1).
  int lse_buffer(const char* name, int64_t chunks);
  void add_buffers();

  bool mine(int block) const { return l_.owner(block) == r_; }
  TileOutputs& outputs_of(int q_block) { return mine(q_block) ? *own_ : *part_; }
  int slot_of(int q_block) const { return mine(q_block) ? q_block - first_ : q_in_.slot[static_cast<size_t>(q_block)]; }
  // The rows of `m` counted from the first row of its first query block (past c: they run on
  // into the next blocks); rows_of: those inside block b, block-local.
  Range rows_in_block(const MaskRegion& m) const { return Range{m.q.begin % c_, m.q.size}; }
  Range rows_of(const MaskRegion& m, int b) const;
  int peer(int world_index) const { return w_.members[static_cast<size_t>(world_index)]; }

  // One SendRecv step of `group` on the comm lane, filled by fill().
  template <class F>
  int add_exchange(const char* label, int group, F&& fill, std::vector<int> deps) {
    ExchangeOp ex;
    ex.pattern = ExchangeOp::Pattern::SendRecv;
    ex.group = group;
    fill(ex);
    return plan_.add_step(kCommLane, label, std::move(ex), std::move(deps));
  }

  // Rows [block rows] of a tensor holding whole blocks, one transfer per batch.
  void rows(std::vector<Transfer>& out, int peer, const DenseTensor& t, int64_t first_row, int64_t n) const;
  // The input exchange: per block, Q (backward: Q, dO, O and LSE) and K, V to every rank
  // computing a tile of it.
  void input_transfers(ExchangeOp& ex, bool backward) const;

  // The view of global tokens `tokens` (inside one block) of Q, or of a tensor laid out as
  // Q is (`own`) and as the received Q blocks are (`recv`); likewise for K / V.
  View q_view(Range tokens, Range heads) const { return q_rows_view(w_.q, q_recv_, tokens, heads); }
  View q_rows_view(const DenseTensor& own, const DenseTensor& recv, Range tokens, Range heads) const;
  View kv_view(const DenseTensor& own, const DenseTensor& recv, Range tokens, Range heads) const;

  // The calls whose blocks the rank holds (local) or the others, after the input exchange.
  void add_tiles(bool local, int in);
  // The call's attention, one step per GQA piece of the heads (",h=<piece>" when several).
  void add_call(const Call& c, int in);
  // The label of piece `pi` of a call tagged `tag` ("[...]"): ",h=<piece>" added when several.
  std::string piece_tag(const std::string& tag, size_t pi) const;

  void output_transfers(ExchangeOp& ex) const;
  // A segment's LSEs, contiguous in a buffer laid out as TileOutputs::lse_view says.
  Slice lse_slice(int buf, int slot, Range seg) const;
  void merge_incoming(int out);

  // The backward (tiled_plan_backward.cpp): its buffers; the zeroing of the fp32 gradient
  // accumulators; the call's gradients, one step per GQA piece; the partials' copy into the
  // Act buffers the output exchange sends; that exchange's transfers; the reduction of the
  // received partials into the rank's accumulators, one step per sender.
  void add_backward_buffers();
  void add_zero();
  void add_backward_call(const Call& c, const std::vector<int>& deps);
  int add_gradient_pack();
  void gradient_transfers(ExchangeOp& ex) const;
  void reduce_incoming(int out);

  const Problem& p_;
  Plan& plan_;
  const TiledLayout& l_;
  const TiledWorld w_;
  const int r_;  // this rank's world index
  const int64_t c_;
  const int first_;  // the rank's first block
  const BlockList q_in_, kv_in_;
  const std::vector<HeadPiece> pieces_;
  const int64_t hq_, hkv_;                 // heads of q and of k, v
  std::vector<Incoming> incoming_;         // partials this rank receives, by its block, then sender (world indices)
  std::vector<Incoming> incoming_kv_;      // backward: dK, dV partials it receives, by its key block, then sender
  const KeySegments kseg_;
  const std::vector<MaskRegion> regions_;  // what a fused call's keys are cut from
  std::vector<Call> calls_;
  bool in_takes_part_ = false, out_takes_part_ = false;
  DenseTensor q_recv_, k_recv_, v_recv_, o_recv_, part_o_;
  int lse_recv_ = -1, part_lse_ = -1;
  std::unique_ptr<TileOutputs> own_, part_;
  int lse_ = -1;  // backward: the final LSE of the rank's rows (TileOutputs::lse_view's layout), F32
  // Backward: the rank's gradient accumulators (F32); the dO, final O and LSE of the received
  // Q blocks (by q_in slot); the partial gradients of other ranks' rows and keys (F32, by
  // q_in / kv_in slot) and their Act copies sent; the partials received (by incoming_ /
  // incoming_kv_ index, c rows each).
  DenseTensor dq_acc_, dk_acc_, dv_acc_, do_recv_, o_final_recv_, dq_part_, dk_part_, dv_part_;
  DenseTensor dq_send_, dk_send_, dv_send_, dq_recv_, dk_recv_, dv_recv_;
  int lse_final_recv_ = -1;
};

}  // namespace tiled_detail
}  // namespace cpb
