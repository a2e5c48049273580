#include "bench/runtime/runnable_plan.hpp"

#include <vector>

#include "kernels/cpu/attention.hpp"
#include "kernels/cpu/lse_merge.hpp"

namespace cpb {
namespace {

std::string view_error(const Plan& plan, const View& v, const char* what) {
  const std::string name(what);
  if (v.buf < 0 || v.buf >= static_cast<int>(plan.buffers.size()))
    return name + " names buffer " + std::to_string(v.buf) + ", which does not exist";
  const Buffer& buf = plan.buffers[static_cast<size_t>(v.buf)];
  int64_t lo = v.offset, hi = v.offset;
  for (int i = 0; i < 4; ++i) {
    if (v.shape[i] < 1)
      return name + " has extent " + std::to_string(v.shape[i]) + " in dim " + std::to_string(i);
    const int64_t reach = (v.shape[i] - 1) * v.stride[i];
    (reach < 0 ? lo : hi) += reach;
  }
  if (lo < 0 || hi >= buf.elems)
    return name + " spans elements [" + std::to_string(lo) + ", " + std::to_string(hi) + "] of buffer \"" +
           buf.name + "\" (" + std::to_string(buf.elems) + " elements)";
  return "";
}

std::string slice_error(const Plan& plan, const Transfer& t, const char* what, int64_t max_elems) {
  const std::string name = std::string(what) + " to/from rank " + std::to_string(t.peer);
  if (t.peer < 0 || t.peer >= plan.world)
    return name + ": no such rank in a world of " + std::to_string(plan.world);
  if (t.slice.buf < 0 || t.slice.buf >= static_cast<int>(plan.buffers.size()))
    return name + " names buffer " + std::to_string(t.slice.buf) + ", which does not exist";
  const Buffer& buf = plan.buffers[static_cast<size_t>(t.slice.buf)];
  if (t.slice.offset < 0 || t.slice.count < 0 || t.slice.offset + t.slice.count > buf.elems)
    return name + ": slice [" + std::to_string(t.slice.offset) + ", +" + std::to_string(t.slice.count) +
           ") is outside buffer \"" + buf.name + "\" (" + std::to_string(buf.elems) + " elements)";
  if (t.slice.count > max_elems)
    return name + ": " + std::to_string(t.slice.count) + " elements exceed the transport's limit of " +
           std::to_string(max_elems);
  return "";
}

std::string exchange_error(const Plan& plan, const ExchangeOp& e, int64_t max_elems) {
  std::vector<int64_t> self_sends, self_recvs;
  for (const Transfer& t : e.sends) {
    std::string err = slice_error(plan, t, "send", max_elems);
    if (!err.empty()) return err;
    if (t.peer == plan.rank) self_sends.push_back(t.slice.count);
  }
  for (const Transfer& t : e.recvs) {
    std::string err = slice_error(plan, t, "receive", max_elems);
    if (!err.empty()) return err;
    if (t.peer == plan.rank) self_recvs.push_back(t.slice.count);
  }
  if (self_sends != self_recvs)
    return "sends to this rank (" + std::to_string(self_sends.size()) + ") and receives from it (" +
           std::to_string(self_recvs.size()) + ") do not pair up with equal sizes";
  return "";
}

std::string attention_error(const Plan& plan, const AttentionOp& a) {
  for (auto vw : {std::make_pair(&a.q, "q"), std::make_pair(&a.k, "k"), std::make_pair(&a.v, "v"),
                  std::make_pair(&a.o, "o")}) {
    std::string err = view_error(plan, *vw.first, vw.second);
    if (!err.empty()) return err;
  }
  if (a.has_lse) {
    std::string err = view_error(plan, a.lse, "lse");
    if (!err.empty()) return err;
  }
  return attention_shape_error(a.q.shape, a.k.shape, a.v.shape, a.o.shape, a.has_lse ? &a.lse.shape : nullptr,
                               a.causal);
}

std::string merge_error(const Plan& plan, const MergeOp& m) {
  for (auto vw : {std::make_pair(&m.part_o, "part_o"), std::make_pair(&m.part_lse, "part_lse"),
                  std::make_pair(&m.acc_o, "acc_o"), std::make_pair(&m.acc_lse, "acc_lse")}) {
    std::string err = view_error(plan, *vw.first, vw.second);
    if (!err.empty()) return err;
  }
  return merge_shape_error(m.part_o.shape, m.part_lse.shape, m.acc_o.shape, m.acc_lse.shape);
}

std::string copy_error(const Plan& plan, const CopyOp& c) {
  for (const CopyOp::Pair& pair : c.pairs) {
    std::string err = view_error(plan, pair.src, "src");
    if (err.empty()) err = view_error(plan, pair.dst, "dst");
    if (err.empty() && pair.src.shape != pair.dst.shape) err = "src and dst shapes differ";
    if (!err.empty()) return err;
  }
  return "";
}

std::string step_error(const Plan& plan, const Step& s, int64_t max_elems) {
  switch (s.kind()) {
    case OpKind::Copy:
      return copy_error(plan, std::get<CopyOp>(s.op));
    case OpKind::Exchange:
      return exchange_error(plan, std::get<ExchangeOp>(s.op), max_elems);
    case OpKind::Attention:
      return attention_error(plan, std::get<AttentionOp>(s.op));
    case OpKind::Merge:
      return merge_error(plan, std::get<MergeOp>(s.op));
  }
  return "unknown op";
}

std::string role_buffer_error(const Plan& plan, BufferRole role, int64_t need) {
  const int b = plan.find_buffer(role);
  if (b < 0) return "";
  const Buffer& buf = plan.buffers[static_cast<size_t>(b)];
  if (buf.elems < need)
    return std::string(to_string(role)) + " buffer \"" + buf.name + "\" has " + std::to_string(buf.elems) +
           " elements; the shard needs " + std::to_string(need);
  return "";
}

}  // namespace

std::string runnable_plan_error(const Problem& p, const Plan& plan, int64_t max_transfer_elems) {
  for (const Range& r : plan.tokens)
    if (r.begin < 0 || r.size < 0 || r.end() > p.S)
      return "token range [" + std::to_string(r.begin) + ", " + std::to_string(r.end()) +
             ") is outside [0, " + std::to_string(p.S) + ")";
  const int64_t rows = static_cast<int64_t>(p.B) * plan.local_tokens() * p.D;
  const std::pair<BufferRole, int64_t> shards[] = {{BufferRole::Q, rows * p.H},
                                                   {BufferRole::K, rows * p.Hkv},
                                                   {BufferRole::V, rows * p.Hkv},
                                                   {BufferRole::O, rows * p.H}};
  for (const auto& shard : shards) {
    std::string err = role_buffer_error(plan, shard.first, shard.second);
    if (!err.empty()) return err;
  }
  for (const Step& s : plan.steps) {
    std::string err;
    if (s.lane < 0 || s.lane >= static_cast<int>(plan.lanes.size()))
      err = "lane " + std::to_string(s.lane) + " does not exist";
    for (int d : s.deps)
      if (err.empty() && (d < 0 || d >= s.id)) err = "depends on step " + std::to_string(d) + ", which does not come before it";
    if (err.empty()) err = step_error(plan, s, max_transfer_elems);
    if (!err.empty()) return "step " + std::to_string(s.id) + " \"" + s.label + "\": " + err;
  }
  return "";
}

}  // namespace cpb
