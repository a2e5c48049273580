#include "bench/probe/probe_plan.hpp"

namespace cpb {

int64_t ulysses_input_bytes(const ProbeShape& s) {
  constexpr int64_t kTensors = 3;  // Q, K, V
  return kTensors * (s.S / s.P) * (s.H / s.P) * s.D * dtype_bytes(s.dtype) * (s.P - 1);
}

Problem probe_problem(const ProbeShape& s) {
  Problem p;
  p.P = s.P;
  p.S = s.S;
  p.H = s.H / s.P;
  p.Hkv = p.H;
  p.D = s.D;
  p.B = 1;
  p.mask = Mask::Full;
  p.dtype = s.dtype;
  return p;
}

int64_t probe_peer_elems(int64_t bytes, int P) {
  constexpr int64_t kF32Bytes = 4;
  return bytes / (kF32Bytes * (P - 1));
}

const char* to_string(ProbePart part) {
  switch (part) {
    case ProbePart::Attention: return "attention";
    case ProbePart::Exchange: return "exchange";
    case ProbePart::Both: return "both";
  }
  return "?";
}

const char* to_string(ProbeFirst first) { return first == ProbeFirst::Attention ? "attention" : "exchange"; }

std::vector<std::string> probe_first_names() { return {"attention", "exchange"}; }

Plan probe_plan(const Problem& p, int64_t peer_elems, int rank, ProbePart part, ProbeFirst first) {
  Plan plan;
  plan.schedule = "probe";
  plan.rank = rank;
  plan.world = p.P;
  const int compute = plan.add_lane("compute");
  const int comm = plan.add_lane("comm");
  std::vector<int> all;
  for (int r = 0; r < p.P; ++r) all.push_back(r);
  plan.groups = {all};
  plan.tokens = {Range{0, p.S}};

  const std::array<int64_t, 4> shape{p.B, p.S, p.H, p.D};
  const int64_t elems = shape[0] * shape[1] * shape[2] * shape[3];
  const int q = plan.add_buffer("q", Storage::Act, BufferRole::Q, elems);
  const int k = plan.add_buffer("k", Storage::Act, BufferRole::K, elems);
  const int v = plan.add_buffer("v", Storage::Act, BufferRole::V, elems);
  const int o = plan.add_buffer("o", Storage::Act, BufferRole::O, elems);
  const int64_t scratch = static_cast<int64_t>(p.P - 1) * peer_elems;
  const int send = plan.add_buffer("send", Storage::F32, BufferRole::Scratch, scratch);
  const int recv = plan.add_buffer("recv", Storage::F32, BufferRole::Scratch, scratch);

  const auto add_attention = [&] {
    AttentionOp a;
    a.q = dense_view(q, 0, shape);
    a.k = dense_view(k, 0, shape);
    a.v = dense_view(v, 0, shape);
    a.o = dense_view(o, 0, shape);
    a.scale = static_cast<float>(p.softmax_scale());
    a.heads = Range{0, p.H};
    a.q_tokens = Range{0, p.S};
    a.k_tokens = Range{0, p.S};
    plan.add_step(compute, "attn", a, {});
  };
  const auto add_exchange = [&] {
    ExchangeOp e;
    e.pattern = ExchangeOp::Pattern::AllToAll;
    e.group = 0;
    int64_t slot = 0;  // the peer's place among the other ranks, in rank order
    for (int peer = 0; peer < p.P; ++peer) {
      if (peer == rank) continue;
      e.sends.push_back(Transfer{peer, Slice{send, slot * peer_elems, peer_elems}});
      e.recvs.push_back(Transfer{peer, Slice{recv, slot * peer_elems, peer_elems}});
      ++slot;
    }
    plan.add_step(comm, "a2a", e, {});
  };
  const bool attention = part != ProbePart::Exchange, exchange = part != ProbePart::Attention;
  if (first == ProbeFirst::Exchange && exchange) add_exchange();
  if (attention) add_attention();
  if (first == ProbeFirst::Attention && exchange) add_exchange();
  return plan;
}

}  // namespace cpb
