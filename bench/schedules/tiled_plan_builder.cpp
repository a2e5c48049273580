#include "bench/schedules/tiled_plan_builder.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace cpb {
namespace tiled_detail {

ExchangeMembers exchange_members(const TiledLayout& l) {
  ExchangeMembers m{std::vector<char>(static_cast<size_t>(l.ranks), 0),
                    std::vector<char>(static_cast<size_t>(l.ranks), 0)};
  for (const TiledTile& t : l.tiles)
    for (const int owner : {l.owner(t.q_block), l.owner(t.k_block)}) {
      if (owner == t.rank) continue;
      m.in[static_cast<size_t>(owner)] = m.in[static_cast<size_t>(t.rank)] = 1;
      if (owner == l.owner(t.q_block)) m.out[static_cast<size_t>(owner)] = m.out[static_cast<size_t>(t.rank)] = 1;
    }
  return m;
}

TiledBuilder::TiledBuilder(const Problem& p, Plan& plan, const TiledLayout& l, TiledWorld w)
    : p_(p),
      plan_(plan),
      l_(l),
      w_(std::move(w)),
      r_(w_.me),
      c_(l.c),
      first_(r_ * l.per_rank),
      q_in_(l.blocks(), [&](int b) { return l.owner(b) != r_ && l.needs_q(r_, b); }),
      kv_in_(l.blocks(), [&](int b) { return l.owner(b) != r_ && l.needs_kv(r_, b); }),
      pieces_(gqa_pieces(w_.q_heads, p.group_size())),
      hq_(w_.q_heads.size),
      hkv_(w_.kv_heads.size),
      kseg_(l),
      regions_(mask_regions(p)) {
  calls_ = rank_calls();
  const ExchangeMembers m = exchange_members(l);
  in_takes_part_ = m.in[static_cast<size_t>(r_)] != 0;
  out_takes_part_ = m.out[static_cast<size_t>(r_)] != 0;
  // The partials this rank receives: for each block it holds, every other world rank
  // that computes some of its rows.
  for (int k = 0; k < l.per_rank; ++k)
    for (int q = 0; q < l.ranks; ++q)
      if (q != r_ && !l.segments(q, first_ + k).empty()) incoming_.push_back({q, first_ + k});
  for (int k = 0; k < l.per_rank; ++k)
    for (int q = 0; q < l.ranks; ++q)
      if (q != r_ && l.needs_kv(q, first_ + k)) incoming_kv_.push_back({q, first_ + k});
}

std::vector<int> TiledBuilder::build() {
  add_buffers();
  const int in = in_takes_part_ ? add_exchange(
                                      "in", w_.in_group, [&](ExchangeOp& ex) { input_transfers(ex, false); }, w_.ready)
                                : -1;
  for (const bool local : {true, false}) add_tiles(local, in);
  const std::vector<int> partials = part_->finish(plan_);
  const int out = out_takes_part_ ? add_exchange(
                                        "out", w_.out_group, [&](ExchangeOp& ex) { output_transfers(ex); }, partials)
                                  : -1;
  merge_incoming(out);
  return own_->finish(plan_);
}

DenseTensor TiledBuilder::tensor(const char* name, Storage s, int64_t rows, int64_t heads) {
  if (rows == 0) return DenseTensor{};
  return DenseTensor{
      plan_.add_buffer(name, s, BufferRole::Scratch, p_.B * rows * heads * p_.D), 0, p_.B, rows, heads, p_.D};
}

int TiledBuilder::lse_buffer(const char* name, int64_t chunks) {
  return chunks == 0 ? -1 : plan_.add_buffer(name, Storage::F32, BufferRole::Scratch, p_.B * hq_ * chunks * c_);
}

void TiledBuilder::add_buffers() {
  q_recv_ = tensor("q_in", Storage::Act, q_in_.size() * c_, hq_);
  k_recv_ = tensor("k_in", Storage::Act, kv_in_.size() * c_, hkv_);
  v_recv_ = tensor("v_in", Storage::Act, kv_in_.size() * c_, hkv_);
  const int64_t n_in = static_cast<int64_t>(incoming_.size());
  o_recv_ = tensor("o_in", Storage::Act, n_in * c_, hq_);
  lse_recv_ = lse_buffer("lse_in", n_in);
  part_o_ = tensor("o_partial", Storage::Act, q_in_.size() * c_, hq_);
  part_lse_ = lse_buffer("lse_partial", q_in_.size());
  // A backward pass keeps the final LSE of every row beside O (TileOutputs with out_lse).
  if (p_.backward()) lse_ = lse_buffer("lse", l_.per_rank);
  own_ = std::make_unique<TileOutputs>(p_, w_.o, l_.per_rank, c_, w_.q_heads, pieces_, lse_);
  part_ = std::make_unique<TileOutputs>(p_, part_o_, q_in_.size(), c_, w_.q_heads, pieces_, part_lse_);
  for (const Call& c : calls_)
    for (int b = c.q_first; b <= c.q_last; ++b) outputs_of(b).declare(slot_of(b), rows_of(c.piece, b));
  for (const Incoming& in : incoming_)
    for (const Range& seg : l_.segments(in.from, in.block)) own_->declare(in.block - first_, seg);
  own_->add_buffers(plan_);
  part_->add_buffers(plan_);
}

Range TiledBuilder::rows_of(const MaskRegion& m, int b) const {
  const int64_t first = std::max(m.q.begin, b * c_), last = std::min(m.q.end(), (b + 1) * c_);
  return Range{first - b * c_, last - first};
}

void TiledBuilder::rows(std::vector<Transfer>& out, int peer, const DenseTensor& t, int64_t first_row,
                        int64_t n) const {
  for (int64_t b = 0; b < p_.B; ++b) out.push_back(Transfer{peer, t.rows(b, Range{first_row, n})});
}

void TiledBuilder::input_transfers(ExchangeOp& ex, bool backward) const {
  std::vector<const DenseTensor*> q_own{&w_.q}, q_recv{&q_recv_};  // what moves per query block
  if (backward) q_own = {&w_.q, &w_.dout, &w_.o}, q_recv = {&q_recv_, &do_recv_, &o_final_recv_};
  const Range block{0, c_};
  for (int b = 0; b < l_.blocks(); ++b) {
    if (mine(b)) {
      const int64_t at = (b - first_) * c_;
      for (int d = 0; d < l_.ranks; ++d) {
        if (d == r_) continue;
        if (l_.needs_q(d, b)) {
          for (const DenseTensor* t : q_own) rows(ex.sends, peer(d), *t, at, c_);
          if (backward) ex.sends.push_back(Transfer{peer(d), lse_slice(lse_, b - first_, block)});
        }
        if (l_.needs_kv(d, b)) {
          rows(ex.sends, peer(d), w_.k, at, c_);
          rows(ex.sends, peer(d), w_.v, at, c_);
        }
      }
      continue;
    }
    const int from = peer(l_.owner(b));
    if (const int slot = q_in_.slot[static_cast<size_t>(b)]; slot >= 0) {
      for (const DenseTensor* t : q_recv) rows(ex.recvs, from, *t, slot * c_, c_);
      if (backward) ex.recvs.push_back(Transfer{from, lse_slice(lse_final_recv_, slot, block)});
    }
    if (kv_in_.slot[static_cast<size_t>(b)] >= 0) {
      rows(ex.recvs, from, k_recv_, kv_in_.slot[static_cast<size_t>(b)] * c_, c_);
      rows(ex.recvs, from, v_recv_, kv_in_.slot[static_cast<size_t>(b)] * c_, c_);
    }
  }
}

View TiledBuilder::q_rows_view(const DenseTensor& own, const DenseTensor& recv, Range tokens, Range heads) const {
  const int b = static_cast<int>(tokens.begin / c_);
  const int64_t off = tokens.begin % c_;
  if (mine(b)) return own.view(Range{(b - first_) * c_ + off, tokens.size}, heads);
  return recv.view(Range{q_in_.slot[static_cast<size_t>(b)] * c_ + off, tokens.size}, heads);
}

View TiledBuilder::kv_view(const DenseTensor& own, const DenseTensor& recv, Range tokens, Range heads) const {
  const int b = static_cast<int>(tokens.begin / c_);
  const int64_t off = tokens.begin % c_;
  if (mine(b)) return own.view(Range{(b - first_) * c_ + off, tokens.size}, heads);
  return recv.view(Range{kv_in_.slot[static_cast<size_t>(b)] * c_ + off, tokens.size}, heads);
}

void TiledBuilder::add_tiles(bool local, int in) {
  for (const Call& c : calls_)
    if (c.local == local) add_call(c, local ? -1 : in);
}

std::string TiledBuilder::piece_tag(const std::string& tag, size_t pi) const {
  return pieces_.size() > 1 ? tag.substr(0, tag.size() - 1) + ",h=" + std::to_string(pi) + "]" : tag;
}

void TiledBuilder::add_call(const Call& c, int in) {
  const MaskRegion& m = c.piece;
  const std::string tag = c.tag();
  TileOutputs& outputs = outputs_of(c.q_first);
  const int slot = slot_of(c.q_first);
  const Range rows = rows_in_block(m);
  for (size_t pi = 0; pi < pieces_.size(); ++pi) {
    const HeadPiece& pc = pieces_[pi];
    const int piece = static_cast<int>(pi);
    const Range hq{pc.q.begin - w_.q_heads.begin, pc.q.size}, hkv{pc.kv.begin - w_.kv_heads.begin, pc.kv.size};
    const std::string ptag = piece_tag(tag, pi);
    const TileOutputs::Target out =
        c.q_first == c.q_last ? outputs.target(slot, rows, piece) : outputs.span_target(slot, rows, piece);
    const AttentionOp a = tile_attention(p_, q_view(m.q, hq), kv_view(w_.k, k_recv_, m.k, hkv),
                                         kv_view(w_.v, v_recv_, m.k, hkv), out, m, pc.q);
    std::vector<int> deps = out.deps;
    if (in >= 0) deps.push_back(in);
    if (in < 0) deps.insert(deps.end(), w_.ready.begin(), w_.ready.end());
    const int id = plan_.add_step(kComputeLane, "attn" + ptag, a, std::move(deps));
    outputs.after(plan_, id, out, slot, rows, piece, ptag);
  }
}

void TiledBuilder::output_transfers(ExchangeOp& ex) const {
  for (const int b : q_in_.blocks) {
    const int slot = q_in_.slot[static_cast<size_t>(b)];
    for (const Range& seg : l_.segments(r_, b)) {
      rows(ex.sends, peer(l_.owner(b)), part_o_, slot * c_ + seg.begin, seg.size);
      ex.sends.push_back(Transfer{peer(l_.owner(b)), lse_slice(part_lse_, slot, seg)});
    }
  }
  for (size_t k = 0; k < incoming_.size(); ++k)
    for (const Range& seg : l_.segments(incoming_[k].from, incoming_[k].block)) {
      rows(ex.recvs, peer(incoming_[k].from), o_recv_, static_cast<int64_t>(k) * c_ + seg.begin, seg.size);
      ex.recvs.push_back(Transfer{peer(incoming_[k].from), lse_slice(lse_recv_, static_cast<int>(k), seg)});
    }
}

Slice TiledBuilder::lse_slice(int buf, int slot, Range seg) const {
  return Slice{buf, p_.B * hq_ * (slot * c_ + seg.begin), p_.B * hq_ * seg.size};
}

void TiledBuilder::merge_incoming(int out) {
  for (size_t k = 0; k < incoming_.size(); ++k) {
    const Incoming& in = incoming_[k];
    for (const Range& seg : l_.segments(in.from, in.block))
      for (size_t pi = 0; pi < pieces_.size(); ++pi) {
        const Range heads{pieces_[pi].q.begin - w_.q_heads.begin, pieces_[pi].q.size};
        const View o = o_recv_.view(Range{static_cast<int64_t>(k) * c_ + seg.begin, seg.size}, heads);
        const View lse = own_->lse_view(lse_recv_, static_cast<int>(k), seg, static_cast<int>(pi));
        std::string tag = "[q=" + std::to_string(in.block) + ",from=" + std::to_string(peer(in.from)) +
                          ",rows=" + std::to_string(seg.begin);
        if (pieces_.size() > 1) tag += ",h=" + std::to_string(pi);
        own_->add_partial(plan_, o, lse, in.block - first_, seg, static_cast<int>(pi), {out}, tag + "]");
      }
  }
}

}  // namespace tiled_detail
}  // namespace cpb
