#include "bench/schedules/head_pipeline.hpp"

#include <optional>
#include <utility>

#include "bench/schedules/head_exchange.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {
namespace {

std::string tile_label(int chunks, int c, size_t pieces, size_t piece) {
  std::string tags;
  if (chunks > 1) tags += "c=" + std::to_string(c);
  if (pieces > 1) tags += std::string(tags.empty() ? "" : ",") + "h=" + std::to_string(piece);
  return tags.empty() ? "attn" : "attn[" + tags + "]";
}

// Attention of chunk c over the group's tokens [0, S), one tile per GQA piece, reading the
// receive buffers and writing the head-sharded output.
std::vector<int> add_chunk_attention(Plan& plan, const Problem& p, const HeadExchange& hx, int c,
                                     const std::vector<int>& deps) {
  const Range tokens{0, p.S}, qh = hx.q_heads(c), kvh = hx.kv_heads(c);
  const std::vector<HeadPiece> pieces = gqa_pieces(qh, p.group_size());
  std::vector<int> ids;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Range rq{pieces[i].q.begin - qh.begin, pieces[i].q.size};
    const Range rkv{pieces[i].kv.begin - kvh.begin, pieces[i].kv.size};
    AttentionOp a;
    a.q = hx.q(c).view(tokens, rq);
    a.k = hx.k(c).view(tokens, rkv);
    a.v = hx.v(c).view(tokens, rkv);
    a.o = hx.o(c).view(tokens, rq);
    a.causal = p.mask == Mask::Causal;
    a.scale = static_cast<float>(p.softmax_scale());
    a.heads = pieces[i].q;
    a.q_tokens = a.k_tokens = tokens;
    ids.push_back(plan.add_step(kComputeLane, tile_label(hx.chunks(), c, pieces.size(), i), a, deps));
  }
  return ids;
}

}  // namespace

Plan head_pipeline_plan(const Problem& p, int rank, const std::string& schedule,
                        std::vector<std::vector<Range>> q_heads, PipelineLanes lanes) {
  const std::vector<int> world = rank_list(0, p.P, 1);
  RoleTensors roles;
  Plan plan = start_plan(p, rank, schedule, {contiguous_tokens(p, rank)}, {world}, &roles);
  const int out_lane = lanes.output_lane ? plan.add_lane("comm_out") : kCommLane;
  HeadExchange hx(plan, p, HeadGroup{0, world, rank, p.S / p.P, std::move(q_heads)}, roles);
  const int C = hx.chunks();

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

  if (lanes.inputs_first) {
    for (int c = 0; c < C; ++c) input(c);
    for (int c = 0; c < C; ++c) output(c, add_chunk_attention(plan, p, hx, c, ready[c]));
  } else {
    input(0);
    for (int c = 0; c < C; ++c) {
      const std::vector<int> attention = add_chunk_attention(plan, p, hx, c, ready[c]);
      if (c + 1 < C) input(c + 1);
      output(c, attention);
    }
  }
  return plan;
}

double head_sharded_flops(const Problem& p, int64_t heads) {
  return 4.0 * p.B * p.D * static_cast<double>(heads) * block_pairs(p.mask, Range{0, p.S}, Range{0, p.S});
}

}  // namespace cpb
