#include "bench/schedules/head_pipeline.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "bench/mask/mask_regions.hpp"
#include "bench/schedules/head_exchange.hpp"
#include "bench/schedules/head_gradients.hpp"
#include "bench/schedules/layout.hpp"
#include "bench/schedules/tile_outputs.hpp"

namespace cpb {
namespace {

std::string tile_label(int chunks, int c, int tile, size_t pieces, size_t piece) {
  std::string tags;
  if (chunks > 1) tags += "c=" + std::to_string(c);
  if (tile >= 0) tags += std::string(tags.empty() ? "" : ",") + "t=" + std::to_string(tile);
  if (pieces > 1) tags += std::string(tags.empty() ? "" : ",") + "h=" + std::to_string(piece);
  return tags.empty() ? "" : "[" + tags + "]";
}

// The tiles of one chunk over the group's tokens [0, S): one per mask region, cut at the
// other regions' row boundaries.
std::vector<MaskRegion> chunk_tiles(const Problem& p, const std::vector<MaskRegion>& regions) {
  const Range tokens{0, p.S};
  const std::vector<MaskRegion> clipped = clip_regions(regions, tokens, tokens);
  return cut_rows(clipped, row_cuts(clipped));
}

// What the forward of a chunk leaves for its backward: where its rows' final LSE are.
struct ChunkForward {
  std::vector<int> done;                       // steps after which the head-sharded O is complete
  std::function<View(Range, int)> lse_of;      // LSE view of (tile rows, GQA piece); backward pass only
};

// Attention of chunk c over the group's tokens [0, S): one tile per mask region (cut at
// the other regions' row boundaries) and GQA piece, reading the receive buffers and
// writing the head-sharded output, through partials and merges where the mask gives query
// rows several regions (tile_outputs.hpp). In the backward pass the rows' final LSE are
// kept, in a buffer of their own.
ChunkForward add_chunk_attention(Plan& plan, const Problem& p, const HeadExchange& hx, int c,
                                 const std::vector<MaskRegion>& regions, const std::vector<int>& deps) {
  const Range qh = hx.q_heads(c), kvh = hx.kv_heads(c);
  const std::vector<HeadPiece> pieces = gqa_pieces(qh, p.group_size());
  const std::vector<MaskRegion> tiles = chunk_tiles(p, regions);
  const int lse = p.backward() ? plan.add_buffer(hx.chunks() == 1 ? std::string("lse_heads")
                                                                  : "lse_heads[c=" + std::to_string(c) + "]",
                                                 Storage::F32, BufferRole::Scratch, p.B * qh.size * p.S)
                               : -1;
  TileOutputs outputs(p, hx.o(c), 1, p.S, qh, pieces, lse);
  for (const MaskRegion& t : tiles) outputs.declare(0, t.q);
  outputs.add_buffers(plan);
  for (size_t ti = 0; ti < tiles.size(); ++ti) {
    const MaskRegion& t = tiles[ti];
    for (size_t i = 0; i < pieces.size(); ++i) {
      const Range rq{pieces[i].q.begin - qh.begin, pieces[i].q.size};
      const Range rkv{pieces[i].kv.begin - kvh.begin, pieces[i].kv.size};
      const TileOutputs::Target out = outputs.target(0, t.q, static_cast<int>(i));
      const AttentionOp a =
          tile_attention(p, hx.q(c).view(t.q, rq), hx.k(c).view(t.k, rkv), hx.v(c).view(t.k, rkv), out, t, pieces[i].q);
      std::vector<int> tile_deps = deps;
      tile_deps.insert(tile_deps.end(), out.deps.begin(), out.deps.end());
      const std::string tag =
          tile_label(hx.chunks(), c, tiles.size() > 1 ? static_cast<int>(ti) : -1, pieces.size(), i);
      const int id = plan.add_step(kComputeLane, "attn" + tag, a, std::move(tile_deps));
      outputs.after(plan, id, out, 0, t.q, static_cast<int>(i), tag);
    }
  }
  ChunkForward f;
  f.done = outputs.finish(plan);
  if (lse >= 0) f.lse_of = [outputs, lse](Range rows, int piece) { return outputs.lse_view(lse, 0, rows, piece); };
  return f;
}

// The backward of every chunk, in reverse chunk order, mirroring the forward's pipeline:
// chunk c's dO exchange beside chunk c+1's backward tiles, its gradient exchange beside
// chunk c-1's (head_gradients.hpp).
void add_backward(Plan& plan, const Problem& p, const HeadExchange& hx, const HeadGroup& g, const RoleTensors& roles,
                  const std::vector<ChunkForward>& fwd, const std::vector<MaskRegion>& regions, int out_lane) {
  HeadGradients hg(plan, p, g, roles);
  const int C = hx.chunks();
  const int zero = hg.add_zero_outputs(kComputeLane);
  const std::vector<MaskRegion> tiles = chunk_tiles(p, regions);
  // dO is an input: every chunk's pack comes first, as the forward's packs do, so that no
  // dO exchange waits for a chunk's backward on the compute lane.
  std::vector<int> pack(C);
  for (int c = C - 1; c >= 0; --c) pack[c] = hg.add_pack(kComputeLane, c);
  std::vector<int> ready = hg.add_input(kCommLane, C - 1, pack[C - 1]);
  for (int c = C - 1; c >= 0; --c) {
    std::vector<int> deps = ready;
    deps.insert(deps.end(), fwd[c].done.begin(), fwd[c].done.end());
    const int cast = hg.add_tiles(kComputeLane, hx, c, tiles, fwd[c].lse_of, deps);
    if (c > 0) ready = hg.add_input(kCommLane, c - 1, pack[c - 1]);
    hg.add_output(out_lane, c, cast, zero);
  }
}

}  // namespace

Plan head_pipeline_plan(const Problem& p, int rank, const std::string& schedule,
                        std::vector<std::vector<Range>> q_heads, PipelineLanes lanes) {
  const std::vector<int> world = rank_list(0, p.P, 1);
  RoleTensors roles;
  Plan plan = start_plan(p, rank, schedule, {contiguous_tokens(p, rank)}, {world}, &roles);
  const int out_lane = lanes.output_lane ? plan.add_lane("comm_out") : kCommLane;
  const HeadGroup group{0, world, rank, p.S / p.P, std::move(q_heads)};
  HeadExchange hx(plan, p, group, roles);
  const int C = hx.chunks();
  const std::vector<MaskRegion> regions = mask_regions(p);

  std::vector<int> pack(C);
  for (int c = 0; c < C; ++c) pack[c] = hx.add_pack(kComputeLane, c);
  std::vector<std::vector<int>> ready(C);  // what attention of chunk c waits for
  auto input = [&](int c) {
    ready[c] = {pack[c]};
    if (std::optional<int> in = hx.add_input_exchange(kCommLane, c, {pack[c]})) ready[c].push_back(*in);
  };
  // The unpack runs on the output's lane right after its exchange, so the compute lane
  // never waits for an output exchange; it is a short memory-bound copy.
  auto output = [&](int c, const std::vector<int>& attention) {
    std::vector<int> deps = attention;
    if (std::optional<int> out = hx.add_output_exchange(out_lane, c, attention)) deps.push_back(*out);
    hx.add_unpack(out_lane, c, deps);
  };

  std::vector<ChunkForward> fwd(C);
  if (lanes.inputs_first) {
    for (int c = 0; c < C; ++c) input(c);
    for (int c = 0; c < C; ++c) {
      fwd[c] = add_chunk_attention(plan, p, hx, c, regions, ready[c]);
      output(c, fwd[c].done);
    }
  } else {
    input(0);
    for (int c = 0; c < C; ++c) {
      fwd[c] = add_chunk_attention(plan, p, hx, c, regions, ready[c]);
      if (c + 1 < C) input(c + 1);
      output(c, fwd[c].done);
    }
  }
  if (!p.backward()) return plan;
  if (p.pass == Pass::Bwd) plan.timed_from = static_cast<int>(plan.steps.size());
  add_backward(plan, p, hx, group, roles, fwd, regions, out_lane);
  return plan;
}

Model head_pipeline_model(const Problem& p, int rank, const std::vector<std::vector<Range>>& q_heads) {
  const HeadGroup g{0, rank_list(0, p.P, 1), rank, p.S / p.P, q_heads};
  int64_t heads = 0;
  for (const Range& r : q_heads[rank]) heads += r.size;
  const double flops = head_sharded_flops(p, heads);
  Model m;
  if (p.pass != Pass::Bwd) {
    m = head_exchange_model(p, g);
    m.flops = flops;
  }
  if (p.backward()) {
    const Model b = head_gradients_model(p, g);
    m.send_bytes += b.send_bytes;
    m.recv_bytes += b.recv_bytes;
    m.flops += kBackwardFlopFactor * flops;
  }
  return m;
}

double head_sharded_flops(const Problem& p, int64_t heads) {
  return 4.0 * p.B * p.D * static_cast<double>(heads) * block_pairs(p, Range{0, p.S}, Range{0, p.S});
}

}  // namespace cpb
