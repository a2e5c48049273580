#include "bench/schedules/head_exchange.hpp"

#include <utility>

namespace cpb {
namespace {

constexpr int kTensors = 3;  // q, k, v
const char* const kTensorNames[kTensors] = {"q", "k", "v"};

// Heads of tensor t (0 = q, 1 = k, 2 = v) that query heads `q` need.
Range tensor_heads(int t, Range q, int group_size) { return t == 0 ? q : kv_heads_for(q, group_size); }

}  // namespace

std::vector<std::vector<Range>> even_head_split(int heads, int members) {
  std::vector<std::vector<Range>> out;
  for (const Range& r : even_split(heads, members)) out.push_back({r});
  return out;
}

Model head_exchange_model(const Problem& p, const HeadGroup& g) {
  const double row = static_cast<double>(p.B) * static_cast<double>(g.s_local) * p.D * dtype_bytes(p.dtype);
  const int gs = p.group_size();
  const auto& mine = g.q_heads[g.me];
  Model m;
  for (int c = 0; c < g.chunks(); ++c) {
    const Range my_q = mine[c];
    const double my_in = static_cast<double>(my_q.size + 2 * kv_heads_for(my_q, gs).size);
    for (int i = 0; i < g.size(); ++i) {
      if (i == g.me) continue;
      const Range q = g.q_heads[i][c];
      m.send_bytes += row * static_cast<double>(q.size + 2 * kv_heads_for(q, gs).size);  // its inputs
      m.recv_bytes += row * my_in;                                                       // my inputs
      m.send_bytes += row * static_cast<double>(my_q.size);                              // my outputs, its token rows
      m.recv_bytes += row * static_cast<double>(q.size);                                 // its outputs, my token rows
    }
  }
  return m;
}

HeadExchange::HeadExchange(Plan& plan, const Problem& p, HeadGroup g, const RoleTensors& roles)
    : plan_(plan), p_(p), g_(std::move(g)), roles_(roles) {
  const int C = chunks(), u = g_.size(), gs = p_.group_size();
  const int64_t sg = u * g_.s_local;
  send_.assign(kTensors, std::vector<std::vector<DenseTensor>>(C, std::vector<DenseTensor>(u)));
  recv_.assign(kTensors, std::vector<DenseTensor>(C));
  o_heads_.resize(C);
  stage_.assign(C, std::vector<DenseTensor>(u));

  // Lays out one tensor [B, tokens, heads_of(c, i), D] per (chunk, member) with heads back
  // to back in a new buffer `name` (none when all are empty) and stores each in slot(c, i).
  auto place = [&](const std::string& name, int64_t tokens, auto heads_of, auto&& slot) {
    int64_t elems = 0;
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < u; ++i) {
        const int64_t h = heads_of(c, i);
        if (h == 0) continue;
        slot(c, i) = DenseTensor{-1, elems, p_.B, tokens, h, p_.D};
        elems += slot(c, i).elems();
      }
    if (elems == 0) return;
    const int buf = plan_.add_buffer(name, Storage::Act, BufferRole::Scratch, elems);
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < u; ++i)
        if (heads_of(c, i) > 0) slot(c, i).buf = buf;
  };
  auto heads = [&](int t, int c, int i) { return tensor_heads(t, g_.q_heads[i][c], gs).size; };
  if (packed()) {
    auto all_heads = [&](int c, int i) { return heads(0, c, i) + heads(1, c, i) + heads(2, c, i); };
    qkv_send_.assign(C, std::vector<DenseTensor>(u));
    qkv_recv_.resize(C);
    place(
        "qkv_send", g_.s_local, [&](int c, int i) { return i == g_.me ? 0 : all_heads(c, i); },
        [&](int c, int i) -> DenseTensor& { return qkv_send_[c][i]; });
    place(
        "qkv_heads", sg, [&](int c, int i) { return i == g_.me ? all_heads(c, i) : 0; },
        [&](int c, int) -> DenseTensor& { return qkv_recv_[c]; });
    // Q, K and V are the head ranges [0, hq), [hq, hq + hkv), [hq + hkv, hq + 2 hkv).
    auto split = [&](const DenseTensor& all, int c, int i, auto&& slot) {
      int64_t first = 0;
      for (int t = 0; t < kTensors; ++t) {
        slot(t) = all.head_range(Range{first, heads(t, c, i)});
        first += heads(t, c, i);
      }
    };
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < u; ++i) {
        if (i == g_.me)
          split(qkv_recv_[c], c, i, [&](int t) -> DenseTensor& { return recv_[t][c]; });
        else
          split(qkv_send_[c][i], c, i, [&](int t) -> DenseTensor& { return send_[t][c][i]; });
      }
  } else {
    for (int t = 0; t < kTensors; ++t) {
      place(
          std::string(kTensorNames[t]) + "_send", g_.s_local,
          [&](int c, int i) { return i == g_.me ? 0 : heads(t, c, i); },
          [&](int c, int i) -> DenseTensor& { return send_[t][c][i]; });
      place(
          std::string(kTensorNames[t]) + "_heads", sg,
          [&](int c, int i) { return i == g_.me ? heads(t, c, i) : 0; },
          [&](int c, int) -> DenseTensor& { return recv_[t][c]; });
    }
  }
  place(
      "o_heads", sg, [&](int c, int i) { return i == g_.me ? heads(0, c, i) : 0; },
      [&](int c, int) -> DenseTensor& { return o_heads_[c]; });
  place(
      "o_stage", g_.s_local, [&](int c, int i) { return i == g_.me ? 0 : heads(0, c, i); },
      [&](int c, int i) -> DenseTensor& { return stage_[c][i]; });
}

std::string HeadExchange::label(const char* what, int c) const {
  return chunks() == 1 ? std::string(what) : std::string(what) + "[c=" + std::to_string(c) + "]";
}

int HeadExchange::add_pack(int lane, int c) {
  const DenseTensor* src[kTensors] = {&roles_.q, &roles_.k, &roles_.v};
  const Range all_tokens{0, g_.s_local};
  CopyOp copy;
  for (int t = 0; t < kTensors; ++t)
    for (int i = 0; i < g_.size(); ++i) {
      const Range h = tensor_heads(t, g_.q_heads[i][c], p_.group_size());
      const View dst = i == g_.me ? recv_[t][c].view(member_tokens(i), Range{0, h.size}) : send_[t][c][i].all();
      copy.pairs.push_back(CopyOp::Pair{src[t]->view(all_tokens, h), dst});
    }
  return plan_.add_step(lane, label("pack", c), std::move(copy), {});
}

ExchangeOp HeadExchange::all_to_all() const {
  ExchangeOp ex;
  ex.pattern = ExchangeOp::Pattern::AllToAll;
  ex.group = g_.group;
  return ex;
}

void HeadExchange::add_rows(ExchangeOp& ex, int peer, const DenseTensor& send, Range send_tokens,
                            const DenseTensor& recv, Range recv_tokens) const {
  for (int64_t b = 0; b < p_.B; ++b) {
    ex.sends.push_back(Transfer{peer, send.rows(b, send_tokens)});
    ex.recvs.push_back(Transfer{peer, recv.rows(b, recv_tokens)});
  }
}

std::optional<int> HeadExchange::add_input_exchange(int lane, int c, std::vector<int> deps) {
  if (g_.size() == 1) return std::nullopt;
  ExchangeOp ex = all_to_all();
  for (int i = 0; i < g_.size(); ++i) {
    if (i == g_.me) continue;
    if (packed()) {
      add_rows(ex, g_.members[i], qkv_send_[c][i], Range{0, g_.s_local}, qkv_recv_[c], member_tokens(i));
      continue;
    }
    for (int t = 0; t < kTensors; ++t)
      add_rows(ex, g_.members[i], send_[t][c][i], Range{0, g_.s_local}, recv_[t][c], member_tokens(i));
  }
  return plan_.add_step(lane, label("a2a_in", c), std::move(ex), std::move(deps));
}

std::optional<int> HeadExchange::add_output_exchange(int lane, int c, std::vector<int> deps) {
  if (g_.size() == 1) return std::nullopt;
  ExchangeOp ex = all_to_all();
  for (int i = 0; i < g_.size(); ++i)
    if (i != g_.me) add_rows(ex, g_.members[i], o(c), member_tokens(i), stage_[c][i], Range{0, g_.s_local});
  return plan_.add_step(lane, label("a2a_out", c), std::move(ex), std::move(deps));
}

int HeadExchange::add_unpack(int lane, int c, std::vector<int> deps) {
  CopyOp copy;
  for (int i = 0; i < g_.size(); ++i) {
    const Range h = g_.q_heads[i][c];
    const View src = i == g_.me ? o(c).view(member_tokens(i), Range{0, h.size}) : stage_[c][i].all();
    copy.pairs.push_back(CopyOp::Pair{src, roles_.o.view(Range{0, g_.s_local}, h)});
  }
  return plan_.add_step(lane, label("unpack", c), std::move(copy), std::move(deps));
}

}  // namespace cpb
