#include "bench/schedules/kv_ring.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "bench/schedules/kv_ring_steps.hpp"
#include "bench/schedules/tile_outputs.hpp"

namespace cpb {
namespace {

// Builds one ring's forward into a plan: the tiles of every step first (which query rows
// merge), then the buffers, then the steps in ring order, then the final copy.
class RingBuilder {
 public:
  RingBuilder(Plan& plan, const Problem& p, const KvRing& ring)
      : plan_(plan),
        p_(p),
        ring_(ring),
        r_(static_cast<int>(ring.members.size())),
        slots_(static_cast<int>(ring.chunks[ring.me].size())),
        c_(ring.chunks[ring.me][0].size),
        pieces_(gqa_pieces(ring.q_heads, p.group_size())),
        np_(static_cast<int>(pieces_.size())),
        outputs_(p, ring.out, slots_, c_, ring.q_heads, pieces_, ring.lse),
        held_(ring) {}

  std::vector<int> build() {
    tiles_ = ring_tiles(p_, ring_);
    for (const std::vector<RingTile>& step : tiles_)
      for (const RingTile& t : step) outputs_.declare(t.qs, t.rows);
    held_.add_buffers(plan_, "kv_ring");
    outputs_.add_buffers(plan_);
    for (int k = 0; k < r_; ++k) add_ring_step(k);
    return outputs_.finish(plan_);
  }

 private:
  // Step k: the exchange passing the held block on (all but the last step), then the
  // attention (and merge) of every tile against the held block.
  void add_ring_step(int k) {
    const std::vector<int> ready = held_.ready(k, ring_.ready);
    if (k + 1 < r_) held_.add_pass(plan_, k, "kv_pass[i=" + std::to_string(k) + "]", ready);
    for (const RingTile& t : tiles_[k])
      for (int pi = 0; pi < np_; ++pi) add_tile(k, t, pi, ready);
  }

  // The attention of tile `t`, GQA piece `pi`, at step k, written where outputs_ says.
  void add_tile(int k, const RingTile& t, int pi, const std::vector<int>& ready) {
    const HeadPiece& pc = pieces_[pi];
    const Range rq = local_heads(pc.q, ring_.q_heads), rkv = local_heads(pc.kv, ring_.kv_heads);
    const Range k_rows = tile_k_rows(t, c_);
    const TileOutputs::Target out = outputs_.target(t.qs, t.rows, pi);
    const AttentionOp a = tile_attention(p_, ring_.q.view(tile_q_rows(t, c_), rq), held_.k(k).view(k_rows, rkv),
                                         held_.v(k).view(k_rows, rkv), out, global_tile(ring_, k, t), pc.q);
    std::vector<int> deps = ready;
    deps.insert(deps.end(), out.deps.begin(), out.deps.end());  // the partial is free again
    const std::string tag = ring_tile_tag(k, slots_, t, pieces_.size(), pi);
    const int id = plan_.add_step(kComputeLane, "attn" + tag, a, std::move(deps));
    held_.read(k, id);
    outputs_.after(plan_, id, out, t.qs, t.rows, pi, tag);
  }

  Plan& plan_;
  const Problem& p_;
  const KvRing& ring_;
  const int r_;      // ring members
  const int slots_;  // this rank's token chunks
  const int64_t c_;  // tokens per chunk
  const std::vector<HeadPiece> pieces_;
  const int np_;
  TileOutputs outputs_;
  HeldBlocks held_;
  std::vector<std::vector<RingTile>> tiles_;  // [step]
};

}  // namespace

std::vector<int> add_kv_ring(Plan& plan, const Problem& p, const KvRing& ring) {
  return RingBuilder(plan, p, ring).build();
}

void use_whole_shards(KvRing& ring, const Problem& p, const RoleTensors& roles) {
  ring.q = roles.q;
  ring.k = roles.k;
  ring.v = roles.v;
  ring.q_heads = Range{0, p.H};
  ring.kv_heads = Range{0, p.Hkv};
  ring.out = roles.o;
}

Model kv_ring_model(const Problem& p, int r, double block_elems, double forward_flops) {
  const double blocks = (r - 1) * block_elems * dtype_bytes(p.dtype);
  const double accumulators = r > 1 ? r * block_elems * 4.0 : 0.0;  // F32 dK, dV
  const bool forward = p.pass != Pass::Bwd, backward = p.backward();
  Model m;
  m.send_bytes = m.recv_bytes = (forward ? blocks : 0.0) + (backward ? blocks + accumulators : 0.0);
  m.flops = (forward ? forward_flops : 0.0) + (backward ? kBackwardFlopFactor * forward_flops : 0.0);
  return m;
}

namespace {

// Of `steps`, the latest of each lane: waiting for them waits for all (lane order).
std::vector<int> latest_per_lane(const Plan& plan, const std::vector<int>& steps) {
  std::vector<int> latest(plan.lanes.size(), -1), out;
  for (int id : steps) {
    int& l = latest[static_cast<size_t>(plan.steps[static_cast<size_t>(id)].lane)];
    l = std::max(l, id);
  }
  for (int id : latest)
    if (id >= 0) out.push_back(id);
  return out;
}

}  // namespace

Plan world_kv_ring_plan(const Problem& p, int rank, const std::string& schedule, const TokenLayout& layout) {
  const std::vector<int> world = rank_list(0, p.P, 1);
  RoleTensors roles;
  Plan plan = start_plan(p, rank, schedule, layout(p, rank), {world}, &roles);
  KvRing ring;
  ring.group = 0;
  ring.members = world;
  ring.me = rank;
  for (int m = 0; m < p.P; ++m) ring.chunks.push_back(layout(p, m));
  use_whole_shards(ring, p, roles);
  if (!p.backward()) {
    add_kv_ring(plan, p, ring);
    return plan;
  }
  KvRingGrads grads;
  grads.dout = roles.dout;
  grads.dq = roles.dq;
  grads.dk = roles.dk;
  grads.dv = roles.dv;
  ring.lse = plan.add_buffer("lse", Storage::F32, BufferRole::Scratch, p.B * p.H * plan.local_tokens());
  grads.ready = latest_per_lane(plan, add_kv_ring(plan, p, ring));
  if (p.pass == Pass::Bwd) plan.timed_from = static_cast<int>(plan.steps.size());
  add_kv_ring_backward(plan, p, ring, grads);
  return plan;
}

}  // namespace cpb
