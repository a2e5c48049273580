// The plan IR: what one rank does for one point, as plain data.
//
// A Plan lists, for one rank, its buffers and an ordered list of steps. Each step runs on
// a lane (a CUDA stream on the GPU; the CPU runtime runs steps one after another in list
// order), performs one op and waits for the steps named in `deps` (same rank; steps of
// the same lane are also ordered by list order). Contracts every schedule keeps, checked
// by plan_check.hpp and its tests:
//  - `steps` is a topological order of the dependencies (deps point backwards);
//  - on every lane, the Exchange steps appear in the same order on all ranks that take
//    part in them, and every send has a matching receive of the same size on the peer;
//  - every (query head, query token, key token) that the mask allows is computed by
//    exactly one Attention step of exactly one rank;
//  - the bytes the plan sends equal the schedule's model().
// Units: offsets, counts, shapes and strides are in elements of the buffer's storage.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "bench/problem.hpp"
#include "kernels/attention_flops.hpp"
#include "kernels/tile_mask.hpp"

namespace cpb {

// Act: the problem's dtype (bf16/fp16/fp32 on the GPU; fp32 on the CPU runtime).
// F32: always fp32 (LSE statistics, merge accumulators).
enum class Storage { Act, F32 };
// Q, K, V: this rank's input shard [B, S_local, H or Hkv, D], filled by the runtime with
// the deterministic inputs. O: this rank's output shard [B, S_local, H, D], verified.
// Backward pass (Problem::backward()): DO, the output gradient [B, S_local, H, D], an
// input filled like Q; DQ, DK, DV, the gradients of Q, K, V in their shards' shapes,
// outputs verified like O.
enum class BufferRole { Q, K, V, O, Scratch, DO, DQ, DK, DV };

struct Buffer {
  std::string name;
  Storage storage = Storage::Act;
  BufferRole role = BufferRole::Scratch;
  int64_t elems = 0;  // [elements]
};

// A strided 4-D view into a buffer. Attention tensors use dims [B, S, H, D]; LSE
// statistics use [B, H, S, 1]. All extents >= 1 and all strides >= 0 (a view's elements lie
// between its offset and the element at the last index; the kernels and the race and
// bounds checks rely on it).
struct View {
  int buf = -1;
  int64_t offset = 0;
  std::array<int64_t, 4> shape{1, 1, 1, 1};
  std::array<int64_t, 4> stride{1, 1, 1, 1};
  int64_t numel() const { return shape[0] * shape[1] * shape[2] * shape[3]; }
};
// A dense row-major view [n0, n1, n2, n3] starting at `offset`.
View dense_view(int buf, int64_t offset, std::array<int64_t, 4> shape);

// A contiguous piece of a buffer.
struct Slice {
  int buf = -1;
  int64_t offset = 0;
  int64_t count = 0;
};

// Element-wise copy of equal-shaped views, converting storage when it differs (Act <->
// F32). Used for pack/unpack between sequence- and head-sharded layouts.
struct CopyOp {
  struct Pair {
    View src, dst;
  };
  std::vector<Pair> pairs;
};

// One grouped point-to-point exchange: every send and receive of the step is posted
// together and the step ends when all complete (ncclGroupStart/End; MPI Isend/Irecv +
// Waitall). Peers are world ranks; a transfer to oneself is a local copy. `pattern`
// says which collective this is, for bus-bandwidth accounting.
struct Transfer {
  int peer = -1;
  Slice slice;
};
struct ExchangeOp {
  enum class Pattern { AllToAll, SendRecv };
  Pattern pattern = Pattern::AllToAll;
  int group = -1;                 // index into Plan::groups (the ranks taking part)
  std::vector<Transfer> sends, recvs;
};

// softmax(scale * Q K^T [masked]) V for one tile. q,o: [B, Sq, Hq, D];
// k,v: [B, Skv, Hk, D] with Hq % Hk == 0 (query head i uses key/value head i / (Hq/Hk)).
// The tile's mask (kernels/tile_mask.hpp): full, or causal with diagonal offset `diag`
// and window `window` (query i sees key j iff j <= i + diag, and j > i + diag - window
// when window > 0); every query row sees at least one key. lse (optional, F32,
// [B, Hq, Sq, 1]): natural-log sum-exp of the scaled scores per query row.
// heads/q_tokens/k_tokens: the global query heads and tokens this tile covers (for the
// coverage invariant and FLOP counting).
struct AttentionOp {
  View q, k, v, o;
  bool has_lse = false;
  View lse;
  bool causal = false;
  int64_t diag = 0;
  int64_t window = 0;
  float scale = 1.0f;
  Range heads, q_tokens, k_tokens;

  TileMask mask() const { return TileMask{causal, diag, window}; }
};

// LSE merge of a partial result into an accumulator:
//   init:  acc_o = part_o, acc_lse = part_lse
//   else:  m = max(acc_lse, part_lse); w_a = exp(acc_lse - m); w_p = exp(part_lse - m)
//          acc_o = (w_a acc_o + w_p part_o) / (w_a + w_p); acc_lse = m + log(w_a + w_p)
// part_o: Act [B, S, H, D]; acc_o: same shape, F32, or Act when it is the output itself
// (computed in fp32, rounded to Act by each merge: the schedules merge into Act only once
// per output row, tile_outputs.hpp); lse views F32 [B, H, S, 1].
struct MergeOp {
  View part_o, part_lse, acc_o, acc_lse;
  bool init = false;
};

// The gradients of one attention tile (kernels/cpu/attention_backward.hpp), ADDED into dq,
// dk and dv: the partial gradients of a row or key computed in several tiles accumulate
// (zero the accumulators first with a ZeroOp). q, o, dout, dq: [B, Sq, Hq, D]; k, v, dk,
// dv: [B, Skv, Hk, D]; lse (F32, [B, Hq, Sq, 1]): the rows' final statistics, and o the
// rows' final output, over all the keys each row sees, not only this tile's. Mask, scale,
// heads and tokens as for AttentionOp. dk and dv sum over the query heads of a GQA group.
struct AttentionBackwardOp {
  View q, k, v, o, dout, lse, dq, dk, dv;
  bool causal = false;
  int64_t diag = 0;
  int64_t window = 0;
  float scale = 1.0f;
  Range heads, q_tokens, k_tokens;

  TileMask mask() const { return TileMask{causal, diag, window}; }
};

// dst += src for each pair of equal-shaped views, in fp32 whatever the storage: partial
// gradients summed where they are owned.
struct ReduceOp {
  std::vector<CopyOp::Pair> pairs;
};

// Sets every element of the slices to zero: gradient accumulators before the first
// attention-backward or reduce step adds into them.
struct ZeroOp {
  std::vector<Slice> slices;
};

enum class OpKind { Copy, Exchange, Attention, Merge, AttentionBackward, Reduce, Zero };
using StepOp = std::variant<CopyOp, ExchangeOp, AttentionOp, MergeOp, AttentionBackwardOp, ReduceOp, ZeroOp>;

struct Step {
  int id = -1;         // index in Plan::steps
  int lane = 0;        // index into Plan::lanes
  std::string label;   // e.g. "a2a_in[c=1]", for tables and traces
  StepOp op;
  std::vector<int> deps;  // ids of earlier steps of this rank this step waits for

  OpKind kind() const { return static_cast<OpKind>(op.index()); }
  bool is_comm() const { return kind() == OpKind::Exchange; }
};

struct Plan {
  std::string schedule;
  int rank = 0;
  int world = 1;
  std::vector<std::string> lanes;        // e.g. {"compute", "comm"}
  std::vector<Buffer> buffers;
  std::vector<std::vector<int>> groups;  // rank groups of Exchange steps; same on all ranks
  std::vector<Range> tokens;             // global tokens of the local shard, in local order
  std::vector<Step> steps;
  // Steps [0, timed_from) are the untimed prologue: a runtime runs them once, before the
  // first run, and each run then runs steps [timed_from, end). Pass bwd puts the forward
  // there (it produces O and the LSE statistics the backward reads); 0 otherwise. Timed
  // steps may depend on prologue steps (already done) but never rewrite what they read.
  int timed_from = 0;

  int64_t local_tokens() const;          // sum of tokens[i].size
  int find_buffer(BufferRole role) const;  // first buffer with that role, or -1

  // Helpers for schedules: append and return the id.
  int add_buffer(std::string name, Storage storage, BufferRole role, int64_t elems);
  int add_lane(std::string name);
  int add_step(int lane, std::string label, StepOp op, std::vector<int> deps);
};

const char* to_string(OpKind k);
const char* to_string(Storage s);
const char* to_string(BufferRole r);

// A copy of `plan` that keeps only the steps for which keep(step) is true, renumbered;
// dependencies on dropped steps are replaced by the dropped steps' own (kept) deps, so
// ordering that went through a dropped step is preserved; of the kept steps a step waits
// for, only the latest of each lane is listed (lane order implies the others). Used to time a plan's
// compute-only and comm-only parts in isolation. timed_from becomes the count of kept
// prologue steps.
Plan filter_steps(const Plan& plan, const std::function<bool(const Step&)>& keep);

// Attention FLOPs of one tile: 4 * B * D * Hq * (pairs of query and key the mask allows).
double attention_flops(const AttentionOp& a);
// Of one tile's backward: kBackwardFlopFactor (kernels/attention_flops.hpp) times the
// forward's FLOPs of the same tile.
double attention_flops(const AttentionBackwardOp& a);
// Bytes this rank sends to other ranks (self transfers excluded), with `act_bytes` per
// Act element and 4 per F32 element; likewise received; attention FLOPs, forward and
// backward. All three count the timed steps only (the prologue is not timed).
double plan_send_bytes(const Plan& plan, int act_bytes);
double plan_recv_bytes(const Plan& plan, int act_bytes);
double plan_flops(const Plan& plan);

}  // namespace cpb
