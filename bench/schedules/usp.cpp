// USP (unified sequence parallelism, Ulysses x Ring): P = u r ranks, contiguous shards.
// Ulysses groups are consecutive ranks {g u, ..., g u + u - 1}; ring groups are
// {k, k + u, k + 2u, ...}. First an all-to-all inside the Ulysses group turns the group's
// u shards into head-sharded tensors over the group's u S/P tokens (rank g u + j gets
// query heads even_split(H, u)[j] and their key/value heads); then a ring over the r ranks
// of the ring group, which hold the same heads for the other groups' tokens, passes those
// key/value blocks around (SendRecv on the comm lane overlapping the attention of the
// previous block, double-buffered, LSE merges as ring's, causal blocks full / diagonal /
// skipped as in ring); finally the reverse all-to-all returns O to the sequence sharding.
// Only the ring overlaps; the two all-to-alls do not. u = P is Ulysses (a one-member
// ring writes its output directly) and u = 1 is Ring (no all-to-all at all).
// Plan::groups lists the r Ulysses groups, then the u ring groups.
// Backward (pass bwd, fwd_bwd): the forward keeps its head-sharded Q, K, V, O and the
// rows' final LSE; an all-to-all brings dO to the head sharding (head_gradients.hpp), the
// ring's backward runs over the same ring groups (kv_ring.hpp: K/V blocks travel again,
// with their fp32 dK/dV accumulators one step behind, back to their owner at the end)
// into the head group's fp32 accumulators, and an all-to-all returns dQ, dK and dV to the
// sequence sharding, where they are summed. Only the ring's passes overlap the backward
// tiles; the all-to-alls and the accumulators' return do not.
#include "bench/schedule.hpp"
#include "bench/schedules/head_exchange.hpp"
#include "bench/schedules/head_gradients.hpp"
#include "bench/schedules/kv_ring.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {
namespace {

class Usp final : public Schedule {
 public:
  std::string name() const override { return "usp"; }
  std::string description() const override {
    return "Ulysses all-to-all inside groups of u ranks, ring attention across the P/u groups";
  }
  std::vector<Option> options() const override { return {Option::UspU}; }

  Reason unsupported(const Problem& p) const override {
    if (auto e = basic_problem_error(p, "usp")) return e;
    const int u = p.usp_u;
    const std::string knob = std::string(option_spec(Option::UspU).name) + "=" + std::to_string(u);
    if (u < 1) return knob + " must be at least 1 (usp)";
    if (p.P % u != 0) return knob + " does not divide P=" + std::to_string(p.P) + " (usp)";
    if (auto e = divisibility_error(p, p.P, "P", "usp")) return e;
    if (p.H < u)
      return "H=" + std::to_string(p.H) + " is less than " + knob +
             ": every rank of a Ulysses group needs at least one query head (usp)";
    return std::nullopt;
  }

  Model model(const Problem& p, int rank) const override {
    const int u = p.usp_u, r = p.P / u, ring_pos = rank / u;
    const int64_t s_local = p.S / p.P;
    const double sg = static_cast<double>(u * s_local);
    const Range heads = even_split(p.H, u)[rank % u];
    const double kv = static_cast<double>(kv_heads_for(heads, p.group_size()).size);
    const Range queries{ring_pos * u * s_local, u * s_local};
    const double flops = 4.0 * p.B * p.D * static_cast<double>(heads.size) * block_pairs(p, queries, Range{0, p.S});
    Model m = kv_ring_model(p, r, 2.0 * p.B * sg * kv * p.D, flops);
    if (u == 1) return m;
    for (const bool backward : {false, true}) {
      if (backward ? !p.backward() : p.pass == Pass::Bwd) continue;  // the passes the run times
      const Model x =
          backward ? head_gradients_model(p, ulysses_group(p, rank)) : head_exchange_model(p, ulysses_group(p, rank));
      m.send_bytes += x.send_bytes;
      m.recv_bytes += x.recv_bytes;
    }
    return m;
  }

  Plan plan(const Problem& p, int rank) const override {
    const int u = p.usp_u, r = p.P / u;
    const int64_t sg = p.S / p.P * u;
    std::vector<std::vector<int>> groups;
    for (int g = 0; g < r; ++g) groups.push_back(rank_list(g * u, u, 1));
    for (int k = 0; k < u; ++k) groups.push_back(rank_list(k, r, u));
    RoleTensors roles;
    Plan plan = start_plan(p, rank, name(), {contiguous_tokens(p, rank)}, std::move(groups), &roles);

    KvRing ring;
    ring.group = r + rank % u;
    ring.members = rank_list(rank % u, r, u);
    ring.me = rank / u;
    for (int m = 0; m < r; ++m) ring.chunks.push_back({Range{m * sg, sg}});
    if (u == 1) {
      use_whole_shards(ring, p, roles);
      if (p.backward()) ring.lse = plan.add_buffer("lse", Storage::F32, BufferRole::Scratch, p.B * p.H * sg);
      const std::vector<int> done = add_kv_ring(plan, p, ring);
      if (!p.backward()) return plan;
      if (p.pass == Pass::Bwd) plan.timed_from = static_cast<int>(plan.steps.size());
      add_kv_ring_backward(plan, p, ring, KvRingGrads{roles.dout, roles.dq, roles.dk, roles.dv, done});
      return plan;
    }
    // The ring passes K and V blocks as contiguous rows: usp keeps Q, K, V separate.
    Problem separate = p;
    separate.qkv_layout = QkvLayout::Separate;
    HeadExchange hx(plan, separate, ulysses_group(p, rank), roles);
    ring.ready = {hx.add_pack(kComputeLane, 0)};
    if (std::optional<int> in = hx.add_input_exchange(kCommLane, 0, ring.ready)) ring.ready.push_back(*in);
    ring.q = hx.q(0);
    ring.k = hx.k(0);
    ring.v = hx.v(0);
    ring.q_heads = hx.q_heads(0);
    ring.kv_heads = hx.kv_heads(0);
    ring.out = hx.o(0);
    if (p.backward())
      ring.lse = plan.add_buffer("lse_heads", Storage::F32, BufferRole::Scratch, p.B * ring.q_heads.size * sg);
    std::vector<int> done = add_kv_ring(plan, p, ring);
    const std::vector<int> ring_done = done;
    if (std::optional<int> out = hx.add_output_exchange(kCommLane, 0, done)) done.push_back(*out);
    hx.add_unpack(kCommLane, 0, done);
    if (!p.backward()) return plan;
    // The backward: dO to the head sharding, the ring's backward into the head group's
    // accumulators, the gradients back to the sequence sharding. Pass bwd times it alone.
    if (p.pass == Pass::Bwd) plan.timed_from = static_cast<int>(plan.steps.size());
    HeadGradients hg(plan, separate, ulysses_group(p, rank), roles);
    const int zero = hg.add_zero_outputs(kComputeLane);
    std::vector<int> ready = hg.add_input(kCommLane, 0, hg.add_pack(kComputeLane, 0));
    ready.insert(ready.end(), ring_done.begin(), ring_done.end());
    const KvRingGrads grads{hg.dout(0), hg.grad_acc(0, 0), hg.grad_acc(0, 1), hg.grad_acc(0, 2), ready};
    const std::vector<int> grads_done = add_kv_ring_backward(plan, p, ring, grads);
    hg.add_output(kCommLane, 0, hg.add_cast(kComputeLane, 0, grads_done), zero);
    return plan;
  }

 private:
  // The Ulysses group of `rank`: group index rank / u among Plan::groups.
  static HeadGroup ulysses_group(const Problem& p, int rank) {
    const int u = p.usp_u;
    return HeadGroup{rank / u, rank_list(rank / u * u, u, 1), rank % u, p.S / p.P, even_head_split(p.H, u)};
  }
};

}  // namespace

CPB_REGISTER_SCHEDULE(Usp);

}  // namespace cpb
