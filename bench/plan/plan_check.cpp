#include "bench/plan/plan_check.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <sstream>

#include "bench/mask/mask_regions.hpp"
#include "bench/plan/plan_check_detail.hpp"
#include "bench/plan/step_access.hpp"

namespace cpb {
namespace check_detail {

void Errors::add(const std::string& sentence) {
  ++added_;
  if (out_->size() < kMaxPlanErrors) out_->push_back(sentence);
}

bool Errors::full() const { return out_->size() >= kMaxPlanErrors; }

std::string step_name(const Step& s) { return "step " + std::to_string(s.id) + " \"" + s.label + "\""; }

std::string buffer_name(const Plan& plan, int buf) { return "buffer \"" + plan.buffers[buf].name + "\""; }

std::string show(const View& v) {
  std::ostringstream os;
  os << "@" << v.offset << " [" << v.shape[0] << "," << v.shape[1] << "," << v.shape[2] << "," << v.shape[3] << "]/["
     << v.stride[0] << "," << v.stride[1] << "," << v.stride[2] << "," << v.stride[3] << "]";
  return os.str();
}

}  // namespace check_detail

namespace {

using check_detail::buffer_name;
using check_detail::Errors;
using check_detail::show;

bool is_dense(const View& v) {
  return v.stride[3] == 1 && v.stride[2] == v.shape[3] && v.stride[1] == v.shape[2] * v.shape[3] &&
         v.stride[0] == v.shape[1] * v.shape[2] * v.shape[3];
}

bool in(Range r, int64_t lo, int64_t hi) { return r.size >= 1 && r.begin >= lo && r.end() <= hi; }

std::string range_str(Range r) { return "[" + std::to_string(r.begin) + ", " + std::to_string(r.end()) + ")"; }

// The rules of one rank's plan. At Level::Runnable only those a runtime needs to run the
// plan without touching memory outside a buffer, waiting on a later step or handing a
// kernel shapes it cannot take; at Level::Contract also the rest of plan.hpp's contracts.
class RankChecker {
 public:
  enum class Level { Runnable, Contract };
  RankChecker(const Plan& plan, const Problem& p, Level level, int64_t max_transfer_elems, Errors& errors)
      : plan_(plan), p_(p), contract_(level == Level::Contract), max_transfer_elems_(max_transfer_elems),
        err_(errors) {}

  void run() {
    if (contract_) header();
    tokens();
    buffers();
    if (plan_.timed_from < 0 || plan_.timed_from > static_cast<int>(plan_.steps.size()))
      err_.add("timed_from=" + std::to_string(plan_.timed_from) + " is outside [0, " +
               std::to_string(plan_.steps.size()) + "]");
    for (size_t i = 0; i < plan_.steps.size() && !err_.full(); ++i) step(plan_.steps[i], static_cast<int>(i));
  }

 private:
  void header() {
    if (plan_.world != p_.P)
      err_.add("world=" + std::to_string(plan_.world) + " differs from the problem's P=" + std::to_string(p_.P));
    if (plan_.rank < 0 || plan_.rank >= p_.P)
      err_.add("rank=" + std::to_string(plan_.rank) + " is outside [0, " + std::to_string(p_.P) + ")");
    if (plan_.lanes.empty()) err_.add("the plan has no lanes");
    std::set<std::string> names;
    for (const std::string& l : plan_.lanes)
      if (l.empty() || !names.insert(l).second) err_.add("lane name \"" + l + "\" is empty or repeated");
    for (size_t g = 0; g < plan_.groups.size(); ++g) {
      std::set<int> seen;
      if (plan_.groups[g].empty()) err_.add("group " + std::to_string(g) + " is empty");
      for (int r : plan_.groups[g])
        if (r < 0 || r >= p_.P || !seen.insert(r).second)
          err_.add("group " + std::to_string(g) + " lists rank " + std::to_string(r) +
                   ", which is outside [0, P) or repeated");
    }
  }

  void tokens() {
    for (const Range& r : plan_.tokens)
      if (r.begin < 0 || r.size < 0 || r.end() > p_.S)
        err_.add("token range " + range_str(r) + " is outside [0, S=" + std::to_string(p_.S) + ")");
      else if (contract_ && r.size < 1)
        err_.add("token range " + range_str(r) + " is empty");
  }

  // Runnable: every buffer holds an element and a Q, K, V or O buffer holds at least the
  // shard the runtime fills or verifies. Contract: exactly one of each, Act, exactly the shard.
  void buffers() {
    for (size_t i = 0; i < plan_.buffers.size(); ++i)
      if (plan_.buffers[i].elems < 1)
        err_.add(buffer_name(plan_, static_cast<int>(i)) + " has " + std::to_string(plan_.buffers[i].elems) +
                 " elements");
    const int64_t rows = static_cast<int64_t>(p_.B) * plan_.local_tokens() * p_.D;
    const std::pair<BufferRole, int64_t> roles[] = {{BufferRole::Q, rows * p_.H},    {BufferRole::K, rows * p_.Hkv},
                                                    {BufferRole::V, rows * p_.Hkv},  {BufferRole::O, rows * p_.H},
                                                    {BufferRole::DO, rows * p_.H},   {BufferRole::DQ, rows * p_.H},
                                                    {BufferRole::DK, rows * p_.Hkv}, {BufferRole::DV, rows * p_.Hkv}};
    for (const auto& role : roles) {
      const bool gradient = role.first != BufferRole::Q && role.first != BufferRole::K && role.first != BufferRole::V &&
                            role.first != BufferRole::O;
      if (gradient && !p_.backward()) {
        if (contract_ && plan_.find_buffer(role.first) >= 0)
          err_.add(std::string("the plan has a buffer of role ") + to_string(role.first) + " but pass " +
                   to_string(p_.pass) + " computes no gradients");
        continue;
      }
      int count = 0;
      for (const Buffer& b : plan_.buffers) {
        if (b.role != role.first) continue;
        ++count;
        if (contract_ && b.storage != Storage::Act)
          err_.add(std::string(to_string(role.first)) + " buffer \"" + b.name + "\" is not Act storage");
        if (b.elems < role.second || (contract_ && b.elems != role.second))
          err_.add(std::string(to_string(role.first)) + " buffer \"" + b.name + "\" has " + std::to_string(b.elems) +
                   " elements; the shard [B, local tokens, heads, D] has " + std::to_string(role.second));
      }
      if (contract_ && count != 1)
        err_.add("the plan has " + std::to_string(count) + " buffers of role " + to_string(role.first) +
                 "; it needs one");
    }
  }

  bool view(const View& v, const std::string& what) {
    if (v.buf < 0 || v.buf >= static_cast<int>(plan_.buffers.size())) {
      err_.add(where_ + what + " names buffer " + std::to_string(v.buf) + ", which does not exist");
      return false;
    }
    for (int i = 0; i < 4; ++i)
      if (v.shape[i] < 1 || v.stride[i] < 0) {
        err_.add(where_ + what + " " + show(v) + " has an extent below 1 or a negative stride");
        return false;
      }
    const int64_t last = view_last(v);
    if (v.offset < 0 || last >= plan_.buffers[v.buf].elems) {
      err_.add(where_ + what + " " + show(v) + " reaches element " + std::to_string(last) + " of " +
               buffer_name(plan_, v.buf) + ", which has " + std::to_string(plan_.buffers[v.buf].elems));
      return false;
    }
    return true;
  }

  void storage(const View& v, Storage s, const std::string& what) {
    if (contract_ && plan_.buffers[v.buf].storage != s)
      err_.add(where_ + what + " lies in " + buffer_name(plan_, v.buf) + " of " +
               to_string(plan_.buffers[v.buf].storage) + " storage; it must be " + to_string(s));
  }

  // Runnable: the [B, H, S, 1] shape of `rows` ([B, S, H, D]). Contract: also F32 and dense.
  void lse(const View& v, const View& rows, const std::string& what) {
    storage(v, Storage::F32, what);
    const std::array<int64_t, 4> want{rows.shape[0], rows.shape[2], rows.shape[1], 1};
    const std::string shape = "[" + std::to_string(want[0]) + "," + std::to_string(want[1]) + "," +
                              std::to_string(want[2]) + ",1]";
    if (v.shape != want)
      err_.add(where_ + what + " " + show(v) + " is not the [B, H, S, 1] view " + shape + " of its rows");
    else if (contract_ && !is_dense(v))
      err_.add(where_ + what + " " + show(v) + " is not a dense [B, H, S, 1] view matching its rows " + shape);
  }

  void step(const Step& s, int index) {
    where_ = check_detail::step_name(s) + ": ";
    if (s.id != index) err_.add(where_ + "id differs from its position " + std::to_string(index));
    if (s.lane < 0 || s.lane >= static_cast<int>(plan_.lanes.size()))
      err_.add(where_ + "lane " + std::to_string(s.lane) + " does not exist");
    for (int d : s.deps)
      if (d < 0 || d >= index)
        err_.add(where_ + "depends on step " + std::to_string(d) + ", which is not an earlier step");
    switch (s.kind()) {
      case OpKind::Copy:
        copy(std::get<CopyOp>(s.op));
        break;
      case OpKind::Exchange:
        exchange(std::get<ExchangeOp>(s.op));
        break;
      case OpKind::Attention:
        attention(std::get<AttentionOp>(s.op));
        break;
      case OpKind::Merge:
        merge(std::get<MergeOp>(s.op));
        break;
      case OpKind::AttentionBackward:
        attention_backward(std::get<AttentionBackwardOp>(s.op));
        break;
      case OpKind::Reduce:
        copy(std::get<ReduceOp>(s.op).pairs, "reduces");
        break;
      case OpKind::Zero:
        zero(std::get<ZeroOp>(s.op));
        break;
    }
  }

  void copy(const CopyOp& c) { copy(c.pairs, "copies"); }

  // Copy and Reduce: `verb` is "copies" or "reduces".
  void copy(const std::vector<CopyOp::Pair>& pairs, const std::string& verb) {
    if (contract_ && pairs.empty()) err_.add(where_ + verb + " nothing");
    for (size_t i = 0; i < pairs.size(); ++i) {
      const std::string n = "pair " + std::to_string(i);
      if (view(pairs[i].src, n + " src") && view(pairs[i].dst, n + " dst") && pairs[i].src.shape != pairs[i].dst.shape)
        err_.add(where_ + n + " " + verb + " " + show(pairs[i].src) + " to the differently shaped " +
                 show(pairs[i].dst));
    }
  }

  void zero(const ZeroOp& z) {
    if (contract_ && z.slices.empty()) err_.add(where_ + "zeroes nothing");
    for (size_t i = 0; i < z.slices.size(); ++i) {
      const Slice& sl = z.slices[i];
      if (sl.buf < 0 || sl.buf >= static_cast<int>(plan_.buffers.size())) {
        err_.add(where_ + "slice " + std::to_string(i) + " names buffer " + std::to_string(sl.buf) +
                 ", which does not exist");
      } else if (sl.count < 1 || sl.offset < 0 || sl.offset + sl.count > plan_.buffers[sl.buf].elems) {
        err_.add(where_ + "slice [" + std::to_string(sl.offset) + ", +" + std::to_string(sl.count) + ") of " +
                 buffer_name(plan_, sl.buf) + " (" + std::to_string(plan_.buffers[sl.buf].elems) +
                 " elements) is empty or outside it");
      }
    }
  }

  void attention_backward(const AttentionBackwardOp& a) {
    const std::pair<const View*, const char*> views[] = {{&a.q, "q"},   {&a.k, "k"},       {&a.v, "v"},
                                                         {&a.o, "o"},   {&a.dout, "dout"}, {&a.lse, "lse"},
                                                         {&a.dq, "dq"}, {&a.dk, "dk"},     {&a.dv, "dv"}};
    bool ok = true;
    for (const auto& v : views) ok = view(*v.first, v.second) && ok;
    if (!ok) return;
    attention_shapes(a);
    const std::pair<const View*, const char*> like_q[] = {{&a.dout, "dout"}, {&a.dq, "dq"}};
    for (const auto& v : like_q)
      if (v.first->shape != a.q.shape)
        err_.add(where_ + v.second + " " + show(*v.first) + " and q " + show(a.q) + " differ in shape");
    const std::pair<const View*, const char*> like_k[] = {{&a.dk, "dk"}, {&a.dv, "dv"}};
    for (const auto& v : like_k)
      if (v.first->shape != a.k.shape)
        err_.add(where_ + v.second + " " + show(*v.first) + " and k " + show(a.k) + " differ in shape");
    lse(a.lse, a.q, "lse");
    if (!contract_) return;
    attention_contract(a);
    storage(a.dout, Storage::Act, "dout");
    for (const auto& v : {like_q[1], like_k[0], like_k[1]})
      if (v.first->stride[3] != 1) err_.add(where_ + v.second + " " + show(*v.first) + " needs stride 1 in dim 3");
  }

  void exchange(const ExchangeOp& e) {
    if (contract_) exchange_group(e);
    std::vector<int64_t> self_sends, self_recvs;
    for (const auto* list : {&e.sends, &e.recvs})
      for (const Transfer& t : *list) {
        transfer(t, list == &e.sends ? "send to rank " : "receive from rank ");
        if (t.peer == plan_.rank) (list == &e.sends ? self_sends : self_recvs).push_back(t.slice.count);
      }
    if (self_sends != self_recvs)
      err_.add(where_ + "sends to this rank (" + std::to_string(self_sends.size()) + ") and receives from it (" +
               std::to_string(self_recvs.size()) + ") do not pair up, in order, with equal sizes");
  }

  void exchange_group(const ExchangeOp& e) {
    if (e.sends.empty() && e.recvs.empty()) err_.add(where_ + "exchanges nothing");
    if (e.group < 0 || e.group >= static_cast<int>(plan_.groups.size())) {
      err_.add(where_ + "group " + std::to_string(e.group) + " does not exist");
      return;
    }
    const std::vector<int>& members = plan_.groups[e.group];
    auto member = [&](int r) { return std::find(members.begin(), members.end(), r) != members.end(); };
    if (!member(plan_.rank)) err_.add(where_ + "this rank is not in its group " + std::to_string(e.group));
    for (const auto* list : {&e.sends, &e.recvs})
      for (const Transfer& t : *list)
        if (!member(t.peer))
          err_.add(where_ + (list == &e.sends ? "send to rank " : "receive from rank ") + std::to_string(t.peer) +
                   ": the peer is not in group " + std::to_string(e.group));
  }

  // `what` is "send to rank " or "receive from rank ".
  void transfer(const Transfer& t, const std::string& what) {
    const std::string n = where_ + what + std::to_string(t.peer);
    const Slice& sl = t.slice;
    if (t.peer < 0 || t.peer >= plan_.world)
      err_.add(n + ": no such rank in a world of " + std::to_string(plan_.world));
    if (sl.buf < 0 || sl.buf >= static_cast<int>(plan_.buffers.size())) {
      err_.add(n + " names buffer " + std::to_string(sl.buf) + ", which does not exist");
      return;
    }
    const std::string slice = "slice [" + std::to_string(sl.offset) + ", +" + std::to_string(sl.count) + ")";
    const std::string in = buffer_name(plan_, sl.buf) + " (" + std::to_string(plan_.buffers[sl.buf].elems) +
                           " elements)";
    if (sl.count < 0 || sl.offset < 0 || sl.offset + sl.count > plan_.buffers[sl.buf].elems)
      err_.add(n + ": " + slice + " is outside " + in);
    else if (contract_ && sl.count < 1)
      err_.add(n + ": " + slice + " of " + in + " is empty");
    if (sl.count > max_transfer_elems_)
      err_.add(n + ": " + std::to_string(sl.count) + " elements exceed the transport's limit of " +
               std::to_string(max_transfer_elems_));
  }

  void attention(const AttentionOp& a) {
    const std::pair<const View*, const char*> views[] = {{&a.q, "q"}, {&a.k, "k"}, {&a.v, "v"}, {&a.o, "o"}};
    bool ok = true;
    for (const auto& v : views) ok = view(*v.first, v.second) && ok;
    if (a.has_lse) ok = view(a.lse, "lse") && ok;
    if (!ok) return;
    attention_shapes(a);
    if (a.has_lse) lse(a.lse, a.q, "lse");
    if (contract_) attention_contract(a);
  }

  // What the attention kernels accept: q, o [B, Sq, Hq, D]; k, v [B, Skv, Hk, D];
  // Hq % Hk == 0; a tile mask valid for Sq x Skv (every query row sees a key).
  template <class Op>
  void attention_shapes(const Op& a) {
    if (a.q.shape != a.o.shape) err_.add(where_ + "q " + show(a.q) + " and o " + show(a.o) + " differ in shape");
    if (a.k.shape != a.v.shape) err_.add(where_ + "k " + show(a.k) + " and v " + show(a.v) + " differ in shape");
    if (a.k.shape[0] != a.q.shape[0] || a.k.shape[3] != a.q.shape[3])
      err_.add(where_ + "k " + show(a.k) + " and q " + show(a.q) + " differ in B or D");
    const int64_t hq = a.q.shape[2], hk = a.k.shape[2];
    if (hq % hk != 0)
      err_.add(where_ + std::to_string(hq) + " query heads are not a multiple of " + std::to_string(hk) +
               " key/value heads");
    const std::string mask_err = tile_mask_error(a.mask(), a.q.shape[1], a.k.shape[1]);
    if (!mask_err.empty()) err_.add(where_ + mask_err);
  }

  template <class Op>
  void attention_contract(const Op& a) {
    const std::pair<const View*, const char*> views[] = {{&a.q, "q"}, {&a.k, "k"}, {&a.v, "v"}, {&a.o, "o"}};
    for (const auto& v : views) {
      storage(*v.first, Storage::Act, v.second);
      if (v.first->stride[3] != 1 || v.first->shape[3] != p_.D)
        err_.add(where_ + v.second + " " + show(*v.first) + " needs extent D=" + std::to_string(p_.D) +
                 " and stride 1 in dim 3");
      if (v.first->shape[0] != p_.B)
        err_.add(where_ + v.second + " " + show(*v.first) + " covers " + std::to_string(v.first->shape[0]) +
                 " batches; tiles cover all B=" + std::to_string(p_.B));
    }
    const int64_t hq = a.q.shape[2];
    if (a.heads.size != hq || !in(a.heads, 0, p_.H))
      err_.add(where_ + "heads " + range_str(a.heads) + " must be " + std::to_string(hq) +
               " query heads inside [0, H)");
    if (a.q_tokens.size != a.q.shape[1] || !in(a.q_tokens, 0, p_.S))
      err_.add(where_ + "q_tokens " + range_str(a.q_tokens) + " must be " + std::to_string(a.q.shape[1]) +
               " tokens inside [0, S)");
    if (a.k_tokens.size != a.k.shape[1] || !in(a.k_tokens, 0, p_.S))
      err_.add(where_ + "k_tokens " + range_str(a.k_tokens) + " must be " + std::to_string(a.k.shape[1]) +
               " tokens inside [0, S)");
    tile_inside_mask(a);
    if (a.scale != static_cast<float>(p_.softmax_scale()))
      err_.add(where_ + "scale " + std::to_string(a.scale) + " is not 1/sqrt(D)");
  }

  // Every pair the tile computes is one the problem's mask allows: each query row's keys
  // lie inside one of the mask's key ranges of that token.
  template <class Op>
  void tile_inside_mask(const Op& a) {
    if (regions_.empty()) regions_ = mask_regions(p_);
    std::vector<std::pair<int64_t, int64_t>> allowed;
    for (int64_t i = 0; i < a.q_tokens.size; ++i) {
      int64_t first = 0, last = 0;
      row_keys(a.mask(), i, a.k_tokens.size, &first, &last);
      first += a.k_tokens.begin;
      last += a.k_tokens.begin;
      allowed.clear();
      mask_row_keys(regions_, a.q_tokens.begin + i, &allowed);
      const bool inside = std::any_of(allowed.begin(), allowed.end(), [&](const std::pair<int64_t, int64_t>& r) {
        return r.first <= first && last <= r.second;
      });
      if (inside) continue;
      err_.add(where_ + "query token " + std::to_string(a.q_tokens.begin + i) + " of the tile sees keys [" +
               std::to_string(first) + ", " + std::to_string(last) + "), which the " + to_string(p_.mask) +
               " mask does not allow");
      return;
    }
  }

  void merge(const MergeOp& m) {
    // `&`, not `&&`: every view gets its own report.
    const bool ok =
        view(m.part_o, "part_o") & view(m.part_lse, "part_lse") & view(m.acc_o, "acc_o") & view(m.acc_lse, "acc_lse");
    if (!ok) return;
    storage(m.part_o, Storage::Act, "part_o");
    // F32, or Act: the output itself, merged into once (MergeOp).
    if (plan_.buffers[m.acc_o.buf].storage != Storage::Act) storage(m.acc_o, Storage::F32, "acc_o");
    if (m.part_o.shape != m.acc_o.shape)
      err_.add(where_ + "part_o " + show(m.part_o) + " and acc_o " + show(m.acc_o) + " differ in shape");
    lse(m.part_lse, m.part_o, "part_lse");
    lse(m.acc_lse, m.part_o, "acc_lse");
  }

  const Plan& plan_;
  const Problem& p_;
  std::vector<MaskRegion> regions_;  // the problem's mask, built at the first tile checked
  const bool contract_;
  const int64_t max_transfer_elems_;
  Errors& err_;
  std::string where_;
};

}  // namespace

std::vector<std::string> check_plan(const Plan& plan, const Problem& p) {
  std::vector<std::string> out;
  Errors errors(&out);
  RankChecker(plan, p, RankChecker::Level::Contract, std::numeric_limits<int64_t>::max(), errors).run();
  if (!errors.any()) check_detail::check_races(plan, plan_checks_are_exhaustive(p), errors);
  return out;
}

std::vector<std::string> check_runnable(const Plan& plan, const Problem& p, int64_t max_transfer_elems) {
  std::vector<std::string> out;
  Errors errors(&out);
  RankChecker(plan, p, RankChecker::Level::Runnable, max_transfer_elems, errors).run();
  return out;
}

bool plan_checks_are_exhaustive(const Problem& p) {
  const double pairs = static_cast<double>(p.H) * static_cast<double>(p.S) * static_cast<double>(p.S);
  const double elems = static_cast<double>(p.B) * static_cast<double>(p.S) * p.H * p.D;
  return pairs <= static_cast<double>(1 << 26) && elems <= static_cast<double>(1 << 21);
}

}  // namespace cpb
