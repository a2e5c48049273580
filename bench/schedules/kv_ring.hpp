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
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
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
};

// Adds the ring's buffers and steps (attention and merges on the compute lane, exchanges
// on the comm lane); returns the steps after which `out` is complete.
std::vector<int> add_kv_ring(Plan& plan, const Problem& p, const KvRing& ring);

// Points the ring at this rank's whole shards: q, k, v, out are `roles` and the heads all
// H query and Hkv key/value heads (no head exchange before or after the ring).
void use_whole_shards(KvRing& ring, const Problem& p, const RoleTensors& roles);

// Token chunks rank `rank` holds, in slot order (contiguous_tokens, zigzag_tokens).
using TokenLayout = std::function<std::vector<Range>(const Problem& p, int rank)>;

// The whole plan of a ring over all P ranks in rank order (Plan::groups = {world}), where
// each rank holds whole shards laid out by `layout`: ring and zigzag_ring.
Plan world_kv_ring_plan(const Problem& p, int rank, const std::string& schedule, const TokenLayout& layout);

}  // namespace cpb
