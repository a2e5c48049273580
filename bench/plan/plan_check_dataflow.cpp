// The cross-rank run of check_plans: all plans executed in list order, each Exchange when
// every member of its group has reached it, optionally on symbolic data. Each element
// holds an identity, (tensor, batch, global token, head, d) encoded as one integer (0 =
// never written), and a weight: for an output or LSE element, the number of keys whose
// contributions it holds; for a gradient element, the number of (query, key) pairs (of
// every query head of a GQA group, for dK and dV) whose contributions it holds. A zeroed
// element holds kZeroed with weight 0: the first gradient added to it gives it its identity.
#include <array>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/plan/plan_check_detail.hpp"

namespace cpb {
namespace check_detail {
namespace {

// What an element holds: an input, an attention output, or an LSE statistic.
enum Kind : int64_t { kQ = 0, kK = 1, kV = 2, kO = 3, kL = 4, kDO = 5, kDQ = 6, kDK = 7, kDV = 8 };
const char* const kKindNames[] = {"Q", "K", "V", "O", "LSE", "dO", "dQ", "dK", "dV"};
constexpr uint64_t kZeroed = ~uint64_t{0};

struct Identity {
  int64_t kind = 0, b = 0, token = 0, head = 0, d = 0;
};

class Codec {
 public:
  explicit Codec(const Problem& p) : B_(p.B), S_(p.S), H_(p.H), D_(p.D) {}
  uint64_t encode(int64_t kind, int64_t b, int64_t token, int64_t head, int64_t d) const {
    return 1 + static_cast<uint64_t>((((kind * B_ + b) * S_ + token) * H_ + head) * D_ + d);
  }
  Identity decode(uint64_t id) const {
    int64_t x = static_cast<int64_t>(id - 1);
    Identity f;
    f.d = x % D_, x /= D_;
    f.head = x % H_, x /= H_;
    f.token = x % S_, x /= S_;
    f.b = x % B_, f.kind = x / B_;
    return f;
  }
  std::string describe(uint64_t id) const {
    if (id == 0) return "nothing (never written)";
    if (id == kZeroed) return "zero (no gradient added)";
    const Identity f = decode(id);
    return std::string(kKindNames[f.kind]) + "[b=" + std::to_string(f.b) + ",token=" + std::to_string(f.token) +
           ",head=" + std::to_string(f.head) + ",d=" + std::to_string(f.d) + "]";
  }

 private:
  int64_t B_, S_, H_, D_;
};

int64_t at(const View& v, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  return v.offset + i0 * v.stride[0] + i1 * v.stride[1] + i2 * v.stride[2] + i3 * v.stride[3];
}

std::string index_str(int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  return "[" + std::to_string(i0) + "," + std::to_string(i1) + "," + std::to_string(i2) + "," + std::to_string(i3) +
         "]";
}

// Contents of elements in transit: identity and weight.
struct Cells {
  std::vector<uint64_t> id;
  std::vector<uint32_t> w;
};

class Simulator {
 public:
  Simulator(const std::vector<Plan>& plans, const Problem& p, bool with_data, Errors& errors)
      : plans_(plans), p_(p), data_(with_data), err_(errors), codec_(p), mem_(plans.size()) {}

  // The plans in list order, then their timed steps once more (a runtime runs them again
  // and again after one prologue: they must leave the same results each time).
  void run() {
    number_exchanges();
    if (data_) init_inputs();
    std::vector<size_t> pc(plans_.size(), 0);
    if (!run_from(pc)) return;
    for (size_t r = 0; r < plans_.size(); ++r) pc[r] = static_cast<size_t>(plans_[r].timed_from);
    if (!run_from(pc)) return;
    if (data_) check_outputs();
    if (data_ && p_.backward()) check_gradients();
  }

 private:
  // Runs every rank from pc to its end; false when it failed or deadlocked.
  bool run_from(std::vector<size_t>& pc) {
    const size_t P = plans_.size();
    for (;;) {
      bool progress = false, done = true;
      for (size_t r = 0; r < P; ++r)
        for (; pc[r] < plans_[r].steps.size() && !plans_[r].steps[pc[r]].is_comm(); ++pc[r], progress = true) {
          if (data_) local_step(static_cast<int>(r), plans_[r].steps[pc[r]]);
          if (failed_) return false;
        }
      for (size_t r = 0; r < P; ++r) {
        if (pc[r] >= plans_[r].steps.size()) continue;
        done = false;
        if (!plans_[r].steps[pc[r]].is_comm()) continue;  // released by an exchange just run
        const std::vector<int>& members = plans_[r].groups[std::get<ExchangeOp>(plans_[r].steps[pc[r]].op).group];
        const Key key = key_[r][pc[r]];
        bool ready = true;
        for (int m : members) ready = ready && pc[m] < plans_[m].steps.size() && key_[m][pc[m]] == key;
        if (!ready) continue;
        if (data_) exchange(members, pc);
        if (failed_) return false;
        for (int m : members) ++pc[m];
        progress = true;
      }
      if (done) return true;
      if (!progress) {
        deadlock(pc);
        return false;
      }
    }
  }

  // (lane name, group, how many exchanges of that lane and group came before): the
  // instance an Exchange step belongs to; non-exchange steps get an empty key.
  using Key = std::tuple<std::string, int, int>;

  void number_exchanges() {
    key_.resize(plans_.size());
    for (size_t r = 0; r < plans_.size(); ++r) {
      std::map<std::pair<std::string, int>, int> seen;
      for (const Step& s : plans_[r].steps) {
        if (!s.is_comm()) {
          key_[r].emplace_back("", -1, -1);
          continue;
        }
        const auto lg = std::make_pair(plans_[r].lanes[s.lane], std::get<ExchangeOp>(s.op).group);
        key_[r].emplace_back(lg.first, lg.second, seen[lg]++);
      }
    }
  }

  void fail(int rank, const std::string& sentence) {
    err_.add("rank " + std::to_string(rank) + ": " + sentence);
    failed_ = true;
  }

  void deadlock(const std::vector<size_t>& pc) {
    std::string where;
    for (size_t r = 0; r < plans_.size(); ++r)
      if (pc[r] < plans_[r].steps.size())
        where += (where.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) + " waits in " +
                 step_name(plans_[r].steps[pc[r]]);
    err_.add("running the plans in list order (the CPU runtime) deadlocks: " + where);
  }

  void init_inputs() {
    for (size_t r = 0; r < plans_.size(); ++r) {
      const Plan& plan = plans_[r];
      for (const Buffer& b : plan.buffers) {
        mem_[r].id.emplace_back(b.elems, 0);
        mem_[r].w.emplace_back(b.elems, 0);
      }
      std::vector<int64_t> tokens;
      for (const Range& t : plan.tokens)
        for (int64_t i = t.begin; i < t.end(); ++i) tokens.push_back(i);
      const int64_t n = static_cast<int64_t>(tokens.size());
      const std::pair<BufferRole, int64_t> inputs[] = {
          {BufferRole::Q, kQ}, {BufferRole::K, kK}, {BufferRole::V, kV}, {BufferRole::DO, kDO}};
      for (const auto& in : inputs) {
        if (in.first == BufferRole::DO && !p_.backward()) continue;
        const int64_t heads = in.first == BufferRole::K || in.first == BufferRole::V ? p_.Hkv : p_.H;
        const View all = dense_view(plan.find_buffer(in.first), 0, {p_.B, n, heads, p_.D});
        std::vector<uint64_t>& ids = mem_[r].id[all.buf];
        for (int64_t b = 0; b < p_.B; ++b)
          for (int64_t s = 0; s < n; ++s)
            for (int64_t h = 0; h < heads; ++h)
              for (int64_t d = 0; d < p_.D; ++d)
                ids[at(all, b, s, h, d)] = codec_.encode(in.second, b, tokens[s], h, d);
      }
    }
  }

  // Reads a view or slice of rank r; fails on an element no step wrote.
  bool read(int r, const Step& s, const View& v, Cells* out) {
    const std::vector<uint64_t>& ids = mem_[r].id[v.buf];
    const std::vector<uint32_t>& ws = mem_[r].w[v.buf];
    bool ok = true;
    int64_t bad = -1;
    for_each_offset(v, [&](int64_t o) {
      if (ids[o] == 0 && ok) ok = false, bad = o;
      out->id.push_back(ids[o]);
      out->w.push_back(ws[o]);
    });
    if (!ok)
      fail(r, step_name(s) + " reads element " + std::to_string(bad) + " of " + buffer_name(plans_[r], v.buf) +
                  ", which no earlier step wrote");
    return ok;
  }

  void write(int r, const View& v, const Cells& in) {
    std::vector<uint64_t>& ids = mem_[r].id[v.buf];
    std::vector<uint32_t>& ws = mem_[r].w[v.buf];
    size_t i = 0;
    for_each_offset(v, [&](int64_t o) {
      ids[o] = in.id[i];
      ws[o] = in.w[i++];
    });
  }

  static View slice_view(const Slice& s) { return dense_view(s.buf, s.offset, {1, 1, 1, s.count}); }

  void local_step(int r, const Step& s) {
    switch (s.kind()) {
      case OpKind::Copy:
        for (const CopyOp::Pair& pr : std::get<CopyOp>(s.op).pairs) {
          Cells c;
          if (!read(r, s, pr.src, &c)) return;
          write(r, pr.dst, c);
        }
        break;
      case OpKind::Attention:
        attention(r, s, std::get<AttentionOp>(s.op));
        break;
      case OpKind::Merge:
        merge(r, s, std::get<MergeOp>(s.op));
        break;
      case OpKind::AttentionBackward:
        attention_backward(r, s, std::get<AttentionBackwardOp>(s.op));
        break;
      case OpKind::Reduce:
        for (const CopyOp::Pair& pr : std::get<ReduceOp>(s.op).pairs)
          if (!reduce(r, s, pr)) return;
        break;
      case OpKind::Zero:
        for (const Slice& z : std::get<ZeroOp>(s.op).slices)
          for_each_offset(slice_view(z), [&](int64_t o) { mem_[r].id[z.buf][o] = kZeroed, mem_[r].w[z.buf][o] = 0; });
        break;
      case OpKind::Exchange:
        break;
    }
  }

  // Adds `w` contributions of gradient `want` to element o of buffer buf: the element must
  // be zeroed or hold the same gradient.
  bool add_gradient(int r, const Step& s, const char* what, int buf, int64_t o, uint64_t want, uint32_t w) {
    uint64_t& id = mem_[r].id[buf][o];
    if (id != kZeroed && id != want) {
      fail(r, step_name(s) + " adds " + codec_.describe(want) + " into " + what + " element " + std::to_string(o) +
                  " of " + buffer_name(plans_[r], buf) + ", which holds " + codec_.describe(id));
      return false;
    }
    id = want;
    mem_[r].w[buf][o] += w;
    return true;
  }

  // dst += src: src holds gradients (or zeros), each added into the same gradient of dst.
  bool reduce(int r, const Step& s, const CopyOp::Pair& pr) {
    Cells c;
    if (!read(r, s, pr.src, &c)) return false;
    size_t i = 0;
    bool ok = true;
    for_each_offset(pr.dst, [&](int64_t o) {
      const uint64_t id = c.id[i];
      const uint32_t w = c.w[i++];
      if (!ok || id == kZeroed) return;
      const int64_t kind = codec_.decode(id).kind;
      if (kind != kDQ && kind != kDK && kind != kDV) {
        fail(r, step_name(s) + " reduces " + codec_.describe(id) + ", which is not a gradient");
        ok = false;
        return;
      }
      ok = add_gradient(r, s, "dst", pr.dst.buf, o, id, w);
    });
    return ok;
  }

  void exchange(const std::vector<int>& members, const std::vector<size_t>& pc) {
    std::map<std::pair<int, int>, std::deque<Cells>> transit;  // (from, to) -> payloads in order
    for (int m : members) {
      const Step& s = plans_[m].steps[pc[m]];
      for (const Transfer& t : std::get<ExchangeOp>(s.op).sends) {
        Cells c;
        if (!read(m, s, slice_view(t.slice), &c)) return;
        transit[{m, t.peer}].push_back(std::move(c));
      }
    }
    for (int m : members) {
      const Step& s = plans_[m].steps[pc[m]];
      for (const Transfer& t : std::get<ExchangeOp>(s.op).recvs) {
        std::deque<Cells>& q = transit[{t.peer, m}];
        if (q.empty() || static_cast<int64_t>(q.front().id.size()) != t.slice.count)
          return fail(m,
                      step_name(s) + " receives from rank " + std::to_string(t.peer) + " a transfer it did not send");
        write(m, slice_view(t.slice), q.front());
        q.pop_front();
      }
    }
  }

  // Fails unless every row (i0, i1, i2) of view v holds want(i0, i1, i2) + d at d.
  template <class Want>
  bool expect_rows(int r, const Step& s, const char* what, const View& v, Want want) {
    const std::vector<uint64_t>& ids = mem_[r].id[v.buf];
    for (int64_t i0 = 0; i0 < v.shape[0]; ++i0)
      for (int64_t i1 = 0; i1 < v.shape[1]; ++i1)
        for (int64_t i2 = 0; i2 < v.shape[2]; ++i2) {
          const uint64_t first = want(i0, i1, i2);
          const int64_t base = at(v, i0, i1, i2, 0);
          for (int64_t d = 0; d < v.shape[3]; ++d) {
            const uint64_t got = ids[base + d * v.stride[3]];
            if (got == first + static_cast<uint64_t>(d)) continue;
            fail(r, step_name(s) + ": " + what + index_str(i0, i1, i2, d) + " holds " + codec_.describe(got) +
                        " but the tile's heads and tokens need " + codec_.describe(first + static_cast<uint64_t>(d)));
            return false;
          }
        }
    return true;
  }

  void attention(int r, const Step& s, const AttentionOp& a) {
    const int64_t nq = a.q.shape[2], nk = a.k.shape[2], ratio = nq / nk, g = p_.group_size();
    std::vector<int64_t> kv_of(nk);
    for (int64_t hk = 0; hk < nk; ++hk) kv_of[hk] = (a.heads.begin + hk * ratio) / g;
    for (int64_t h = 0; h < nq; ++h)
      if ((a.heads.begin + h) / g != kv_of[h / ratio])
        return fail(r, step_name(s) + ": query head " + std::to_string(a.heads.begin + h) + " reads key/value head " +
                           std::to_string(kv_of[h / ratio]) + " of the tile, but GQA gives it head " +
                           std::to_string((a.heads.begin + h) / g));
    auto q_row = [&](int64_t b, int64_t i, int64_t h) {
      return codec_.encode(kQ, b, a.q_tokens.begin + i, a.heads.begin + h, 0);
    };
    auto kv_row = [&](int64_t kind) {
      return [&, kind](int64_t b, int64_t j, int64_t h) {
        return codec_.encode(kind, b, a.k_tokens.begin + j, kv_of[h], 0);
      };
    };
    if (!expect_rows(r, s, "q", a.q, q_row) || !expect_rows(r, s, "k", a.k, kv_row(kK)) ||
        !expect_rows(r, s, "v", a.v, kv_row(kV)))
      return;
    for (int64_t b = 0; b < p_.B; ++b)
      for (int64_t i = 0; i < a.q.shape[1]; ++i)
        for (int64_t h = 0; h < nq; ++h) {
          int64_t first = 0, last = 0;
          row_keys(a.mask(), i, a.k.shape[1], &first, &last);
          const uint32_t keys = static_cast<uint32_t>(last - first);
          const int64_t token = a.q_tokens.begin + i, head = a.heads.begin + h;
          for (int64_t d = 0; d < p_.D; ++d) {
            const int64_t o = at(a.o, b, i, h, d);
            mem_[r].id[a.o.buf][o] = codec_.encode(kO, b, token, head, d);
            mem_[r].w[a.o.buf][o] = keys;
          }
          if (a.has_lse) {
            const int64_t o = at(a.lse, b, h, i, 0);
            mem_[r].id[a.lse.buf][o] = codec_.encode(kL, b, token, head, 0);
            mem_[r].w[a.lse.buf][o] = keys;
          }
        }
  }

  // The row statistics a backward tile reads must be final: O and LSE of each of its rows
  // hold the contributions of every key the mask gives the row.
  bool expect_final(int r, const Step& s, const char* what, const View& v, int64_t kind, int64_t i0, int64_t i1,
                    int64_t i2, int64_t token, int64_t head, int64_t D) {
    for (int64_t d = 0; d < D; ++d) {
      const int64_t o = kind == kL ? at(v, i0, i2, i1, 0) : at(v, i0, i1, i2, d);
      const uint64_t want = codec_.encode(kind, i0, token, head, kind == kL ? 0 : d);
      if (mem_[r].id[v.buf][o] != want) {
        fail(r, step_name(s) + ": " + what + " of query token " + std::to_string(token) + ", head " +
                    std::to_string(head) + " holds " + codec_.describe(mem_[r].id[v.buf][o]) + ", not " +
                    codec_.describe(want));
        return false;
      }
      if (mem_[r].w[v.buf][o] != row_keys_total(token)) {
        fail(r, step_name(s) + ": " + what + " of query token " + std::to_string(token) +
                    " holds the contributions of " + std::to_string(mem_[r].w[v.buf][o]) +
                    " keys; the backward needs the final statistics over " + std::to_string(row_keys_total(token)));
        return false;
      }
    }
    return true;
  }

  uint32_t row_keys_total(int64_t token) {
    if (row_keys_.empty()) {
      const std::vector<MaskRegion> regions = mask_regions(p_);
      std::vector<std::pair<int64_t, int64_t>> ranges;
      row_keys_.resize(static_cast<size_t>(p_.S));
      for (int64_t t = 0; t < p_.S; ++t) {
        ranges.clear();
        mask_row_keys(regions, t, &ranges);
        for (const auto& k : ranges) row_keys_[static_cast<size_t>(t)] += static_cast<uint32_t>(k.second - k.first);
      }
    }
    return row_keys_[static_cast<size_t>(token)];
  }

  void attention_backward(int r, const Step& s, const AttentionBackwardOp& a) {
    const int64_t nq = a.q.shape[2], nk = a.k.shape[2], ratio = nq / nk, g = p_.group_size();
    auto kv_head = [&](int64_t hk) { return (a.heads.begin + hk * ratio) / g; };
    auto q_row = [&](int64_t kind) {
      return [&, kind](int64_t b, int64_t i, int64_t h) {
        return codec_.encode(kind, b, a.q_tokens.begin + i, a.heads.begin + h, 0);
      };
    };
    auto kv_row = [&](int64_t kind) {
      return [&, kind](int64_t b, int64_t j, int64_t h) {
        return codec_.encode(kind, b, a.k_tokens.begin + j, kv_head(h), 0);
      };
    };
    if (!expect_rows(r, s, "q", a.q, q_row(kQ)) || !expect_rows(r, s, "k", a.k, kv_row(kK)) ||
        !expect_rows(r, s, "v", a.v, kv_row(kV)) || !expect_rows(r, s, "dout", a.dout, q_row(kDO)))
      return;
    for (int64_t b = 0; b < p_.B; ++b)
      for (int64_t i = 0; i < a.q.shape[1]; ++i)
        for (int64_t h = 0; h < nq; ++h) {
          const int64_t token = a.q_tokens.begin + i, head = a.heads.begin + h;
          if (!expect_final(r, s, "o", a.o, kO, b, i, h, token, head, p_.D) ||
              !expect_final(r, s, "lse", a.lse, kL, b, i, h, token, head, 1))
            return;
          int64_t first = 0, last = 0;
          row_keys(a.mask(), i, a.k.shape[1], &first, &last);
          for (int64_t d = 0; d < p_.D; ++d)
            if (!add_gradient(r, s, "dq", a.dq.buf, at(a.dq, b, i, h, d), codec_.encode(kDQ, b, token, head, d),
                              static_cast<uint32_t>(last - first)))
              return;
          for (int64_t j = first; j < last; ++j)
            for (int64_t d = 0; d < p_.D; ++d)
              for (const auto& t : {std::make_pair(kDK, &a.dk), std::make_pair(kDV, &a.dv)}) {
                const int64_t kt = a.k_tokens.begin + j, hk = h / ratio;
                if (!add_gradient(r, s, t.first == kDK ? "dk" : "dv", t.second->buf, at(*t.second, b, j, hk, d),
                                  codec_.encode(t.first, b, kt, kv_head(hk), d), 1))
                  return;
              }
        }
  }

  void merge(int r, const Step& s, const MergeOp& m) {
    std::vector<uint64_t>& acc_id = mem_[r].id[m.acc_o.buf];
    std::vector<uint32_t>& acc_w = mem_[r].w[m.acc_o.buf];
    std::vector<uint64_t>& accl_id = mem_[r].id[m.acc_lse.buf];
    std::vector<uint32_t>& accl_w = mem_[r].w[m.acc_lse.buf];
    const std::vector<uint64_t>& part_id = mem_[r].id[m.part_o.buf];
    const std::vector<uint32_t>& part_w = mem_[r].w[m.part_o.buf];
    const std::vector<uint64_t>& partl_id = mem_[r].id[m.part_lse.buf];
    const std::vector<uint32_t>& partl_w = mem_[r].w[m.part_lse.buf];
    for (int64_t b = 0; b < m.part_o.shape[0]; ++b)
      for (int64_t i = 0; i < m.part_o.shape[1]; ++i)
        for (int64_t h = 0; h < m.part_o.shape[2]; ++h) {
          const uint64_t row = part_id[at(m.part_o, b, i, h, 0)];
          const Identity f = codec_.decode(row == 0 ? 1 : row);
          if (row == 0 || f.kind != kO)
            return fail(r, step_name(s) + ": part_o" + index_str(b, i, h, 0) + " holds " + codec_.describe(row) +
                               ", not an attention output");
          const int64_t lp = at(m.part_lse, b, h, i, 0), la = at(m.acc_lse, b, h, i, 0);
          const uint64_t lse_id = codec_.encode(kL, f.b, f.token, f.head, 0);
          if (partl_id[lp] != lse_id || partl_w[lp] != part_w[at(m.part_o, b, i, h, 0)])
            return fail(r, step_name(s) + ": part_lse" + index_str(b, h, i, 0) + " holds " +
                               codec_.describe(partl_id[lp]) + ", not the statistics of " + codec_.describe(row));
          if (!m.init && accl_id[la] != lse_id)
            return fail(r, step_name(s) + ": acc_lse" + index_str(b, h, i, 0) + " holds " +
                               codec_.describe(accl_id[la]) + " but the partial is " + codec_.describe(lse_id));
          accl_id[la] = lse_id;
          accl_w[la] = (m.init ? 0 : accl_w[la]) + partl_w[lp];
          for (int64_t d = 0; d < m.part_o.shape[3]; ++d) {
            const int64_t po = at(m.part_o, b, i, h, d), ao = at(m.acc_o, b, i, h, d);
            const uint64_t want = codec_.encode(kO, f.b, f.token, f.head, d);
            if (part_id[po] != want)
              return fail(r, step_name(s) + ": part_o" + index_str(b, i, h, d) + " holds " +
                                 codec_.describe(part_id[po]) + ", expected " + codec_.describe(want));
            if (!m.init && acc_id[ao] != want)
              return fail(r, step_name(s) + " merges " + codec_.describe(want) + " into acc_o" + index_str(b, i, h, d) +
                                 ", which holds " + codec_.describe(acc_id[ao]));
            acc_id[ao] = want;
            acc_w[ao] = (m.init ? 0 : acc_w[ao]) + part_w[po];
          }
        }
  }

  void check_outputs() {
    const std::vector<MaskRegion> regions = mask_regions(p_);
    std::vector<std::pair<int64_t, int64_t>> ranges;
    for (size_t r = 0; r < plans_.size() && !failed_; ++r) {
      const Plan& plan = plans_[r];
      const int buf = plan.find_buffer(BufferRole::O);
      const View v = dense_view(buf, 0, {p_.B, plan.local_tokens(), p_.H, p_.D});
      int64_t row = 0;
      for (const Range& t : plan.tokens)
        for (int64_t token = t.begin; token < t.end(); ++token, ++row) {
          ranges.clear();
          mask_row_keys(regions, token, &ranges);
          uint32_t keys = 0;
          for (const auto& k : ranges) keys += static_cast<uint32_t>(k.second - k.first);
          for (int64_t b = 0; b < p_.B; ++b)
            for (int64_t h = 0; h < p_.H; ++h)
              for (int64_t d = 0; d < p_.D; ++d) {
                const int64_t o = at(v, b, row, h, d);
                const uint64_t want = codec_.encode(kO, b, token, h, d);
                if (mem_[r].id[buf][o] == want && mem_[r].w[buf][o] == keys) continue;
                const std::string idx = "O" + index_str(b, row, h, d) + " (token " + std::to_string(token) + ")";
                if (mem_[r].id[buf][o] != want)
                  return fail(static_cast<int>(r), idx + " holds " + codec_.describe(mem_[r].id[buf][o]) +
                                                       " at the end, not " + codec_.describe(want));
                if (mem_[r].w[buf][o] != keys)
                  return fail(static_cast<int>(r), idx + " holds the contributions of " +
                                                       std::to_string(mem_[r].w[buf][o]) +
                                                       " keys at the end; the mask allows " + std::to_string(keys));
              }
        }
    }
  }

  // Every local element of dQ holds its gradient over all the keys the mask gives its
  // row; of dK and dV, over every (query head of the group, query) pair that sees its key
  // (zero, never added to, where none does).
  void check_gradients() {
    const std::vector<MaskRegion> regions = mask_regions(p_);
    std::vector<std::pair<int64_t, int64_t>> ranges;
    std::vector<uint32_t> seen_by(static_cast<size_t>(p_.S) + 1, 0);  // difference array, then counts
    for (int64_t t = 0; t < p_.S; ++t) {
      ranges.clear();
      mask_row_keys(regions, t, &ranges);
      for (const auto& k : ranges) ++seen_by[static_cast<size_t>(k.first)], --seen_by[static_cast<size_t>(k.second)];
    }
    for (size_t t = 1; t < seen_by.size(); ++t) seen_by[t] += seen_by[t - 1];
    const uint32_t g = static_cast<uint32_t>(p_.group_size());
    const std::tuple<BufferRole, int64_t, int64_t> grads[] = {
        {BufferRole::DQ, kDQ, p_.H}, {BufferRole::DK, kDK, p_.Hkv}, {BufferRole::DV, kDV, p_.Hkv}};
    for (size_t r = 0; r < plans_.size() && !failed_; ++r)
      for (const auto& [role, kind, heads] : grads) {
        const Plan& plan = plans_[r];
        const int buf = plan.find_buffer(role);
        const View v = dense_view(buf, 0, {p_.B, plan.local_tokens(), heads, p_.D});
        int64_t row = 0;
        for (const Range& t : plan.tokens)
          for (int64_t token = t.begin; token < t.end(); ++token, ++row) {
            const uint32_t w = kind == kDQ ? row_keys_total(token) : g * seen_by[static_cast<size_t>(token)];
            for (int64_t b = 0; b < p_.B; ++b)
              for (int64_t h = 0; h < heads; ++h)
                for (int64_t d = 0; d < p_.D; ++d) {
                  const int64_t o = at(v, b, row, h, d);
                  const uint64_t want = w == 0 ? kZeroed : codec_.encode(kind, b, token, h, d);
                  const uint64_t got = mem_[r].id[buf][o];
                  if (got == want && mem_[r].w[buf][o] == w) continue;
                  const std::string idx = std::string(kKindNames[kind]) + index_str(b, row, h, d) + " (token " +
                                          std::to_string(token) + ")";
                  if (got != want)
                    return fail(static_cast<int>(r),
                                idx + " holds " + codec_.describe(got) + " at the end, not " + codec_.describe(want));
                  return fail(static_cast<int>(r),
                              idx + " holds the contributions of " + std::to_string(mem_[r].w[buf][o]) +
                                  " (query, key) pairs at the end; the mask gives it " + std::to_string(w));
                }
          }
      }
  }

  struct Memory {
    std::vector<std::vector<uint64_t>> id;  // [buffer][element]
    std::vector<std::vector<uint32_t>> w;
  };

  const std::vector<Plan>& plans_;
  const Problem& p_;
  bool data_;
  Errors& err_;
  Codec codec_;
  std::vector<Memory> mem_;
  std::vector<std::vector<Key>> key_;  // [rank][step]
  std::vector<uint32_t> row_keys_;     // [token]: keys the mask gives the row, built on first use
  bool failed_ = false;
};

}  // namespace

void simulate_plans(const std::vector<Plan>& plans, const Problem& p, bool with_data, Errors& errors) {
  Simulator(plans, p, with_data, errors).run();
}

}  // namespace check_detail
}  // namespace cpb
