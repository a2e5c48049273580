#include "bench/schedules/tiled_plan.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/schedules/layout.hpp"
#include "bench/schedules/tile_outputs.hpp"

namespace cpb {
namespace {

// Blocks of `blocks` for which want(block) holds, ascending, and each one's slot in that list.
struct BlockList {
  std::vector<int> blocks;
  std::vector<int> slot;  // [block]: index in `blocks`, -1 when absent

  template <class F>
  BlockList(int n, F&& want) : slot(static_cast<size_t>(n), -1) {
    for (int b = 0; b < n; ++b)
      if (want(b)) {
        slot[static_cast<size_t>(b)] = static_cast<int>(blocks.size());
        blocks.push_back(b);
      }
  }
  int size() const { return static_cast<int>(blocks.size()); }
};

class TiledBuilder {
 public:
  TiledBuilder(const Problem& p, int rank, const TiledLayout& l)
      : p_(p), r_(rank), l_(l), c_(l.c), first_(rank * l.per_rank),
        q_in_(l.blocks(), [&](int b) { return l.owner(b) != rank && l.needs_q(rank, b); }),
        kv_in_(l.blocks(), [&](int b) { return l.owner(b) != rank && l.needs_kv(rank, b); }),
        pieces_(gqa_pieces(Range{0, p.H}, p.group_size())) {
    // The members of each exchange: the ranks that send or receive in it, the same lists
    // on every rank (Plan::groups); group 0 is the world, 1 "in", 2 "out" (when not empty).
    std::vector<char> in_member(static_cast<size_t>(p.P), 0), out_member(in_member);
    for (const TiledTile& t : l.tiles)
      for (const int owner : {l.owner(t.q_block), l.owner(t.k_block)}) {
        if (owner == t.rank) continue;
        in_member[static_cast<size_t>(owner)] = in_member[static_cast<size_t>(t.rank)] = 1;
        if (owner == l.owner(t.q_block))
          out_member[static_cast<size_t>(owner)] = out_member[static_cast<size_t>(t.rank)] = 1;
      }
    std::vector<std::vector<int>> groups{rank_list(0, p.P, 1)};
    for (const std::vector<char>* m : {&in_member, &out_member}) {
      std::vector<int> members;
      for (int q = 0; q < p.P; ++q)
        if ((*m)[static_cast<size_t>(q)]) members.push_back(q);
      if (!members.empty()) groups.push_back(std::move(members));
    }
    in_group_ = groups.size() > 1 ? 1 : -1;
    out_group_ = groups.size() > 2 ? 2 : -1;
    in_takes_part_ = in_member[static_cast<size_t>(rank)] != 0;
    out_takes_part_ = out_member[static_cast<size_t>(rank)] != 0;
    plan_ = start_plan(p, rank, "tiled", {Range{first_ * c_, l.per_rank * c_}}, std::move(groups), &roles_);
    // The partials this rank receives: for each block it holds, every other rank that
    // computes some of its rows.
    for (int k = 0; k < l.per_rank; ++k)
      for (int q = 0; q < p.P; ++q)
        if (q != rank && !l.segments(q, first_ + k).empty()) incoming_.push_back({q, first_ + k});
  }

  Plan build() {
    add_buffers();
    const int in =
        in_takes_part_ ? add_exchange("in", in_group_, [&](ExchangeOp& ex) { input_transfers(ex); }, {}) : -1;
    for (const bool local : {true, false}) add_tiles(local, in);
    const std::vector<int> partials = part_->finish(plan_);
    const int out =
        out_takes_part_ ? add_exchange("out", out_group_, [&](ExchangeOp& ex) { output_transfers(ex); }, partials) : -1;
    merge_incoming(out);
    own_->finish(plan_);
    return std::move(plan_);
  }

 private:
  struct Incoming {
    int from = 0;   // the rank that computed the partials
    int block = 0;  // this rank's query block they belong to
  };

  // A [B, rows, heads, D] scratch tensor, or none (buf -1) when rows is 0.
  DenseTensor tensor(const char* name, Storage s, int64_t rows, int64_t heads) {
    if (rows == 0) return DenseTensor{};
    return DenseTensor{plan_.add_buffer(name, s, BufferRole::Scratch, p_.B * rows * heads * p_.D), 0, p_.B, rows,
                       heads, p_.D};
  }
  // Partial LSEs of `chunks` blocks (TileOutputs::lse_view's layout), or none (-1).
  int lse_buffer(const char* name, int64_t chunks) {
    return chunks == 0 ? -1 : plan_.add_buffer(name, Storage::F32, BufferRole::Scratch, p_.B * p_.H * chunks * c_);
  }

  void add_buffers() {
    q_recv_ = tensor("q_in", Storage::Act, q_in_.size() * c_, p_.H);
    k_recv_ = tensor("k_in", Storage::Act, kv_in_.size() * c_, p_.Hkv);
    v_recv_ = tensor("v_in", Storage::Act, kv_in_.size() * c_, p_.Hkv);
    const int64_t n_in = static_cast<int64_t>(incoming_.size());
    o_recv_ = tensor("o_in", Storage::Act, n_in * c_, p_.H);
    lse_recv_ = lse_buffer("lse_in", n_in);
    part_o_ = tensor("o_partial", Storage::Act, q_in_.size() * c_, p_.H);
    part_lse_ = lse_buffer("lse_partial", q_in_.size());
    const Range heads{0, p_.H};
    own_ = std::make_unique<TileOutputs>(p_, roles_.o, l_.per_rank, c_, heads, pieces_);
    part_ = std::make_unique<TileOutputs>(p_, part_o_, q_in_.size(), c_, heads, pieces_, part_lse_);
    for (const TiledTile& t : l_.tiles) {
      if (t.rank != r_) continue;
      for (const MaskRegion& m : t.pieces) outputs_of(t.q_block).declare(slot_of(t.q_block), rows_in_block(m));
    }
    for (const Incoming& in : incoming_)
      for (const Range& seg : l_.segments(in.from, in.block)) own_->declare(in.block - first_, seg);
    own_->add_buffers(plan_);
    part_->add_buffers(plan_);
  }

  bool mine(int block) const { return l_.owner(block) == r_; }
  TileOutputs& outputs_of(int q_block) { return mine(q_block) ? *own_ : *part_; }
  int slot_of(int q_block) const { return mine(q_block) ? q_block - first_ : q_in_.slot[static_cast<size_t>(q_block)]; }
  Range rows_in_block(const MaskRegion& m) const { return Range{m.q.begin % c_, m.q.size}; }

  // One SendRecv step of `group` on the comm lane, filled by fill().
  template <class F>
  int add_exchange(const char* label, int group, F&& fill, std::vector<int> deps) {
    ExchangeOp ex;
    ex.pattern = ExchangeOp::Pattern::SendRecv;
    ex.group = group;
    fill(ex);
    return plan_.add_step(kCommLane, label, std::move(ex), std::move(deps));
  }

  // Rows [block rows] of a tensor holding whole blocks, one transfer per batch.
  void rows(std::vector<Transfer>& out, int peer, const DenseTensor& t, int64_t first_row, int64_t n) const {
    for (int64_t b = 0; b < p_.B; ++b) out.push_back(Transfer{peer, t.rows(b, Range{first_row, n})});
  }

  void input_transfers(ExchangeOp& ex) const {
    for (int b = 0; b < l_.blocks(); ++b) {
      if (mine(b)) {
        const int64_t at = (b - first_) * c_;
        for (int d = 0; d < p_.P; ++d) {
          if (d == r_) continue;
          if (l_.needs_q(d, b)) rows(ex.sends, d, roles_.q, at, c_);
          if (l_.needs_kv(d, b)) {
            rows(ex.sends, d, roles_.k, at, c_);
            rows(ex.sends, d, roles_.v, at, c_);
          }
        }
        continue;
      }
      const int from = l_.owner(b);
      if (q_in_.slot[static_cast<size_t>(b)] >= 0)
        rows(ex.recvs, from, q_recv_, q_in_.slot[static_cast<size_t>(b)] * c_, c_);
      if (kv_in_.slot[static_cast<size_t>(b)] >= 0) {
        rows(ex.recvs, from, k_recv_, kv_in_.slot[static_cast<size_t>(b)] * c_, c_);
        rows(ex.recvs, from, v_recv_, kv_in_.slot[static_cast<size_t>(b)] * c_, c_);
      }
    }
  }

  // The view of global tokens `tokens` (inside one block) of Q, or K / V.
  View q_view(Range tokens, Range heads) const {
    const int b = static_cast<int>(tokens.begin / c_);
    const int64_t off = tokens.begin % c_;
    if (mine(b)) return roles_.q.view(Range{(b - first_) * c_ + off, tokens.size}, heads);
    return q_recv_.view(Range{q_in_.slot[static_cast<size_t>(b)] * c_ + off, tokens.size}, heads);
  }
  View kv_view(const DenseTensor& own, const DenseTensor& recv, Range tokens, Range heads) const {
    const int b = static_cast<int>(tokens.begin / c_);
    const int64_t off = tokens.begin % c_;
    if (mine(b)) return own.view(Range{(b - first_) * c_ + off, tokens.size}, heads);
    return recv.view(Range{kv_in_.slot[static_cast<size_t>(b)] * c_ + off, tokens.size}, heads);
  }

  // The tiles whose blocks the rank holds (local) or the others, after the input exchange.
  void add_tiles(bool local, int in) {
    for (const TiledTile& t : l_.tiles) {
      if (t.rank != r_ || (mine(t.q_block) && mine(t.k_block)) != local) continue;
      for (size_t i = 0; i < t.pieces.size(); ++i) {
        std::string tag = "[q=" + std::to_string(t.q_block) + ",k=" + std::to_string(t.k_block);
        if (t.pieces.size() > 1) tag += ",t=" + std::to_string(i);
        add_piece(t, t.pieces[i], tag + "]", local ? -1 : in);
      }
    }
  }

  void add_piece(const TiledTile& t, const MaskRegion& m, const std::string& tag, int in) {
    const HeadPiece& pc = pieces_[0];
    TileOutputs& outputs = outputs_of(t.q_block);
    const Range rows = rows_in_block(m);
    const TileOutputs::Target out = outputs.target(slot_of(t.q_block), rows, 0);
    const AttentionOp a = tile_attention(p_, q_view(m.q, pc.q), kv_view(roles_.k, k_recv_, m.k, pc.kv),
                                         kv_view(roles_.v, v_recv_, m.k, pc.kv), out, m, pc.q);
    std::vector<int> deps = out.deps;
    if (in >= 0) deps.push_back(in);
    const int id = plan_.add_step(kComputeLane, "attn" + tag, a, std::move(deps));
    outputs.after(plan_, id, out, slot_of(t.q_block), rows, 0, tag);
  }

  void output_transfers(ExchangeOp& ex) const {
    for (const int b : q_in_.blocks) {
      const int slot = q_in_.slot[static_cast<size_t>(b)];
      for (const Range& seg : l_.segments(r_, b)) {
        rows(ex.sends, l_.owner(b), part_o_, slot * c_ + seg.begin, seg.size);
        ex.sends.push_back(Transfer{l_.owner(b), lse_slice(part_lse_, slot, seg)});
      }
    }
    for (size_t k = 0; k < incoming_.size(); ++k)
      for (const Range& seg : l_.segments(incoming_[k].from, incoming_[k].block)) {
        rows(ex.recvs, incoming_[k].from, o_recv_, static_cast<int64_t>(k) * c_ + seg.begin, seg.size);
        ex.recvs.push_back(Transfer{incoming_[k].from, lse_slice(lse_recv_, static_cast<int>(k), seg)});
      }
  }

  // A segment's LSEs, contiguous in a buffer laid out as TileOutputs::lse_view says.
  Slice lse_slice(int buf, int slot, Range seg) const {
    return Slice{buf, p_.B * p_.H * (slot * c_ + seg.begin), p_.B * p_.H * seg.size};
  }

  void merge_incoming(int out) {
    for (size_t k = 0; k < incoming_.size(); ++k) {
      const Incoming& in = incoming_[k];
      for (const Range& seg : l_.segments(in.from, in.block)) {
        const View o = o_recv_.view(Range{static_cast<int64_t>(k) * c_ + seg.begin, seg.size}, Range{0, p_.H});
        const View lse = own_->lse_view(lse_recv_, static_cast<int>(k), seg, 0);
        const std::string tag = "[q=" + std::to_string(in.block) + ",from=" + std::to_string(in.from) + ",rows=" +
                                std::to_string(seg.begin) + "]";
        own_->add_partial(plan_, o, lse, in.block - first_, seg, 0, {out}, tag);
      }
    }
  }

  const Problem& p_;
  const int r_;
  const TiledLayout& l_;
  const int64_t c_;
  const int first_;  // the rank's first block
  const BlockList q_in_, kv_in_;
  const std::vector<HeadPiece> pieces_;
  std::vector<Incoming> incoming_;  // partials this rank receives, by its block, then sender
  int in_group_ = -1, out_group_ = -1;         // Plan::groups of the two exchanges
  bool in_takes_part_ = false, out_takes_part_ = false;
  Plan plan_;
  RoleTensors roles_;
  DenseTensor q_recv_, k_recv_, v_recv_, o_recv_, part_o_;
  int lse_recv_ = -1, part_lse_ = -1;
  std::unique_ptr<TileOutputs> own_, part_;
};

}  // namespace

Plan tiled_plan(const Problem& p, int rank, const TiledLayout& layout) { return TiledBuilder(p, rank, layout).build(); }

Model tiled_model(const Problem& p, int rank, const TiledLayout& l) {
  const double act = dtype_bytes(p.dtype), c = static_cast<double>(l.c), B = p.B;
  const double q_bytes = B * c * p.H * p.D * act, kv_bytes = 2 * B * c * p.Hkv * p.D * act;
  auto partial_bytes = [&](Range seg) { return B * seg.size * p.H * (p.D * act + 4.0); };
  Model m;
  for (int b = 0; b < l.blocks(); ++b) {
    const int owner = l.owner(b);
    for (int d = 0; d < p.P; ++d) {
      if (d == owner || (d != rank && owner != rank)) continue;
      const double moved = (l.needs_q(d, b) ? q_bytes : 0.0) + (l.needs_kv(d, b) ? kv_bytes : 0.0);
      double partials = 0;
      for (const Range& seg : l.segments(d, b)) partials += partial_bytes(seg);
      // Inputs go from the owner to d, partials from d back to the owner.
      (owner == rank ? m.send_bytes : m.recv_bytes) += moved;
      (owner == rank ? m.recv_bytes : m.send_bytes) += partials;
    }
  }
  for (const TiledTile& t : l.tiles)
    if (t.rank == rank) m.flops += 4.0 * p.B * p.D * p.H * t.pairs;
  return m;
}

}  // namespace cpb
