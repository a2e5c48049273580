// The key/value ring shared by ring, zigzag_ring and usp.
//
// r ranks each hold query and key/value blocks made of `slots` token chunks of equal size
// c. In step k (0 <= k < r) a rank attends its queries against the key/value block of the
// member k places before it, while a SendRecv passes that block to the next member and
// receives the following one into the other of two ring buffers (double buffering: an
// exchange waits for the attention that last read the buffer it overwrites). Per (query
// chunk, key chunk) pair the tiles are the mask's regions cut to the pair (clip_regions,
// bench/mask/mask_regions.hpp): under the causal mask one full tile when the key chunk
// lies before the query chunk, one causal tile when they are the same chunk, none when
// the key chunk lies after it; a block-sparse mask skips its empty pairs and may cut a
// pair into several tiles. Blocks are forwarded whether or not a rank attends them. Under
// GQA each tile is cut at group boundaries (gqa_pieces). Query rows with a single tile in
// the whole ring are written directly; the others go through partials, LSE merges and a
// final copy (tile_outputs.hpp).
//
// The backward (add_kv_ring_backward) runs the same ring again over the same tiles, each
// an attention-backward step reading the forward's final O and LSE. Its dQ adds up in
// place (fp32 when a row has several tiles); the dK and dV of each block add up in an
// fp32 accumulator that travels the ring one step behind the block, as in
// ring-flash-attention: in step k a rank adds its tiles' dK, dV against the held block
// into a zeroed fp32 partial, while the block's accumulator arrives from the previous
// member (which finished its own step k - 1 with it); the partial is then added into the
// accumulator (a ReduceOp), which goes on to the next member. Adding the tiles straight
// into the arriving accumulator would put its transfer between every two steps; the
// partial lets it overlap the step's attention. At step 0 a rank adds into the
// accumulator of its own block directly; after the last step the accumulators make one
// more pass, back to the members that own them (the one transfer no attention hides), and
// are copied into dk and dv. A step with no tile passes the accumulator it received on
// unchanged.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedule.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {

struct KvRing {
  int group = -1;                          // index into Plan::groups
  std::vector<int> members;                // world ranks, in ring order
  int me = 0;                              // this rank's position in `members`
  std::vector<std::vector<Range>> chunks;  // [member][slot]: global tokens, all of one size
  DenseTensor q, k, v;                     // this rank's [B, slots c, h, D] blocks
  Range q_heads;                           // global query heads of q and out
  Range kv_heads;                          // global key/value heads of k and v
  DenseTensor out;                         // the result, [B, slots c, q_heads.size, D]
  std::vector<int> ready;                  // steps that must end before q, k, v are read
  // The forward keeps each query row's final LSE in this buffer when >= 0 (F32, B
  // q_heads.size slots c elements, laid out as TileOutputs::lse_view says for the ring's
  // tiles): the backward reads it. -1: no LSE is kept (the forward alone).
  int lse = -1;
};

// Adds the ring's buffers and steps (attention and merges on the compute lane, exchanges
// on the comm lane); returns the steps after which `out` is complete.
std::vector<int> add_kv_ring(Plan& plan, const Problem& p, const KvRing& ring);

// The backward's inputs besides the ring's q, k, v, out and lse (all as the forward left
// them), and where its gradients go. All dense, in the layouts of KvRing's tensors.
struct KvRingGrads {
  DenseTensor dout;        // the output gradient, [B, slots c, q_heads.size, D]
  DenseTensor dq;          // [B, slots c, q_heads.size, D]
  DenseTensor dk, dv;      // [B, slots c, kv_heads.size, D]: the sums over this ring's query heads
  std::vector<int> ready;  // steps that must end before q, k, v, out, lse and dout are read
};

// Adds the backward of a ring whose forward add_kv_ring added with ring.lse >= 0 (the
// same KvRing): attention-backward steps, zeroing, reductions and copies on the compute
// lane, the exchanges of key/value blocks and of dK/dV accumulators (and the final copy
// into dk and dv) on the comm lane. Overwrites dq, dk and dv: Act tensors get the fp32
// sums copied in; F32 ones (e.g. the fp32 accumulators of a head group around the ring,
// head_gradients.hpp) serve as the accumulators themselves, without a copy. Returns the
// steps after which they are complete.
std::vector<int> add_kv_ring_backward(Plan& plan, const Problem& p, const KvRing& ring, const KvRingGrads& grads);

// model() of one member of a ring of r members whose key/value blocks hold `block_elems`
// elements (K and V together) and whose forward tiles compute `forward_flops`, for the
// problem's pass: fwd sends and receives (r - 1) block_elems Act elements and computes
// forward_flops; bwd (r - 1) block_elems Act elements (the blocks again) and, when r > 1,
// r block_elems F32 elements (the dK and dV accumulators: r - 1 passes and the return to
// their owner), and 2.5 forward_flops (kBackwardFlopFactor); fwd_bwd the sums of both.
Model kv_ring_model(const Problem& p, int r, double block_elems, double forward_flops);

// Points the ring at this rank's whole shards: q, k, v, out are `roles` and the heads all
// H query and Hkv key/value heads (no head exchange before or after the ring).
void use_whole_shards(KvRing& ring, const Problem& p, const RoleTensors& roles);

// Token chunks rank `rank` holds, in slot order (contiguous_tokens, zigzag_tokens).
using TokenLayout = std::function<std::vector<Range>(const Problem& p, int rank)>;

// The whole plan of a ring over all P ranks in rank order (Plan::groups = {world}), where
// each rank holds whole shards laid out by `layout`: ring and zigzag_ring. For a backward
// pass the forward keeps its LSE and the ring's backward follows it, into start_plan's DQ,
// DK, DV; pass bwd times the backward alone (Plan::timed_from: the forward's steps).
Plan world_kv_ring_plan(const Problem& p, int rank, const std::string& schedule, const TokenLayout& layout);

}  // namespace cpb
