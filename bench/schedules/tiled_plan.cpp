#include "bench/schedules/tiled_plan.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fnv1a.hpp"
#include "bench/schedules/head_exchange.hpp"
#include "bench/schedules/head_gradients.hpp"
#include "bench/schedules/layout.hpp"
#include "bench/schedules/tiled_plan_builder.hpp"

namespace cpb {
namespace {

using tiled_detail::ExchangeMembers;
using tiled_detail::TiledBuilder;
using tiled_detail::TiledWorld;

// The world ranks of the members flagged in `flags`, in order.
std::vector<int> flagged(const std::vector<char>& flags, const std::vector<int>& members) {
  std::vector<int> out;
  for (size_t d = 0; d < flags.size(); ++d)
    if (flags[d]) out.push_back(members[d]);
  return out;
}

// The Ulysses group of `rank` under tile_u = u: group index rank / u among Plan::groups.
HeadGroup ulysses_group(const Problem& p, int rank) {
  const int u = p.tile_u;
  return HeadGroup{rank / u, rank_list(rank / u * u, u, 1), rank % u, p.S / p.P, even_head_split(p.H, u)};
}

// The query heads of slice j (the heads members j of the Ulysses groups attend to).
Range slice_heads(const Problem& p, int j) { return even_split(p.H, p.tile_u)[static_cast<size_t>(j)]; }

// The forward and, for a backward pass, the backward after it; pass bwd makes the forward
// the untimed prologue (Plan::timed_from). Returns the steps after which the outputs (O,
// or dQ, dK, dV) are complete.
std::vector<int> build_passes(const Problem& p, Plan& plan, TiledBuilder&& builder) {
  const std::vector<int> forward = builder.build();
  if (!p.backward()) return forward;
  if (p.pass == Pass::Bwd) plan.timed_from = static_cast<int>(plan.steps.size());
  return builder.build_backward(forward, {});
}

// u = 1: the tiling world is every rank, holding its own Q, K, V, O (and dO, dQ, dK, dV).
Plan plan_without_heads_exchange(const Problem& p, int rank) {
  const TiledLayout& l = tiled_layout(p);
  const ExchangeMembers m = tiled_detail::exchange_members(l);
  const std::vector<int> all = rank_list(0, p.P, 1);
  std::vector<std::vector<int>> groups{all};
  TiledWorld w;
  w.members = all;
  w.me = rank;
  w.q_heads = Range{0, p.H};
  w.kv_heads = Range{0, p.Hkv};
  for (const std::vector<char>* flags : {&m.in, &m.out}) {
    std::vector<int> members = flagged(*flags, all);
    if (members.empty()) continue;
    (flags == &m.in ? w.in_group : w.out_group) = static_cast<int>(groups.size());
    groups.push_back(std::move(members));
  }
  RoleTensors roles;
  Plan plan = start_plan(p, rank, "tiled", {contiguous_tokens(p, rank)}, std::move(groups), &roles);
  w.q = roles.q, w.k = roles.k, w.v = roles.v, w.o = roles.o;
  w.dout = roles.dout, w.dq = roles.dq, w.dk = roles.dk, w.dv = roles.dv;
  build_passes(p, plan, TiledBuilder(p, plan, l, std::move(w)));
  return plan;
}

// The plan's groups under tile_u = u > 1: the P / u Ulysses groups, then every slice's
// exchange groups; sets w's groups of slice j.
std::vector<std::vector<int>> slice_groups(const Problem& p, int j, TiledWorld& w) {
  const int u = p.tile_u, r = p.P / u;
  std::vector<std::vector<int>> groups;
  for (int g = 0; g < r; ++g) groups.push_back(rank_list(g * u, u, 1));
  for (int slice = 0; slice < u; ++slice) {
    const std::vector<int> members = rank_list(slice, r, u);
    const ExchangeMembers m = tiled_detail::exchange_members(tiled_layout(tiled_slice_problem(p, slice)));
    for (const std::vector<char>* flags : {&m.in, &m.out}) {
      std::vector<int> list = flagged(*flags, members);
      if (list.empty()) continue;
      if (slice == j) (flags == &m.in ? w.in_group : w.out_group) = static_cast<int>(groups.size());
      groups.push_back(std::move(list));
    }
  }
  return groups;
}

// u > 1: the head exchange inside each Ulysses group, a tiling world per slice of heads
// over the P / u groups, the reverse head exchange; a backward pass then adds the head
// exchange's backward around the tiling world's (head_gradients.hpp).
Plan plan_with_heads_exchange(const Problem& p, int rank) {
  const int u = p.tile_u, r = p.P / u, j = rank % u;
  TiledWorld w;
  std::vector<std::vector<int>> groups = slice_groups(p, j, w);
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
  std::unique_ptr<HeadGradients> hg;  // the backward's head exchange
  if (p.backward()) {
    hg = std::make_unique<HeadGradients>(plan, separate, ulysses_group(p, rank), roles);
    w.dout = hg->dout(0), w.dq = hg->grad_acc(0, 0), w.dk = hg->grad_acc(0, 1), w.dv = hg->grad_acc(0, 2);
    w.grads_accumulate = true;
  }
  TiledBuilder builder(p, plan, tiled_layout(tiled_slice_problem(p, j)), std::move(w));
  const std::vector<int> forward = builder.build();
  std::vector<int> done = forward;
  if (std::optional<int> out = hx.add_output_exchange(kCommLane, 0, done)) done.push_back(*out);
  hx.add_unpack(kCommLane, 0, done);
  if (!hg) return plan;
  // The backward: dO to head sharding, the tiling world's backward into the head exchange's
  // fp32 accumulators, their cast, the gradients back to the token owners and summed there.
  if (p.pass == Pass::Bwd) plan.timed_from = static_cast<int>(plan.steps.size());
  const int zero = hg->add_zero_outputs(kComputeLane);
  const std::vector<int> grads =
      builder.build_backward(forward, hg->add_input(kCommLane, 0, hg->add_pack(kComputeLane, 0)));
  hg->add_output(kCommLane, 0, hg->add_cast(kComputeLane, 0, grads), zero);
  return plan;
}

// Calls f(block, d, out) for every block of the world and every other world rank d that
// computes a tile of it, where `me` is the block's owner (out: true, its inputs go out to
// d and d's partials come back) or d (out: false).
template <class F>
void each_remote_block(const TiledLayout& l, int me, F&& f) {
  for (int b = 0; b < l.blocks(); ++b) {
    const int owner = l.owner(b);
    for (int d = 0; d < l.ranks; ++d)
      if (d != owner && (d == me || owner == me) && (l.needs_q(d, b) || l.needs_kv(d, b))) f(b, d, owner == me);
  }
}

// Bytes of the forward's exchanges in `me`'s tiling world (problem s): a block's Q, K and V
// to each rank computing a tile of it, its partial outputs and LSEs back per segment.
void add_forward_bytes(const Problem& s, const TiledLayout& l, int me, Model& m) {
  const double act = dtype_bytes(s.dtype), c = static_cast<double>(l.c), B = s.B;
  const double q_bytes = B * c * s.H * s.D * act, kv_bytes = 2 * B * c * s.Hkv * s.D * act;
  each_remote_block(l, me, [&](int b, int d, bool out) {
    const double moved = (l.needs_q(d, b) ? q_bytes : 0.0) + (l.needs_kv(d, b) ? kv_bytes : 0.0);
    double partials = 0;
    for (const Range& seg : l.segments(d, b)) partials += B * seg.size * s.H * (s.D * act + 4.0);
    (out ? m.send_bytes : m.recv_bytes) += moved;
    (out ? m.recv_bytes : m.send_bytes) += partials;
  });
}

// Bytes of the backward's exchanges: a query block's Q, dO, O (Act) and LSE (F32) and a key
// block's K and V to each rank computing a tile of it; its dQ partials (Act) back per
// segment, its dK and dV partials (Act) per key segment (KeySegments).
void add_backward_bytes(const Problem& s, const TiledLayout& l, int me, Model& m) {
  const double act = dtype_bytes(s.dtype), c = static_cast<double>(l.c), B = s.B;
  const double q_row = B * s.H * s.D * act, kv_row = B * s.Hkv * s.D * act, lse_row = B * s.H * 4.0;  // per token
  const tiled_detail::KeySegments kseg(l);
  each_remote_block(l, me, [&](int b, int d, bool out) {
    const double moved =
        (l.needs_q(d, b) ? c * (3 * q_row + lse_row) : 0.0) + (l.needs_kv(d, b) ? 2 * c * kv_row : 0.0);
    double partials = 0;
    for (const Range& seg : l.segments(d, b)) partials += seg.size * q_row;
    for (const Range& seg : kseg.of(d, b)) partials += 2 * seg.size * kv_row;
    (out ? m.send_bytes : m.recv_bytes) += moved;
    (out ? m.recv_bytes : m.send_bytes) += partials;
  });
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
  const int u = p.tile_u, me = rank / u;
  const Problem s = tiled_slice_problem(p, rank % u);
  const TiledLayout& l = tiled_layout(s);
  const bool forward = p.pass != Pass::Bwd;  // timed; pass bwd's forward is the untimed prologue
  Model m;
  if (u > 1 && forward) m = head_exchange_model(p, ulysses_group(p, rank));
  if (u > 1 && p.backward()) {
    const Model h = head_gradients_model(p, ulysses_group(p, rank));
    m.send_bytes += h.send_bytes;
    m.recv_bytes += h.recv_bytes;
  }
  if (forward) add_forward_bytes(s, l, me, m);
  if (p.backward()) add_backward_bytes(s, l, me, m);
  for (const TiledTile& t : l.tiles) {
    if (t.rank != me) continue;
    const double f = 4.0 * s.B * s.D * s.H * t.pairs;
    if (forward) m.flops += f;
    if (p.backward()) m.flops += kBackwardFlopFactor * f;
  }
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
