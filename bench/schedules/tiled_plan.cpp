#include "bench/schedules/tiled_plan.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fnv1a.hpp"
#include "bench/mask/mask_regions.hpp"
#include "bench/schedules/head_exchange.hpp"
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

// One tiling world of the schedule, as one of its ranks sees it: P / u ranks (all of
// them when u = 1) holding the same query heads of their groups' tokens.
struct TiledWorld {
  std::vector<int> members;           // world ranks, by world index (the layout's ranks)
  int me = 0;                         // this rank's world index
  Range q_heads, kv_heads;            // global heads of q, k, v, o
  DenseTensor q, k, v, o;             // [B, the world rank's blocks, heads, D]
  int in_group = -1, out_group = -1;  // Plan::groups of the two exchanges (-1: none)
  std::vector<int> ready;             // steps the inputs are complete after
};

// Which world indices send or receive in the input exchange and in the output exchange.
struct ExchangeMembers {
  std::vector<char> in, out;
};
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

// The world ranks of the members flagged in `flags`, in order.
std::vector<int> flagged(const std::vector<char>& flags, const std::vector<int>& members) {
  std::vector<int> out;
  for (size_t d = 0; d < flags.size(); ++d)
    if (flags[d]) out.push_back(members[d]);
  return out;
}

class TiledBuilder {
 public:
  TiledBuilder(const Problem& p, Plan& plan, const TiledLayout& l, TiledWorld w)
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
        hkv_(w_.kv_heads.size) {
    calls_ = rank_calls();
    const ExchangeMembers m = exchange_members(l);
    in_takes_part_ = m.in[static_cast<size_t>(r_)] != 0;
    out_takes_part_ = m.out[static_cast<size_t>(r_)] != 0;
    // The partials this rank receives: for each block it holds, every other world rank
    // that computes some of its rows.
    for (int k = 0; k < l.per_rank; ++k)
      for (int q = 0; q < l.ranks; ++q)
        if (q != r_ && !l.segments(q, first_ + k).empty()) incoming_.push_back({q, first_ + k});
  }

  // Adds the steps; returns the steps after which O is complete.
  std::vector<int> build() {
    add_buffers();
    const int in = in_takes_part_ ? add_exchange(
                                        "in", w_.in_group, [&](ExchangeOp& ex) { input_transfers(ex); }, w_.ready)
                                  : -1;
    for (const bool local : {true, false}) add_tiles(local, in);
    const std::vector<int> partials = part_->finish(plan_);
    const int out = out_takes_part_ ? add_exchange(
                                          "out", w_.out_group, [&](ExchangeOp& ex) { output_transfers(ex); }, partials)
                                    : -1;
    merge_incoming(out);
    return own_->finish(plan_);
  }

 private:
  struct Incoming {
    int from = 0;   // the rank that computed the partials
    int block = 0;  // this rank's query block they belong to
  };

  // One attention call of this rank (one step per GQA head piece): a piece of one of its
  // tiles, or with tile_fuse "rows" the pieces of its tiles of one query block that share
  // their rows, whose keys adjoin in one buffer and whose union is one mask region (a run
  // of full cells, or one ending in a causal cell, as the mask's regions merge them).
  // Fusing changes neither the pairs nor the bytes, only how many calls and partials (so
  // merges) compute them; both tiles wait for the same inputs (both local, or both after
  // the input exchange), so no overlap is lost.
  struct Call {
    int q_block = 0;
    MaskRegion piece;
    int k_first = 0, k_last = 0;  // the key blocks of its tiles
    int tile_piece = -1;          // which piece of its first tile, when that tile has several
    bool local = false;           // the rank holds its blocks: it runs before the input exchange

    // "[q=<block>,k=<first>[-<last>][,t=<piece>]]"
    std::string tag() const {
      std::string t = "[q=" + std::to_string(q_block) + ",k=" + std::to_string(k_first);
      if (k_last != k_first) t += "-" + std::to_string(k_last);
      if (tile_piece >= 0) t += ",t=" + std::to_string(tile_piece);
      return t + "]";
    }
  };

  // Whether key blocks a and a + 1 lie next to each other in the buffer this rank reads them from.
  bool kv_adjoin(int a) const {
    if (mine(a) || mine(a + 1)) return mine(a) && mine(a + 1);
    return kv_in_.slot[static_cast<size_t>(a + 1)] == kv_in_.slot[static_cast<size_t>(a)] + 1;
  }

  // `c` extended by `m` (the next key block's piece of the same rows) into one call, when
  // their union is one region of the mask; false (c unchanged) when it is not.
  bool fuse(Call& c, int k_block, const MaskRegion& m) const {
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

  // The rank's attention calls, in the layout's tile order (query block, then key block).
  std::vector<Call> rank_calls() const {
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

  // A [B, rows, heads, D] scratch tensor, or none (buf -1) when rows is 0.
  DenseTensor tensor(const char* name, Storage s, int64_t rows, int64_t heads) {
    if (rows == 0) return DenseTensor{};
    return DenseTensor{plan_.add_buffer(name, s, BufferRole::Scratch, p_.B * rows * heads * p_.D), 0, p_.B, rows,
                       heads, p_.D};
  }
  // Partial LSEs of `chunks` blocks (TileOutputs::lse_view's layout), or none (-1).
  int lse_buffer(const char* name, int64_t chunks) {
    return chunks == 0 ? -1 : plan_.add_buffer(name, Storage::F32, BufferRole::Scratch, p_.B * hq_ * chunks * c_);
  }

  void add_buffers() {
    q_recv_ = tensor("q_in", Storage::Act, q_in_.size() * c_, hq_);
    k_recv_ = tensor("k_in", Storage::Act, kv_in_.size() * c_, hkv_);
    v_recv_ = tensor("v_in", Storage::Act, kv_in_.size() * c_, hkv_);
    const int64_t n_in = static_cast<int64_t>(incoming_.size());
    o_recv_ = tensor("o_in", Storage::Act, n_in * c_, hq_);
    lse_recv_ = lse_buffer("lse_in", n_in);
    part_o_ = tensor("o_partial", Storage::Act, q_in_.size() * c_, hq_);
    part_lse_ = lse_buffer("lse_partial", q_in_.size());
    own_ = std::make_unique<TileOutputs>(p_, w_.o, l_.per_rank, c_, w_.q_heads, pieces_);
    part_ = std::make_unique<TileOutputs>(p_, part_o_, q_in_.size(), c_, w_.q_heads, pieces_, part_lse_);
    for (const Call& c : calls_) outputs_of(c.q_block).declare(slot_of(c.q_block), rows_in_block(c.piece));
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
        for (int d = 0; d < l_.ranks; ++d) {
          if (d == r_) continue;
          if (l_.needs_q(d, b)) rows(ex.sends, peer(d), w_.q, at, c_);
          if (l_.needs_kv(d, b)) {
            rows(ex.sends, peer(d), w_.k, at, c_);
            rows(ex.sends, peer(d), w_.v, at, c_);
          }
        }
        continue;
      }
      const int from = peer(l_.owner(b));
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
    if (mine(b)) return w_.q.view(Range{(b - first_) * c_ + off, tokens.size}, heads);
    return q_recv_.view(Range{q_in_.slot[static_cast<size_t>(b)] * c_ + off, tokens.size}, heads);
  }
  View kv_view(const DenseTensor& own, const DenseTensor& recv, Range tokens, Range heads) const {
    const int b = static_cast<int>(tokens.begin / c_);
    const int64_t off = tokens.begin % c_;
    if (mine(b)) return own.view(Range{(b - first_) * c_ + off, tokens.size}, heads);
    return recv.view(Range{kv_in_.slot[static_cast<size_t>(b)] * c_ + off, tokens.size}, heads);
  }

  // The calls whose blocks the rank holds (local) or the others, after the input exchange.
  void add_tiles(bool local, int in) {
    for (const Call& c : calls_)
      if (c.local == local) add_call(c, local ? -1 : in);
  }

  // The call's attention, one step per GQA piece of the heads (",h=<piece>" when several).
  void add_call(const Call& c, int in) {
    const MaskRegion& m = c.piece;
    const std::string tag = c.tag();
    TileOutputs& outputs = outputs_of(c.q_block);
    const Range rows = rows_in_block(m);
    for (size_t pi = 0; pi < pieces_.size(); ++pi) {
      const HeadPiece& pc = pieces_[pi];
      const int piece = static_cast<int>(pi);
      const Range hq{pc.q.begin - w_.q_heads.begin, pc.q.size}, hkv{pc.kv.begin - w_.kv_heads.begin, pc.kv.size};
      const std::string ptag =
          pieces_.size() > 1 ? tag.substr(0, tag.size() - 1) + ",h=" + std::to_string(pi) + "]" : tag;
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

  void output_transfers(ExchangeOp& ex) const {
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

  // A segment's LSEs, contiguous in a buffer laid out as TileOutputs::lse_view says.
  Slice lse_slice(int buf, int slot, Range seg) const {
    return Slice{buf, p_.B * hq_ * (slot * c_ + seg.begin), p_.B * hq_ * seg.size};
  }

  void merge_incoming(int out) {
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

  int peer(int world_index) const { return w_.members[static_cast<size_t>(world_index)]; }

  const Problem& p_;
  Plan& plan_;
  const TiledLayout& l_;
  const TiledWorld w_;
  const int r_;  // this rank's world index
  const int64_t c_;
  const int first_;  // the rank's first block
  const BlockList q_in_, kv_in_;
  const std::vector<HeadPiece> pieces_;
  const int64_t hq_, hkv_;          // heads of q and of k, v
  std::vector<Incoming> incoming_;  // partials this rank receives, by its block, then sender (world indices)
  const std::vector<MaskRegion> regions_ = mask_regions(p_);  // what a fused call's keys are cut from
  std::vector<Call> calls_;
  bool in_takes_part_ = false, out_takes_part_ = false;
  DenseTensor q_recv_, k_recv_, v_recv_, o_recv_, part_o_;
  int lse_recv_ = -1, part_lse_ = -1;
  std::unique_ptr<TileOutputs> own_, part_;
};

// The Ulysses group of `rank` under tile_u = u: group index rank / u among Plan::groups.
HeadGroup ulysses_group(const Problem& p, int rank) {
  const int u = p.tile_u;
  return HeadGroup{rank / u, rank_list(rank / u * u, u, 1), rank % u, p.S / p.P, even_head_split(p.H, u)};
}

// The query heads of slice j (the heads members j of the Ulysses groups attend to).
Range slice_heads(const Problem& p, int j) { return even_split(p.H, p.tile_u)[static_cast<size_t>(j)]; }

// u = 1: the tiling world is every rank, holding its own Q, K, V, O.
Plan plan_without_heads_exchange(const Problem& p, int rank) {
  const TiledLayout& l = tiled_layout(p);
  const ExchangeMembers m = exchange_members(l);
  const std::vector<int> all = rank_list(0, p.P, 1);
  std::vector<std::vector<int>> groups{all};
  TiledWorld w{all, rank, Range{0, p.H}, Range{0, p.Hkv}, {}, {}, {}, {}, -1, -1, {}};
  for (const std::vector<char>* flags : {&m.in, &m.out}) {
    std::vector<int> members = flagged(*flags, all);
    if (members.empty()) continue;
    (flags == &m.in ? w.in_group : w.out_group) = static_cast<int>(groups.size());
    groups.push_back(std::move(members));
  }
  RoleTensors roles;
  Plan plan = start_plan(p, rank, "tiled", {contiguous_tokens(p, rank)}, std::move(groups), &roles);
  w.q = roles.q, w.k = roles.k, w.v = roles.v, w.o = roles.o;
  TiledBuilder(p, plan, l, std::move(w)).build();
  return plan;
}

// u > 1: the head exchange inside each Ulysses group, a tiling world per slice of heads
// over the P / u groups, the reverse head exchange.
Plan plan_with_heads_exchange(const Problem& p, int rank) {
  const int u = p.tile_u, r = p.P / u, j = rank % u;
  std::vector<std::vector<int>> groups;
  for (int g = 0; g < r; ++g) groups.push_back(rank_list(g * u, u, 1));
  TiledWorld w;
  for (int slice = 0; slice < u; ++slice) {
    const std::vector<int> members = rank_list(slice, r, u);
    const ExchangeMembers m = exchange_members(tiled_layout(tiled_slice_problem(p, slice)));
    for (const std::vector<char>* flags : {&m.in, &m.out}) {
      std::vector<int> list = flagged(*flags, members);
      if (list.empty()) continue;
      if (slice == j) (flags == &m.in ? w.in_group : w.out_group) = static_cast<int>(groups.size());
      groups.push_back(std::move(list));
    }
  }
  RoleTensors roles;
  Plan plan = start_plan(p, rank, "tiled", {contiguous_tokens(p, rank)}, std::move(groups), &roles);
  // The tiles read Q, K and V as contiguous rows of the head-sharded tensors.
  Problem separate = p;
  separate.qkv_layout = QkvLayout::Separate;
  HeadExchange hx(plan, separate, ulysses_group(p, rank), roles);
  w.ready = {hx.add_pack(kComputeLane, 0)};
  if (std::optional<int> in = hx.add_input_exchange(kCommLane, 0, w.ready)) w.ready.push_back(*in);
  w.members = rank_list(j, r, u);
  w.me = rank / u;
  w.q_heads = hx.q_heads(0);
  w.kv_heads = hx.kv_heads(0);
  w.q = hx.q(0), w.k = hx.k(0), w.v = hx.v(0), w.o = hx.o(0);
  std::vector<int> done = TiledBuilder(p, plan, tiled_layout(tiled_slice_problem(p, j)), std::move(w)).build();
  if (std::optional<int> out = hx.add_output_exchange(kCommLane, 0, done)) done.push_back(*out);
  hx.add_unpack(kCommLane, 0, done);
  return plan;
}

}  // namespace

Problem tiled_slice_problem(const Problem& p, int slice) {
  Problem s = p;
  const Range heads = slice_heads(p, slice);
  s.P = p.P / p.tile_u;
  s.H = static_cast<int>(heads.size);
  s.Hkv = static_cast<int>(kv_heads_for(heads, p.group_size()).size);
  s.tile_u = 1;
  // The slice's world ranks of one node: g / u of them when u divides g; one (each world
  // rank on a node of its own, device-level tiling) when g divides u.
  s.tile_node = p.tile_node % p.tile_u == 0 ? p.tile_node / p.tile_u : 1;
  s.qkv_layout = QkvLayout::Separate;
  return s;
}

Reason tiled_error(const Problem& p) {
  const int u = p.tile_u;
  const std::string knob = std::string(option_spec(Option::TileU).name) + "=" + std::to_string(u);
  if (u < 1) return knob + " must be at least 1 (tiled)";
  if (p.P % u != 0) return knob + " does not divide P=" + std::to_string(p.P) + " (tiled)";
  if (p.H < u)
    return "H=" + std::to_string(p.H) + " is less than " + knob +
           ": every rank of a Ulysses group needs at least one query head (tiled)";
  const int g = p.tile_node;
  const std::string node = std::string(option_spec(Option::TileNode).name) + "=" + std::to_string(g);
  if (g < 1) return node + " must be at least 1 (tiled)";
  if (p.P % g != 0) return node + " does not divide P=" + std::to_string(p.P) + " (tiled)";
  if (g % u != 0 && u % g != 0)
    return node + " and " + knob +
           " must divide one another: a Ulysses group lies inside a node or spans whole nodes (tiled)";
  if (u > 1)
    if (Reason e = divisibility_error(p, p.P, "P", "tiled")) return e;
  return tiled_layout_error(tiled_slice_problem(p, 0));
}

Plan tiled_plan(const Problem& p, int rank) {
  return p.tile_u == 1 ? plan_without_heads_exchange(p, rank) : plan_with_heads_exchange(p, rank);
}

Model tiled_model(const Problem& p, int rank) {
  const int u = p.tile_u;
  const Problem s = tiled_slice_problem(p, rank % u);
  const TiledLayout& l = tiled_layout(s);
  const double act = dtype_bytes(s.dtype), c = static_cast<double>(l.c), B = s.B;
  const double q_bytes = B * c * s.H * s.D * act, kv_bytes = 2 * B * c * s.Hkv * s.D * act;
  auto partial_bytes = [&](Range seg) { return B * seg.size * s.H * (s.D * act + 4.0); };
  const int me = rank / u;
  Model m;
  if (u > 1) m = head_exchange_model(p, ulysses_group(p, rank));
  for (int b = 0; b < l.blocks(); ++b) {
    const int owner = l.owner(b);
    for (int d = 0; d < l.ranks; ++d) {
      if (d == owner || (d != me && owner != me)) continue;
      const double moved = (l.needs_q(d, b) ? q_bytes : 0.0) + (l.needs_kv(d, b) ? kv_bytes : 0.0);
      double partials = 0;
      for (const Range& seg : l.segments(d, b)) partials += partial_bytes(seg);
      // Inputs go from the owner to d, partials from d back to the owner.
      (owner == me ? m.send_bytes : m.recv_bytes) += moved;
      (owner == me ? m.recv_bytes : m.send_bytes) += partials;
    }
  }
  for (const TiledTile& t : l.tiles)
    if (t.rank == me) m.flops += 4.0 * s.B * s.D * s.H * t.pairs;
  return m;
}

nlohmann::json tiled_planner(const Problem& p) {
  nlohmann::json j = tiling_json(tiled_layout(tiled_slice_problem(p, 0)));
  uint64_t h = kFnv1a64Basis;  // over every slice's rank of each tile
  for (int slice = 0; slice < p.tile_u; ++slice) {
    const std::vector<int>& rank_of = tiled_layout(tiled_slice_problem(p, slice)).solution.rank_of;
    h = fnv1a64(rank_of.data(), rank_of.size() * sizeof(int), h);
  }
  j["assignment_digest"] = h >> 12;  // 52 bits: exact in a double, for the ranks' agreement
  return j;
}

}  // namespace cpb
