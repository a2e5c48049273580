#include "bench/schedules/head_gradients.hpp"

#include <utility>

#include "bench/schedules/layout.hpp"
#include "bench/schedules/tile_outputs.hpp"

namespace cpb {
namespace {

constexpr int kGrads = 3;  // dq, dk, dv
const char* const kGradNames[kGrads] = {"dq", "dk", "dv"};

// One [B, tokens, heads(c, i), D] tensor per (chunk c, slot i) with heads back to back in a
// new buffer `name` of `storage`; a tensor of no heads keeps buf -1 (no buffer when all do).
template <class Heads>
std::vector<std::vector<DenseTensor>> place(Plan& plan, const Problem& p, const std::string& name, Storage storage,
                                            int chunks, int slots, int64_t tokens, Heads heads) {
  std::vector<std::vector<DenseTensor>> out(static_cast<size_t>(chunks),
                                            std::vector<DenseTensor>(static_cast<size_t>(slots)));
  int64_t elems = 0;
  for (int c = 0; c < chunks; ++c)
    for (int i = 0; i < slots; ++i) {
      const int64_t h = heads(c, i);
      if (h == 0) continue;
      out[c][i] = DenseTensor{-2, elems, p.B, tokens, h, p.D};
      elems += out[c][i].elems();
    }
  if (elems == 0) return out;
  const int buf = plan.add_buffer(name, storage, BufferRole::Scratch, elems);
  for (auto& row : out)
    for (DenseTensor& t : row)
      if (t.buf == -2) t.buf = buf;
  return out;
}

}  // namespace

Model head_gradients_model(const Problem& p, const HeadGroup& g) {
  const double row = static_cast<double>(p.B) * static_cast<double>(g.s_local) * p.D * dtype_bytes(p.dtype);
  const int gs = p.group_size();
  Model m;
  for (int c = 0; c < g.chunks(); ++c) {
    const Range my_q = g.q_heads[g.me][c];
    const double my_grads = static_cast<double>(my_q.size + 2 * kv_heads_for(my_q, gs).size);
    for (int i = 0; i < g.size(); ++i) {
      if (i == g.me) continue;
      const Range q = g.q_heads[i][c];
      m.send_bytes += row * static_cast<double>(q.size);  // dO of its heads, my token rows
      m.recv_bytes += row * static_cast<double>(my_q.size);  // dO of my heads, its token rows
      m.send_bytes += row * my_grads;                         // my heads' gradients, its token rows
      m.recv_bytes += row * static_cast<double>(q.size + 2 * kv_heads_for(q, gs).size);  // its, my rows
    }
  }
  return m;
}

HeadGradients::HeadGradients(Plan& plan, const Problem& p, const HeadGroup& g, const RoleTensors& roles)
    : plan_(plan), p_(p), g_(g), roles_(roles) {
  const int C = g_.chunks(), u = g_.size(), me = g_.me;
  const int64_t sg = u * g_.s_local;
  do_send_ = place(plan_, p_, "do_send", Storage::Act, C, u, g_.s_local,
                   [&](int c, int i) { return i == me ? 0 : q_heads(i, c).size; });
  std::vector<std::vector<DenseTensor>> heads =
      place(plan_, p_, "do_heads", Storage::Act, C, 1, sg, [&](int c, int) { return q_heads(me, c).size; });
  for (int c = 0; c < C; ++c) do_heads_.push_back(heads[c][0]);
  // Per chunk: dq, dk, dv of my heads over the group's tokens.
  auto mine = [&](int c, int t) { return t == 0 ? q_heads(me, c).size : kv_heads(me, c).size; };
  acc_ = place(plan_, p_, "grad_acc", Storage::F32, C, kGrads, sg, mine);
  cast_ = place(plan_, p_, "grad_heads", Storage::Act, C, kGrads, sg, mine);
  stage_.assign(static_cast<size_t>(C), {});
  for (int t = 0; t < kGrads; ++t) {
    auto theirs = [&](int c, int i) {
      return i == me ? 0 : (t == 0 ? q_heads(i, c).size : kv_heads(i, c).size);
    };
    std::vector<std::vector<DenseTensor>> s =
        place(plan_, p_, std::string(kGradNames[t]) + "_stage", Storage::Act, C, u, g_.s_local, theirs);
    for (int c = 0; c < C; ++c) stage_[c].push_back(std::move(s[c]));
  }
}

std::string HeadGradients::label(const char* what, int c) const {
  return g_.chunks() == 1 ? std::string(what) : std::string(what) + "[c=" + std::to_string(c) + "]";
}

int HeadGradients::add_zero_outputs(int lane) {
  ZeroOp z;
  for (const DenseTensor* t : {&roles_.dq, &roles_.dk, &roles_.dv}) z.slices.push_back(Slice{t->buf, 0, t->elems()});
  return plan_.add_step(lane, "zero_grads", std::move(z), {});
}

int HeadGradients::add_pack(int lane, int c) {
  const Range all_tokens{0, g_.s_local};
  CopyOp copy;
  for (int i = 0; i < g_.size(); ++i) {
    const Range h = q_heads(i, c);
    const View dst = i == g_.me ? do_heads_[c].view(member_tokens(i), Range{0, h.size}) : do_send_[c][i].all();
    copy.pairs.push_back(CopyOp::Pair{roles_.dout.view(all_tokens, h), dst});
  }
  return plan_.add_step(lane, label("pack_do", c), std::move(copy), {});
}

std::vector<int> HeadGradients::add_input(int comm_lane, int c, int pack) {
  const Range all_tokens{0, g_.s_local};
  std::vector<int> ready{pack};
  if (g_.size() == 1) return ready;
  ExchangeOp ex;
  ex.pattern = ExchangeOp::Pattern::AllToAll;
  ex.group = g_.group;
  for (int i = 0; i < g_.size(); ++i) {
    if (i == g_.me) continue;
    for (int64_t b = 0; b < p_.B; ++b) {
      ex.sends.push_back(Transfer{g_.members[i], do_send_[c][i].rows(b, all_tokens)});
      ex.recvs.push_back(Transfer{g_.members[i], do_heads_[c].rows(b, member_tokens(i))});
    }
  }
  ready.push_back(plan_.add_step(comm_lane, label("a2a_do", c), std::move(ex), {ready[0]}));
  return ready;
}

int HeadGradients::add_tiles(int lane, const HeadExchange& hx, int c, const std::vector<MaskRegion>& tiles,
                             const std::function<View(Range rows, int piece)>& lse_of, const std::vector<int>& deps) {
  const Range qh = hx.q_heads(c), kvh = hx.kv_heads(c);
  const std::vector<HeadPiece> pieces = gqa_pieces(qh, p_.group_size());
  const int zeroed = add_zero_acc(lane, c);
  for (size_t ti = 0; ti < tiles.size(); ++ti) {
    const MaskRegion& t = tiles[ti];
    for (size_t i = 0; i < pieces.size(); ++i) {
      const Range rq{pieces[i].q.begin - qh.begin, pieces[i].q.size};
      const Range rkv{pieces[i].kv.begin - kvh.begin, pieces[i].kv.size};
      TileOutputs::Target none;
      none.o = hx.o(c).view(t.q, rq);
      const AttentionOp f = tile_attention(p_, hx.q(c).view(t.q, rq), hx.k(c).view(t.k, rkv), hx.v(c).view(t.k, rkv),
                                           none, t, pieces[i].q);
      AttentionBackwardOp b;
      b.q = f.q, b.k = f.k, b.v = f.v, b.o = f.o;
      b.dout = do_heads_[c].view(t.q, rq);
      b.lse = lse_of(t.q, static_cast<int>(i));
      b.dq = acc_[c][0].view(t.q, rq);
      b.dk = acc_[c][1].view(t.k, rkv);
      b.dv = acc_[c][2].view(t.k, rkv);
      b.causal = f.causal, b.diag = f.diag, b.window = f.window, b.scale = f.scale;
      b.heads = f.heads, b.q_tokens = f.q_tokens, b.k_tokens = f.k_tokens;
      std::vector<int> tile_deps = deps;
      tile_deps.push_back(zeroed);
      const std::string tag = tiles.size() > 1 || pieces.size() > 1
                                  ? "[t=" + std::to_string(ti) + ",h=" + std::to_string(i) + "]"
                                  : std::string();
      plan_.add_step(lane, label("attn_bwd", c) + tag, std::move(b), std::move(tile_deps));
    }
  }
  return add_cast(lane, c, {});
}

int HeadGradients::add_zero_acc(int lane, int c) {
  ZeroOp zero;
  for (const DenseTensor& t : acc_[c]) zero.slices.push_back(Slice{t.buf, t.offset, t.elems()});
  return plan_.add_step(lane, label("zero_acc", c), std::move(zero), {});
}

int HeadGradients::add_cast(int lane, int c, std::vector<int> deps) {
  CopyOp cast;
  for (int t = 0; t < kGrads; ++t) cast.pairs.push_back(CopyOp::Pair{acc_[c][t].all(), cast_[c][t].all()});
  return plan_.add_step(lane, label("cast_grads", c), std::move(cast), std::move(deps));
}

void HeadGradients::add_output(int comm_lane, int c, int cast, int zero_outputs) {
  std::vector<int> deps{cast, zero_outputs};
  if (g_.size() > 1) {
    ExchangeOp ex;
    ex.pattern = ExchangeOp::Pattern::AllToAll;
    ex.group = g_.group;
    for (int i = 0; i < g_.size(); ++i) {
      if (i == g_.me) continue;
      for (int t = 0; t < kGrads; ++t)
        for (int64_t b = 0; b < p_.B; ++b) {
          ex.sends.push_back(Transfer{g_.members[i], cast_[c][t].rows(b, member_tokens(i))});
          ex.recvs.push_back(Transfer{g_.members[i], stage_[c][t][i].rows(b, Range{0, g_.s_local})});
        }
    }
    deps.push_back(plan_.add_step(comm_lane, label("a2a_grads", c), std::move(ex), {cast}));
  }
  const DenseTensor* dst[kGrads] = {&roles_.dq, &roles_.dk, &roles_.dv};
  ReduceOp sum;
  for (int i = 0; i < g_.size(); ++i)
    for (int t = 0; t < kGrads; ++t) {
      const Range h = t == 0 ? q_heads(i, c) : kv_heads(i, c);
      const View src = i == g_.me ? cast_[c][t].view(member_tokens(i), Range{0, h.size}) : stage_[c][t][i].all();
      sum.pairs.push_back(CopyOp::Pair{src, dst[t]->view(Range{0, g_.s_local}, h)});
    }
  plan_.add_step(comm_lane, label("sum_grads", c), std::move(sum), std::move(deps));
}

}  // namespace cpb
