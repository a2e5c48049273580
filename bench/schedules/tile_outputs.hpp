// Where the attention tiles of one query tensor write, and the LSE merges that combine
// them, for the ring (kv_ring.hpp), the head pipeline (head_pipeline.hpp) and the tiled
// schedule (tiled_plan_builder.hpp).
//
// The query tensor's rows are `slots` chunks of c rows each (the ring: its token chunks;
// the head pipeline: one chunk of all S tokens). A tile lies inside one chunk (but for the
// column-fused calls of span_target), covers a segment of its rows and one GQA piece of
// its heads: the segments of a chunk are the distinct row ranges of its tiles, which must
// be equal or disjoint (a mask may give a chunk several; the schedules cut their tiles at
// each other's row boundaries, cut_rows in bench/mask/mask_regions.hpp). Rows no tile
// covers are left alone. A segment's only tile writes the
// output directly. A segment of two tiles: the first writes the output and its LSE
// directly, the second a partial (Act) and its LSE (F32), which one MergeOp folds into
// the output in place. That rounds to the output's dtype as often as the accumulator
// does (each partial once, the result once) and moves about a quarter of its bytes.
// Segments of three tiles or more go through a partial and its LSE per tile, folded by one
// MergeOp each into an fp32 accumulator (init for the first), so that each merge does not
// round again; finish() copies the accumulated segments into the output. Every LSE view
// is a dense [B, piece heads, rows, 1] block. With one segment per chunk (full and causal
// masks on equal chunks) this is the classic ring: one partial view per chunk, one merge
// per tile after the first.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {

class TileOutputs {
 public:
  // out: [B, slots c, q_heads.size, D], the tiles' final destination; pieces: the GQA
  // pieces of q_heads (global heads). out_lse >= 0 (a buffer of B q_heads.size slots c
  // F32 elements, laid out as lse_view() says): the output's LSE is kept there too, for a
  // merge on another rank (the tiled schedule) or the backward pass (kv_ring.hpp).
  TileOutputs(const Problem& p, const DenseTensor& out, int slots, int64_t c, Range q_heads,
              std::vector<HeadPiece> pieces, int out_lse = -1);

  // Declares a tile over rows `rows` of chunk `slot` (every piece has it). All tiles are
  // declared before add_buffers(), which throws std::logic_error when the declared rows
  // of a chunk overlap partially.
  void declare(int slot, Range rows);
  // Adds the partial, accumulator and LSE buffers when some segment has several tiles.
  void add_buffers(Plan& plan);

  struct Target {
    View o;
    bool has_lse = false;
    View lse;
    bool direct = false;    // the segment's only tile: o and lse are the final ones
    bool first = false;     // the first of a segment's two tiles: o is the output, merged into later
    std::vector<int> deps;  // steps that still use the rows the tile overwrites
  };
  // Where the tile over rows `rows` of chunk `slot`, piece `piece` writes.
  Target target(int slot, Range rows, int piece) const;
  // Where a call over rows `rows` counted from chunk `slot`'s first row writes when they run
  // on into the following chunks (a column fusion of the tiled schedule): the output rows,
  // directly. Each chunk's part must be a declared segment with no other tile, and the output
  // keep no LSE (std::logic_error otherwise): a segment's LSEs are contiguous (lse_view), so
  // the LSE rows of two chunks never adjoin.
  Target span_target(int slot, Range rows, int piece) const;
  // After the tile's attention step `id` wrote `t`: its merge (label "merge" + tag), or,
  // for a direct tile, `id` is recorded as a step after which part of the output is
  // complete.
  void after(Plan& plan, int id, const Target& t, int slot, Range rows, int piece, const std::string& tag);
  // A partial result computed elsewhere (received from another rank): its output `o`
  // (Act) and LSE `lse` over rows `rows` of chunk `slot`, piece `piece`, declared like a
  // tile, ready after `deps`; merged in (or copied to the output when it is the
  // segment's only contribution: label "copy" + tag).
  void add_partial(Plan& plan, const View& o, const View& lse, int slot, Range rows, int piece, std::vector<int> deps,
                   const std::string& tag);
  // The copy of every accumulated segment into the output ("o_final", and "lse_final"
  // with out_lse, when any); returns the steps after which the whole output is complete.
  std::vector<int> finish(Plan& plan);

  // LSE [B, piece heads, rows, 1] of segment `rows` of chunk `slot` in a buffer laid out
  // as the partial LSEs are: chunk by chunk (B q_heads c elements each), inside a chunk
  // segment by segment (B q_heads rows elements from B q_heads rows.begin), inside a
  // segment piece by piece, each a dense block. A segment's LSEs are contiguous.
  View lse_view(int buf, int slot, Range rows, int piece) const;

 private:
  int segment_of(int slot, Range rows) const;
  int tiles_over(int slot, int seg) const { return count_[static_cast<size_t>(slot)][static_cast<size_t>(seg)]; }
  // The index of a segment's head piece in its slot's last_merge_.
  size_t piece_at(int seg, int piece) const {
    return static_cast<size_t>(seg) * pieces_.size() + static_cast<size_t>(piece);
  }
  int& last(int slot, int seg, int piece) { return last_merge_[static_cast<size_t>(slot)][piece_at(seg, piece)]; }
  View out_view(const DenseTensor& t, int slot, Range rows, int piece) const;
  // Where the merged LSE of a segment goes: the output's LSE when kept (out_lse), else the
  // accumulator's LSE buffer.
  View merged_lse_view(int slot, Range rows, int piece) const;
  // The merge of a partial (o, lse) into the segment's output (two tiles) or accumulator;
  // returns its step.
  int add_merge(Plan& plan, const View& o, const View& lse, int slot, Range rows, int piece, std::vector<int> deps,
                const std::string& tag);

  const Problem& p_;
  DenseTensor out_;
  int slots_;
  int64_t c_;
  Range q_heads_;
  std::vector<HeadPiece> pieces_;
  int out_lse_;
  std::vector<std::vector<Range>> segs_;      // [slot]: declared rows, then the distinct ones in order
  std::vector<std::vector<int>> count_;       // [slot][segment]: tiles over it
  // [slot][segment * pieces + piece]: the step that last wrote the segment's accumulator or,
  // with two tiles, the output; -1 before
  std::vector<std::vector<int>> last_merge_;
  bool any_merged_ = false;       // a segment has two tiles or more
  bool any_accumulated_ = false;  // a segment has three or more
  DenseTensor part_, acc_;
  int lse_part_ = -1, lse_acc_ = -1;
  std::vector<int> done_;
};

// The fields a tile's attention or attention-backward step takes from the tile: its mask
// (`tile`: global query and key tokens and tile mask), the problem's softmax scale, its
// global query heads.
template <class Op>
void set_tile(const Problem& p, const MaskRegion& tile, Range heads, Op* a) {
  a->causal = tile.mask.causal;
  a->diag = tile.mask.diag;
  a->window = tile.mask.window;
  a->scale = static_cast<float>(p.softmax_scale());
  a->heads = heads;
  a->q_tokens = tile.q;
  a->k_tokens = tile.k;
}

// The attention step of one tile: q, k, v the views it reads, `out` where it writes (from
// TileOutputs::target), `tile` its global query and key tokens and its mask, `heads` its
// global query heads; the problem's softmax scale.
AttentionOp tile_attention(const Problem& p, const View& q, const View& k, const View& v,
                           const TileOutputs::Target& out, const MaskRegion& tile, Range heads);

}  // namespace cpb
