#include "bench/schedules/tiled_plan_builder.hpp"

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

std::string TiledBuilder::Call::tag() const {
  std::string t = "[q=" + std::to_string(q_block) + ",k=" + std::to_string(k_first);
  if (k_last != k_first) t += "-" + std::to_string(k_last);
  if (tile_piece >= 0) t += ",t=" + std::to_string(tile_piece);
  return t + "]";
}

bool TiledBuilder::kv_adjoin(int a) const {
  if (mine(a) || mine(a + 1)) return mine(a) && mine(a + 1);
  return kv_in_.slot[static_cast<size_t>(a + 1)] == kv_in_.slot[static_cast<size_t>(a)] + 1;
}

bool TiledBuilder::fuse(Call& c, int k_block, const MaskRegion& m) const {
  if (c.k_last + 1 != k_block || c.piece.q.begin != m.q.begin || c.piece.q.size != m.q.size ||
      c.piece.k.end() != m.k.begin || !kv_adjoin(c.k_last))
    return false;
  const Range keys{c.piece.k.begin, m.k.end() - c.piece.k.begin};
  const std::vector<MaskRegion> u = clip_regions(regions_, m.q, keys);
  if (u.size() != 1 || u[0].q.begin != m.q.begin || u[0].q.size != m.q.size || u[0].k.begin != keys.begin ||
      u[0].k.size != keys.size || region_pairs(u[0]) != region_pairs(c.piece) + region_pairs(m))
    return false;
  c.piece = u[0];
  c.k_last = k_block;
  return true;
}

std::vector<TiledBuilder::Call> TiledBuilder::rank_calls() const {
  std::vector<Call> calls;
  for (const TiledTile& t : l_.tiles) {
    if (t.rank != r_) continue;
    for (size_t i = 0; i < t.pieces.size(); ++i) {
      const MaskRegion& m = t.pieces[i];
      bool fused = false;  // the calls of this query block are the last ones
      for (auto c = calls.rbegin();
           p_.tile_fuse == TileFuse::Rows && !fused && c != calls.rend() && c->q_block == t.q_block; ++c)
        fused = fuse(*c, t.k_block, m);
      if (fused) continue;
      calls.push_back(Call{t.q_block, m, t.k_block, t.k_block, t.pieces.size() > 1 ? static_cast<int>(i) : -1,
                           mine(t.q_block) && mine(t.k_block)});
    }
  }
  return calls;
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
  for (const Call& c : calls_) outputs_of(c.q_block).declare(slot_of(c.q_block), rows_in_block(c.piece));
  for (const Incoming& in : incoming_)
    for (const Range& seg : l_.segments(in.from, in.block)) own_->declare(in.block - first_, seg);
  own_->add_buffers(plan_);
  part_->add_buffers(plan_);
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
  TileOutputs& outputs = outputs_of(c.q_block);
  const Range rows = rows_in_block(m);
  for (size_t pi = 0; pi < pieces_.size(); ++pi) {
    const HeadPiece& pc = pieces_[pi];
    const int piece = static_cast<int>(pi);
    const Range hq{pc.q.begin - w_.q_heads.begin, pc.q.size}, hkv{pc.kv.begin - w_.kv_heads.begin, pc.kv.size};
    const std::string ptag = piece_tag(tag, pi);
    const TileOutputs::Target out = outputs.target(slot_of(c.q_block), rows, piece);
    const AttentionOp a = tile_attention(p_, q_view(m.q, hq), kv_view(w_.k, k_recv_, m.k, hkv),
                                         kv_view(w_.v, v_recv_, m.k, hkv), out, m, pc.q);
    std::vector<int> deps = out.deps;
    if (in >= 0) deps.push_back(in);
    if (in < 0) deps.insert(deps.end(), w_.ready.begin(), w_.ready.end());
    const int id = plan_.add_step(kComputeLane, "attn" + ptag, a, std::move(deps));
    outputs.after(plan_, id, out, slot_of(c.q_block), rows, piece, ptag);
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
