// Layout arithmetic shared by the schedules: how tokens and heads are split across ranks
// and chunks, which key/value heads a query-head range needs under GQA, and strided views
// of dense [B, S, H, D] tensors. Pure functions; no plan is built here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

// Splits n items into `parts` consecutive ranges as evenly as possible: the first
// (n mod parts) ranges get one item more. Ranges may be empty when n < parts.
std::vector<Range> even_split(int64_t n, int parts);

// Key/value heads [a / g, (b - 1) / g] that query heads [a, b) read, g = H / Hkv.
Range kv_heads_for(Range q_heads, int group_size);

// A piece of an attention tile whose query heads map onto its key/value heads by
// local q head / (q.size / kv.size): the contract of AttentionOp for GQA.
struct HeadPiece {
  Range q;   // global query heads
  Range kv;  // global key/value heads
};
// Cuts query heads [a, b) at GQA group boundaries into at most three pieces: a partial
// leading group, the whole groups, a partial trailing group. One piece when aligned.
std::vector<HeadPiece> gqa_pieces(Range q_heads, int group_size);

// Contiguous sharding: rank r holds tokens [r S/P, (r+1) S/P). Precondition: S % P == 0.
Range contiguous_tokens(const Problem& p, int rank);
// Zigzag sharding: S in 2P chunks; rank r holds chunk r, then chunk 2P-1-r.
// Precondition: S % (2P) == 0.
std::vector<Range> zigzag_tokens(const Problem& p, int rank);

// Splits n items into `parts` consecutive ranges whose first and last hold about half of
// each middle one (HCMS chunk_shape Taper): with parts >= 3, each end gets
// e = max(1, round(n / (2 (parts - 1)))), halves rounded down, i.e.
// e = max(1, floor((n + parts - 2) / (2 (parts - 1)))), and the parts - 2 middle ranges
// share the other n - 2e as even_split does. With parts < 3, even_split(n, parts).
// E.g. (20, 6) -> 2 4 4 4 4 2; (7, 3) -> 2 3 2; (6, 3) -> 1 4 1; (4, 4) -> 1 1 1 1.
// Precondition: 1 <= parts <= n; then every range holds at least one item.
std::vector<Range> taper_split(int64_t n, int parts);

// Query-head chunks of one rank that holds `rank_heads` (HCMS): Problem::chunk_heads when
// given, otherwise `chunks` chunks shaped by Problem::chunk_shape: Even (even_split: the
// first (h mod C) one head more) or Taper (taper_split).
// Precondition: hcms_split_error() found nothing for this rank's head count.
std::vector<Range> head_chunks(const Problem& p, Range rank_heads);
// Number of head chunks HCMS uses for `p`: chunk_heads.size() when given, else chunks.
int head_chunk_count(const Problem& p);
// Why the heads of a rank with `heads` query heads cannot be chunked, or nullopt.
Reason hcms_split_error(const Problem& p, int64_t heads, int rank, const char* schedule);

// Reasons shared by every schedule: non-positive sizes, H not a multiple of Hkv.
Reason basic_problem_error(const Problem& p, const char* schedule);
// "S=100 is not divisible by P=8 (ring)" when S % divisor != 0; `divisor_name` is how
// the reason spells the divisor ("P", "2P").
Reason divisibility_error(const Problem& p, int64_t divisor, const char* divisor_name,
                                              const char* schedule);
// basic_problem_error, then divisibility_error: every reason of ring and zigzag_ring.
Reason sequence_shard_error(const Problem& p, int64_t divisor, const char* divisor_name,
                                                const char* schedule);
// sequence_shard_error with divisor P, then "H=2 is less than P=4: every rank needs at
// least one query head": the reasons every head-sharded schedule (ulysses, hcms) shares.
Reason head_shard_error(const Problem& p, const char* schedule);

// Allowed query-key pairs of query tokens q_tokens against key tokens k_tokens (global
// ranges) under the problem's mask (bench/mask/mask_regions.hpp).
double block_pairs(const Problem& p, Range q_tokens, Range k_tokens);

// A row-major [B, S, H, D] tensor at `offset` in buffer `buf` [elements]. Its token rows
// are `pitch` heads apart (0: H, a dense tensor); a pitch above H makes it the head range
// [0, H) of a wider row, e.g. Q inside a packed [B, S, Hq + 2 Hkv, D] QKV tensor whose
// offset points at Q's first head.
struct DenseTensor {
  int buf = -1;
  int64_t offset = 0;
  int64_t B = 1, S = 1, H = 1, D = 1;
  int64_t pitch = 0;

  int64_t row_heads() const { return pitch > 0 ? pitch : H; }
  bool dense() const { return row_heads() == H; }
  int64_t elems() const { return B * S * H * D; }
  // Sub-view [B, tokens.size, heads.size, D] of local tokens and local heads, keeping the
  // tensor's strides.
  View view(Range tokens, Range heads) const;
  View all() const { return view(Range{0, S}, Range{0, H}); }
  // The contiguous piece holding batch b, local tokens `tokens`, all heads.
  // Precondition: dense() (throws std::logic_error otherwise).
  Slice rows(int64_t b, Range tokens) const;
  // The head range `heads` of every row as a tensor of its own (same pitch).
  DenseTensor head_range(Range heads) const;
};

// Lanes every schedule of this folder uses: attention, merges and packs on "compute",
// exchanges (and the unpacks that follow them) on "comm".
constexpr int kComputeLane = 0;
constexpr int kCommLane = 1;

// The rank's input and output shards as dense tensors: Q, O [B, S_local, H, D] and
// K, V [B, S_local, Hkv, D]; in the backward pass (Problem::backward()) also the output
// gradient dO and the gradients dQ [B, S_local, H, D], dK, dV [B, S_local, Hkv, D].
struct RoleTensors {
  DenseTensor q, k, v, o;
  DenseTensor dout, dq, dk, dv;  // buf -1 in the forward pass
};

// A plan with its header filled (schedule, rank, world, lanes compute and comm, `groups`,
// `tokens`) and the Q, K, V, O buffers added (and DO, DQ, DK, DV in the backward pass);
// returns the role tensors in `roles`.
Plan start_plan(const Problem& p, int rank, const std::string& schedule, std::vector<Range> tokens,
                std::vector<std::vector<int>> groups, RoleTensors* roles);

// The ranks [first, first + count * stride) with step `stride`, e.g. a USP ring group.
std::vector<int> rank_list(int first, int count, int stride);

}  // namespace cpb
