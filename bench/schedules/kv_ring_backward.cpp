// The backward of a key/value ring: add_kv_ring_backward (kv_ring.hpp says how the
// gradients travel and why).
#include <set>
#include <string>
#include <utility>

#include "bench/schedules/kv_ring.hpp"
#include "bench/schedules/kv_ring_steps.hpp"
#include "bench/schedules/tile_outputs.hpp"

namespace cpb {
namespace {

// A dense [B, S, H, D] tensor of t's shape at `offset` of buffer `buf`.
DenseTensor dense_like(const DenseTensor& t, int buf, int64_t offset) {
  return DenseTensor{buf, offset, t.B, t.S, t.H, t.D, 0};
}

std::string step_tag(int k) { return "[i=" + std::to_string(k) + "]"; }

// Builds one ring's backward into a plan: the buffers, the zeroing of the accumulators,
// the steps in ring order, the copies into the gradients.
class RingBackwardBuilder {
 public:
  RingBackwardBuilder(Plan& plan, const Problem& p, const KvRing& ring, const KvRingGrads& grads)
      : plan_(plan),
        p_(p),
        ring_(ring),
        g_(grads),
        r_(static_cast<int>(ring.members.size())),
        slots_(static_cast<int>(ring.chunks[ring.me].size())),
        c_(ring.chunks[ring.me][0].size),
        pieces_(gqa_pieces(ring.q_heads, p.group_size())),
        lse_(p, ring.out, slots_, c_, ring.q_heads, pieces_, ring.lse),
        held_(ring),
        tiles_(ring_tiles(p, ring)),
        last_acc_(r_ > 1 ? r_ % 2 : 0),
        kv_in_place_(in_fp32(grads.dk) && in_fp32(grads.dv)) {}

  std::vector<int> build() {
    add_buffers();
    add_zero();
    for (int k = 0; k < r_; ++k) add_step(k);
    return {last_dq_, add_dkv_final()};
  }

 private:
  // Whether some query rows have several tiles (their dQ gets several partials).
  bool rows_repeat() const {
    std::set<std::pair<int, int64_t>> seen;  // (query chunk, first row): rows are equal or disjoint
    for (const std::vector<RingTile>& step : tiles_)
      for (const RingTile& t : step)
        if (!seen.insert({t.qs, t.rows.begin}).second) return true;
    return false;
  }

  bool in_fp32(const DenseTensor& t) const { return plan_.buffers[static_cast<size_t>(t.buf)].storage == Storage::F32; }

  // The backward's key/value ring buffers; the dK, dV accumulators (two that alternate
  // as they travel, r > 1; else one) and the step partial, F32; dQ's fp32 accumulator
  // where rows have several tiles. An F32 dq is its own accumulator; F32 dk and dv are the
  // accumulator that receives the last pass (the own block's), so they need no copy.
  void add_buffers() {
    held_.add_buffers(plan_, "kv_ring_bwd");
    const int64_t nk = ring_.k.elems(), n = nk + ring_.v.elems();
    for (int i = 0; i < (r_ > 1 ? 2 : 1); ++i) {
      if (kv_in_place_ && i == last_acc_) {
        acc_k_[i] = g_.dk;
        acc_v_[i] = g_.dv;
        continue;
      }
      const int buf = plan_.add_buffer("dkv_acc" + std::to_string(i), Storage::F32, BufferRole::Scratch, n);
      acc_k_[i] = dense_like(ring_.k, buf, 0);
      acc_v_[i] = dense_like(ring_.v, buf, nk);
    }
    if (r_ > 1) {
      const int buf = plan_.add_buffer("dkv_part", Storage::F32, BufferRole::Scratch, n);
      part_k_ = dense_like(ring_.k, buf, 0);
      part_v_ = dense_like(ring_.v, buf, nk);
    }
    dq_ = g_.dq;
    if (rows_repeat() && !in_fp32(g_.dq))
      dq_ = dense_like(g_.dq, plan_.add_buffer("dq_acc", Storage::F32, BufferRole::Scratch, g_.dq.elems()), 0);
  }

  void add_zero() {
    ZeroOp z;
    z.slices = {whole_slice(dq_), whole_slice(acc_k_[0]), whole_slice(acc_v_[0])};
    last_dq_ = acc_written_ = plan_.add_step(kComputeLane, "grad_zero", std::move(z), g_.ready);
  }

  // Step k: the key/value pass (all but the last step); the tiles against the held block,
  // adding dK, dV into the own block's accumulator (step 0) or a zeroed partial that is
  // then added into the accumulator received (later steps); the accumulator's pass; after
  // the last step, dQ's copy out of its fp32 accumulator.
  void add_step(int k) {
    // The first pass reads only k and v: it may overlap the end of the forward.
    if (k + 1 < r_) held_.add_pass(plan_, k, "kv_pass_bwd" + step_tag(k), held_.ready(k, ring_.ready));
    const std::vector<int> ready = held_.ready(k, g_.ready);
    const bool partial = k > 0 && !tiles_[k].empty();
    if (partial) {
      ZeroOp z;
      z.slices = {Slice{part_k_.buf, 0, part_k_.elems() + part_v_.elems()}};
      plan_.add_step(kComputeLane, "dkv_zero" + step_tag(k), std::move(z), {});
    }
    for (const RingTile& t : tiles_[k])
      for (size_t pi = 0; pi < pieces_.size(); ++pi)
        add_tile(k, t, pi, ready, partial ? part_k_ : acc_k_[0], partial ? part_v_ : acc_v_[0]);
    if (partial) {
      ReduceOp red;
      red.pairs = {CopyOp::Pair{part_k_.all(), acc_k_[k % 2].all()}, CopyOp::Pair{part_v_.all(), acc_v_[k % 2].all()}};
      acc_written_ = plan_.add_step(kComputeLane, "dkv_reduce" + step_tag(k), std::move(red), {dkv_arrived_});
    }
    if (r_ > 1) add_dkv_pass(k);
    // After the last reduction: the accumulator's return need not wait for this copy.
    if (k + 1 == r_ && dq_.buf != g_.dq.buf) {
      CopyOp copy;
      copy.pairs = {CopyOp::Pair{dq_.all(), g_.dq.all()}};
      last_dq_ = plan_.add_step(kComputeLane, "dq_final", std::move(copy), {});
    }
  }

  // The attention-backward step of tile `t`, GQA piece `pi`, at step k, adding into dq_
  // and into dk, dv (tensors shaped like the held block).
  void add_tile(int k, const RingTile& t, size_t pi, const std::vector<int>& ready, const DenseTensor& dk,
                const DenseTensor& dv) {
    const HeadPiece& pc = pieces_[pi];
    const Range rq = local_heads(pc.q, ring_.q_heads), rkv = local_heads(pc.kv, ring_.kv_heads);
    const Range q_rows = tile_q_rows(t, c_), k_rows = tile_k_rows(t, c_);
    AttentionBackwardOp a;
    a.q = ring_.q.view(q_rows, rq);
    a.k = held_.k(k).view(k_rows, rkv);
    a.v = held_.v(k).view(k_rows, rkv);
    a.o = ring_.out.view(q_rows, rq);
    a.dout = g_.dout.view(q_rows, rq);
    a.lse = lse_.lse_view(ring_.lse, t.qs, t.rows, static_cast<int>(pi));
    a.dq = dq_.view(q_rows, rq);
    a.dk = dk.view(k_rows, rkv);
    a.dv = dv.view(k_rows, rkv);
    set_tile(p_, global_tile(ring_, k, t), pc.q, &a);
    const int id =
        plan_.add_step(kComputeLane, "attn_bwd" + ring_tile_tag(k, slots_, t, pieces_.size(), pi), std::move(a), ready);
    held_.read(k, id);
    if (k == 0) acc_written_ = id;
    if (dq_.buf == g_.dq.buf) last_dq_ = id;
  }

  // Sends the accumulator of step k's block to the next member and receives that of step
  // k + 1 from the previous one (after the last step: its own block's, complete).
  void add_dkv_pass(int k) {
    const int held = k % 2, next = (k + 1) % 2;
    ExchangeOp ex = ring_send_recv(ring_, {whole_slice(acc_k_[held]), whole_slice(acc_v_[held])},
                                   {whole_slice(acc_k_[next]), whole_slice(acc_v_[next])});
    std::vector<int> deps;
    if (acc_written_ >= 0) deps.push_back(acc_written_);
    acc_written_ = -1;
    dkv_arrived_ = plan_.add_step(kCommLane, "dkv_pass" + step_tag(k), std::move(ex), std::move(deps));
  }

  // The copy of the own block's accumulator into dk and dv: after the last pass on the
  // comm lane (r > 1), else after the tiles on the compute lane; none when the accumulator
  // is dk and dv (F32): then the step that completed it.
  int add_dkv_final() {
    if (kv_in_place_) return r_ > 1 ? dkv_arrived_ : acc_written_;
    CopyOp copy;
    copy.pairs = {CopyOp::Pair{acc_k_[last_acc_].all(), g_.dk.all()},
                  CopyOp::Pair{acc_v_[last_acc_].all(), g_.dv.all()}};
    if (r_ > 1) return plan_.add_step(kCommLane, "dkv_final", std::move(copy), {dkv_arrived_});
    return plan_.add_step(kComputeLane, "dkv_final", std::move(copy), {});
  }

  Plan& plan_;
  const Problem& p_;
  const KvRing& ring_;
  const KvRingGrads& g_;
  const int r_;      // ring members
  const int slots_;  // this rank's token chunks
  const int64_t c_;  // tokens per chunk
  const std::vector<HeadPiece> pieces_;
  const TileOutputs lse_;  // the layout of the forward's LSE (lse_view)
  HeldBlocks held_;
  const std::vector<std::vector<RingTile>> tiles_;  // [step]: the forward's
  const int last_acc_;                              // the accumulator the last pass fills: the own block's
  const bool kv_in_place_;                          // dk and dv are F32: that accumulator
  DenseTensor acc_k_[2], acc_v_[2], part_k_, part_v_, dq_;
  int acc_written_ = -1;  // the compute step that last wrote the accumulator to pass next, or -1
  int dkv_arrived_ = -1;  // the latest accumulator pass
  int last_dq_ = -1;      // the step after which dq is complete (once the ring is built)
};

}  // namespace

std::vector<int> add_kv_ring_backward(Plan& plan, const Problem& p, const KvRing& ring, const KvRingGrads& grads) {
  return RingBackwardBuilder(plan, p, ring, grads).build();
}

}  // namespace cpb
