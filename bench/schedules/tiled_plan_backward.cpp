// The backward steps of the tiled schedule in one tiling world (tiled_plan_builder.hpp).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "bench/schedules/tiled_plan_builder.hpp"

namespace cpb {
namespace tiled_detail {

KeySegments::KeySegments(const TiledLayout& l)
    : blocks_(l.blocks()), segs_(static_cast<size_t>(l.ranks) * static_cast<size_t>(l.blocks())) {
  for (const TiledTile& t : l.tiles)
    for (const MaskRegion& m : t.pieces)
      segs_[static_cast<size_t>(t.rank * blocks_ + t.k_block)].push_back(Range{m.k.begin % l.c, m.k.size});
  for (std::vector<Range>& segs : segs_) {
    std::sort(segs.begin(), segs.end(), [](Range a, Range b) { return a.begin < b.begin; });
    std::vector<Range> joined;
    for (const Range& r : segs)
      if (!joined.empty() && r.begin <= joined.back().end())
        joined.back().size = std::max(joined.back().end(), r.end()) - joined.back().begin;
      else
        joined.push_back(r);
    segs = std::move(joined);
  }
}

std::vector<int> TiledBuilder::build_backward(const std::vector<int>& forward, const std::vector<int>& inputs) {
  add_backward_buffers();
  add_zero();
  // Sends dO, O and the LSE statistics: after the forward completed them.
  std::vector<int> in_deps = forward;
  in_deps.insert(in_deps.end(), inputs.begin(), inputs.end());
  const int in = in_takes_part_
                     ? add_exchange(
                           "bwd_in", w_.in_group, [&](ExchangeOp& ex) { input_transfers(ex, true); }, in_deps)
                     : -1;
  // The local calls follow the forward's steps on the compute lane (list order), so they
  // read its final O and LSE; the others wait for the input exchange.
  for (const bool local : {true, false})
    for (const Call& c : calls_)
      if (c.local == local) add_backward_call(c, local ? inputs : std::vector<int>{in});
  const int pack = add_gradient_pack();
  const int out = in_takes_part_ ? add_exchange(
                                       "bwd_out", w_.in_group, [&](ExchangeOp& ex) { gradient_transfers(ex); },
                                       pack >= 0 ? std::vector<int>{pack} : std::vector<int>{})
                                 : -1;
  reduce_incoming(out);
  if (w_.grads_accumulate) {  // complete after the compute lane's last step so far
    int last = static_cast<int>(plan_.steps.size()) - 1;
    while (plan_.steps[static_cast<size_t>(last)].lane != kComputeLane) --last;
    return {last};
  }
  CopyOp copy;
  copy.pairs = {{dq_acc_.all(), w_.dq.all()}, {dk_acc_.all(), w_.dk.all()}, {dv_acc_.all(), w_.dv.all()}};
  return {plan_.add_step(kComputeLane, "grad_final", std::move(copy), {})};
}

void TiledBuilder::add_backward_buffers() {
  const int64_t q_rows = q_in_.size() * c_, kv_rows = kv_in_.size() * c_, own_rows = w_.q.S;
  if (w_.grads_accumulate) {
    dq_acc_ = w_.dq, dk_acc_ = w_.dk, dv_acc_ = w_.dv;
  } else {
    dq_acc_ = tensor("dq_acc", Storage::F32, own_rows, hq_);
    dk_acc_ = tensor("dk_acc", Storage::F32, own_rows, hkv_);
    dv_acc_ = tensor("dv_acc", Storage::F32, own_rows, hkv_);
  }
  do_recv_ = tensor("do_in", Storage::Act, q_rows, hq_);
  o_final_recv_ = tensor("o_bwd_in", Storage::Act, q_rows, hq_);
  lse_final_recv_ = lse_buffer("lse_bwd_in", q_in_.size());
  dq_part_ = tensor("dq_partial", Storage::F32, q_rows, hq_);
  dk_part_ = tensor("dk_partial", Storage::F32, kv_rows, hkv_);
  dv_part_ = tensor("dv_partial", Storage::F32, kv_rows, hkv_);
  dq_send_ = tensor("dq_send", Storage::Act, q_rows, hq_);
  dk_send_ = tensor("dk_send", Storage::Act, kv_rows, hkv_);
  dv_send_ = tensor("dv_send", Storage::Act, kv_rows, hkv_);
  const int64_t n_q = static_cast<int64_t>(incoming_.size()), n_kv = static_cast<int64_t>(incoming_kv_.size());
  dq_recv_ = tensor("dq_in", Storage::Act, n_q * c_, hq_);
  dk_recv_ = tensor("dk_in", Storage::Act, n_kv * c_, hkv_);
  dv_recv_ = tensor("dv_in", Storage::Act, n_kv * c_, hkv_);
}

void TiledBuilder::add_zero() {
  ZeroOp zero;
  for (const DenseTensor* t : {&dq_acc_, &dk_acc_, &dv_acc_, &dq_part_, &dk_part_, &dv_part_})
    if (t->buf >= 0) zero.slices.push_back(Slice{t->buf, t->offset, t->elems()});
  plan_.add_step(kComputeLane, "grad_zero", std::move(zero), {});
}

void TiledBuilder::add_backward_call(const Call& c, const std::vector<int>& deps) {
  // One query block: columns never fuse in a backward pass (tiled_plan_builder.hpp, Call).
  const MaskRegion& m = c.piece;
  const int slot = slot_of(c.q_first);
  const int lse = mine(c.q_first) ? lse_ : lse_final_recv_;
  for (size_t pi = 0; pi < pieces_.size(); ++pi) {
    const HeadPiece& pc = pieces_[pi];
    const Range hq{pc.q.begin - w_.q_heads.begin, pc.q.size}, hkv{pc.kv.begin - w_.kv_heads.begin, pc.kv.size};
    AttentionBackwardOp a;
    a.q = q_rows_view(w_.q, q_recv_, m.q, hq);
    a.o = q_rows_view(w_.o, o_final_recv_, m.q, hq);
    a.dout = q_rows_view(w_.dout, do_recv_, m.q, hq);
    a.dq = q_rows_view(dq_acc_, dq_part_, m.q, hq);
    a.lse = own_->lse_view(lse, slot, rows_in_block(m), static_cast<int>(pi));
    a.k = kv_view(w_.k, k_recv_, m.k, hkv);
    a.v = kv_view(w_.v, v_recv_, m.k, hkv);
    a.dk = kv_view(dk_acc_, dk_part_, m.k, hkv);
    a.dv = kv_view(dv_acc_, dv_part_, m.k, hkv);
    a.causal = m.mask.causal;
    a.diag = m.mask.diag;
    a.window = m.mask.window;
    a.scale = static_cast<float>(p_.softmax_scale());
    a.heads = pc.q;
    a.q_tokens = m.q;
    a.k_tokens = m.k;
    plan_.add_step(kComputeLane, "attn_bwd" + piece_tag(c.tag(), pi), std::move(a), deps);
  }
}

int TiledBuilder::add_gradient_pack() {
  CopyOp copy;
  const Range all_q{0, hq_}, all_kv{0, hkv_};
  for (const int b : q_in_.blocks)
    for (const Range& seg : l_.segments(r_, b)) {
      const Range rows{q_in_.slot[static_cast<size_t>(b)] * c_ + seg.begin, seg.size};
      copy.pairs.push_back({dq_part_.view(rows, all_q), dq_send_.view(rows, all_q)});
    }
  for (const int b : kv_in_.blocks)
    for (const Range& seg : kseg_.of(r_, b)) {
      const Range rows{kv_in_.slot[static_cast<size_t>(b)] * c_ + seg.begin, seg.size};
      copy.pairs.push_back({dk_part_.view(rows, all_kv), dk_send_.view(rows, all_kv)});
      copy.pairs.push_back({dv_part_.view(rows, all_kv), dv_send_.view(rows, all_kv)});
    }
  if (copy.pairs.empty()) return -1;
  return plan_.add_step(kComputeLane, "grad_pack", std::move(copy), {});
}

void TiledBuilder::gradient_transfers(ExchangeOp& ex) const {
  for (const int b : q_in_.blocks)
    for (const Range& seg : l_.segments(r_, b))
      rows(ex.sends, peer(l_.owner(b)), dq_send_, q_in_.slot[static_cast<size_t>(b)] * c_ + seg.begin, seg.size);
  for (const int b : kv_in_.blocks)
    for (const Range& seg : kseg_.of(r_, b))
      for (const DenseTensor* t : {&dk_send_, &dv_send_})
        rows(ex.sends, peer(l_.owner(b)), *t, kv_in_.slot[static_cast<size_t>(b)] * c_ + seg.begin, seg.size);
  for (size_t k = 0; k < incoming_.size(); ++k)
    for (const Range& seg : l_.segments(incoming_[k].from, incoming_[k].block))
      rows(ex.recvs, peer(incoming_[k].from), dq_recv_, static_cast<int64_t>(k) * c_ + seg.begin, seg.size);
  for (size_t k = 0; k < incoming_kv_.size(); ++k)
    for (const Range& seg : kseg_.of(incoming_kv_[k].from, incoming_kv_[k].block))
      for (const DenseTensor* t : {&dk_recv_, &dv_recv_})
        rows(ex.recvs, peer(incoming_kv_[k].from), *t, static_cast<int64_t>(k) * c_ + seg.begin, seg.size);
}

void TiledBuilder::reduce_incoming(int out) {
  std::vector<ReduceOp> by_sender(static_cast<size_t>(l_.ranks));
  auto add = [&](const Incoming& in, size_t k, Range seg, const DenseTensor& recv, const DenseTensor& acc) {
    const Range heads{0, recv.H};
    by_sender[static_cast<size_t>(in.from)].pairs.push_back(
        {recv.view(Range{static_cast<int64_t>(k) * c_ + seg.begin, seg.size}, heads),
         acc.view(Range{(in.block - first_) * c_ + seg.begin, seg.size}, heads)});
  };
  for (size_t k = 0; k < incoming_.size(); ++k)
    for (const Range& seg : l_.segments(incoming_[k].from, incoming_[k].block))
      add(incoming_[k], k, seg, dq_recv_, dq_acc_);
  for (size_t k = 0; k < incoming_kv_.size(); ++k)
    for (const Range& seg : kseg_.of(incoming_kv_[k].from, incoming_kv_[k].block)) {
      add(incoming_kv_[k], k, seg, dk_recv_, dk_acc_);
      add(incoming_kv_[k], k, seg, dv_recv_, dv_acc_);
    }
  for (size_t s = 0; s < by_sender.size(); ++s)
    if (!by_sender[s].pairs.empty())
      plan_.add_step(kComputeLane, "reduce[from=" + std::to_string(peer(static_cast<int>(s))) + "]",
                     std::move(by_sender[s]), {out});
}

}  // namespace tiled_detail
}  // namespace cpb
