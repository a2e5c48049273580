#include "bench/sim/calibrate_plans.hpp"

#include <algorithm>

namespace cpb {
namespace {

struct Inputs {
  int q = -1, k = -1, v = -1, o = -1;
};

// Q, K, V, O of `p`'s single rank, and its tokens and lane "compute".
Inputs add_inputs(Plan& plan, const Problem& p) {
  plan.rank = 0;
  plan.world = 1;
  plan.tokens = {Range{0, p.S}};
  plan.add_lane("compute");
  const int64_t q = p.S * p.H * p.D, kv = p.S * p.Hkv * p.D;
  Inputs in;
  in.q = plan.add_buffer("q", Storage::Act, BufferRole::Q, q);
  in.k = plan.add_buffer("k", Storage::Act, BufferRole::K, kv);
  in.v = plan.add_buffer("v", Storage::Act, BufferRole::V, kv);
  in.o = plan.add_buffer("o", Storage::Act, BufferRole::O, q);
  return in;
}

}  // namespace

Problem calibrate_problem(int64_t S, int H, int Hkv, int D, Mask mask, DType dtype) {
  Problem p;
  p.P = 1;
  p.S = S;
  p.H = H;
  p.Hkv = Hkv;
  p.D = D;
  p.B = 1;
  p.mask = mask;
  p.dtype = dtype;
  return p;
}

Plan attention_plan(const Problem& p) {
  Plan plan;
  plan.schedule = "calibrate";
  const Inputs in = add_inputs(plan, p);
  AttentionOp a;
  a.q = dense_view(in.q, 0, {1, p.S, p.H, p.D});
  a.k = dense_view(in.k, 0, {1, p.S, p.Hkv, p.D});
  a.v = dense_view(in.v, 0, {1, p.S, p.Hkv, p.D});
  a.o = dense_view(in.o, 0, {1, p.S, p.H, p.D});
  a.causal = p.mask == Mask::Causal;
  a.scale = static_cast<float>(p.softmax_scale());
  a.heads = Range{0, p.H};
  a.q_tokens = a.k_tokens = Range{0, p.S};
  plan.add_step(0, "attn", a, {});
  return plan;
}

BandwidthPlan bandwidth_plan(const Problem& p) {
  BandwidthPlan b;
  Plan& plan = b.plan;
  plan.schedule = "calibrate";
  const Inputs in = add_inputs(plan, p);
  const int64_t rows = p.S * p.H;
  const int lse = plan.add_buffer("lse_part", Storage::F32, BufferRole::Scratch, rows);
  const int acc_o = plan.add_buffer("acc_o", Storage::F32, BufferRole::Scratch, rows * p.D);
  const int acc_lse = plan.add_buffer("acc_lse", Storage::F32, BufferRole::Scratch, rows);
  const int packed = plan.add_buffer("packed", Storage::Act, BufferRole::Scratch, rows * p.D);
  const View lse_view = dense_view(lse, 0, {1, p.H, p.S, 1});
  plan.add_step(0, "fill_lse", CopyOp{{{dense_view(in.q, 0, {1, p.H, p.S, 1}), lse_view}}}, {});
  MergeOp m;
  m.part_o = dense_view(in.q, 0, {1, p.S, p.H, p.D});
  m.part_lse = lse_view;
  m.acc_o = dense_view(acc_o, 0, {1, p.S, p.H, p.D});
  m.acc_lse = dense_view(acc_lse, 0, {1, p.H, p.S, 1});
  m.init = true;
  plan.add_step(0, "merge_init", m, {0});
  m.init = false;
  b.merge_step = plan.add_step(0, "merge", m, {1});
  CopyOp pack;
  const int64_t half = p.H > 1 ? p.H / 2 : p.H;
  for (int64_t h0 = 0; h0 < p.H; h0 += half) {
    const int64_t h = std::min(half, p.H - h0);
    View src = dense_view(in.q, h0 * p.D, {1, p.S, h, p.D});
    src.stride = {p.S * p.H * p.D, p.H * p.D, p.D, 1};
    pack.pairs.push_back(CopyOp::Pair{src, dense_view(packed, h0 * p.S * p.D, {1, p.S, h, p.D})});
  }
  b.copy_step = plan.add_step(0, "pack", pack, {});
  return b;
}

}  // namespace cpb
