// The parts of a key/value ring's steps (kv_ring.hpp) that its forward (kv_ring.cpp) and
// backward (kv_ring_backward.cpp) builders share: the tiles, which both passes cut alike
// (the backward reads the forward's LSE in the tiles' layout), and the double-buffered
// key/value blocks passed around the ring.
#pragma once

#include <string>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedules/kv_ring.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {

// One attention tile of a ring step: rows `rows` of query chunk `qs` of this rank against
// keys `keys` of key chunk `ks` of the block held at that step (chunk-local ranges), under
// the tile mask the problem's mask gives them.
struct RingTile {
  int qs = 0, ks = 0;
  Range rows, keys;
  TileMask mask;
  int n = -1;  // its number among the tiles of its (query chunk, key chunk) pair, when there are several
};

// The key/value chunks this rank holds at step k: those of the member k places before it.
const std::vector<Range>& held_chunks(const KvRing& ring, int k);

// The tiles of every step ([step][tile], in ring order): the mask's regions cut to each
// (query chunk, held key chunk) pair (clip_regions), then at each other's row boundaries
// within the query chunk (cut_rows), so that the row ranges of a chunk's tiles are equal
// or disjoint (tile_outputs.hpp).
std::vector<std::vector<RingTile>> ring_tiles(const Problem& p, const KvRing& ring);

// The tile's global query and key tokens and its mask, at step k.
MaskRegion global_tile(const KvRing& ring, int k, const RingTile& t);

// Local rows of the tile in the ring's query tensor ([B, slots c, ...]) and in the held
// key/value block, chunks of c tokens.
Range tile_q_rows(const RingTile& t, int64_t c);
Range tile_k_rows(const RingTile& t, int64_t c);

// Global heads `heads` as heads of a tensor that holds the global heads `base`.
Range local_heads(Range heads, Range base);

// "[i=2,q=0,kv=1,t=0,h=1]": the step, and where the ring has several of each the chunks,
// the tile's number in its pair and the GQA piece; labels of attention steps.
std::string ring_tile_tag(int step, int slots, const RingTile& t, size_t pieces, size_t piece);

// The key/value blocks a ring member holds, step by step: its own (KvRing::k, v) at step
// 0, then the block received in the step before, in one of two ring buffers (double
// buffering: the exchange that fills a buffer waits for the steps that read it since it
// was last filled).
class HeldBlocks {
 public:
  explicit HeldBlocks(const KvRing& ring) : ring_(ring), r_(static_cast<int>(ring.members.size())) {}
  // The two ring buffers (r > 1): Act, K then V, named name + "0" and name + "1".
  void add_buffers(Plan& plan, const std::string& name);
  const DenseTensor& k(int step) const { return step == 0 ? ring_.k : k_[(step - 1) % 2]; }
  const DenseTensor& v(int step) const { return step == 0 ? ring_.v : v_[(step - 1) % 2]; }
  // The steps that must end before the block of `step` is read: `first` at step 0, else
  // the exchange that received it (the pass of step - 1, added before).
  std::vector<int> ready(int step, const std::vector<int>& first) const {
    return step == 0 ? first : std::vector<int>{arrived_.at(static_cast<size_t>(step - 1))};
  }
  // Step `id` reads the block of `step`.
  void read(int step, int id) {
    if (step > 0) readers_[(step - 1) % 2].push_back(id);
  }
  // The exchange of step k < r - 1 on the comm lane: sends the block of step k to the next
  // member and receives that of step k + 1 from the previous one, after `deps` and the
  // steps that read the buffer it overwrites. Returns its id.
  int add_pass(Plan& plan, int k, const std::string& label, std::vector<int> deps);

 private:
  const KvRing& ring_;
  const int r_;
  DenseTensor k_[2], v_[2];
  std::vector<int> readers_[2];  // steps that read ring buffer i since it was filled
  std::vector<int> arrived_;     // [k]: the pass of step k, which received the block of step k + 1
};

// A SendRecv of the ring's group: `sends` to the next member, `recvs` from the previous.
ExchangeOp ring_send_recv(const KvRing& ring, const std::vector<Slice>& sends, const std::vector<Slice>& recvs);

// The whole of a dense tensor as one contiguous piece (throws std::logic_error for a
// pitched tensor, which has gaps: the ring moves and accumulates whole shards).
Slice whole_slice(const DenseTensor& t);
// `t` placed at `offset` of buffer `buf`; `t` must be dense, as the new storage is.
DenseTensor moved_to(DenseTensor t, int buf, int64_t offset);

}  // namespace cpb
