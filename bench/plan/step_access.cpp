#include "bench/plan/step_access.hpp"

#include <variant>

namespace cpb {
namespace {

Access view_access(const View& v, bool write) { return Access{v, write, v.offset, view_last(v)}; }

Access slice_access(const Slice& s, bool write) {
  return view_access(dense_view(s.buf, s.offset, {1, 1, 1, s.count}), write);
}

}  // namespace

int64_t view_last(const View& v) {
  int64_t last = v.offset;
  for (int i = 0; i < 4; ++i) last += (v.shape[i] - 1) * v.stride[i];
  return last;
}

std::vector<Access> step_accesses(const Step& s) {
  std::vector<Access> out;
  switch (s.kind()) {
    case OpKind::Copy:
      for (const CopyOp::Pair& pr : std::get<CopyOp>(s.op).pairs) {
        out.push_back(view_access(pr.src, false));
        out.push_back(view_access(pr.dst, true));
      }
      break;
    case OpKind::Exchange: {
      const ExchangeOp& e = std::get<ExchangeOp>(s.op);
      for (const Transfer& t : e.sends) out.push_back(slice_access(t.slice, false));
      for (const Transfer& t : e.recvs) out.push_back(slice_access(t.slice, true));
      break;
    }
    case OpKind::Attention: {
      const AttentionOp& a = std::get<AttentionOp>(s.op);
      for (const View* v : {&a.q, &a.k, &a.v}) out.push_back(view_access(*v, false));
      out.push_back(view_access(a.o, true));
      if (a.has_lse) out.push_back(view_access(a.lse, true));
      break;
    }
    case OpKind::Merge: {
      const MergeOp& m = std::get<MergeOp>(s.op);
      out.push_back(view_access(m.part_o, false));
      out.push_back(view_access(m.part_lse, false));
      out.push_back(view_access(m.acc_o, true));
      out.push_back(view_access(m.acc_lse, true));
      break;
    }
    case OpKind::AttentionBackward: {
      // The gradients are read and written (added into): two steps adding into the same
      // elements conflict, as they must run one after the other.
      const AttentionBackwardOp& a = std::get<AttentionBackwardOp>(s.op);
      for (const View* v : {&a.q, &a.k, &a.v, &a.o, &a.dout, &a.lse}) out.push_back(view_access(*v, false));
      for (const View* v : {&a.dq, &a.dk, &a.dv}) out.push_back(view_access(*v, true));
      break;
    }
    case OpKind::Reduce:
      for (const CopyOp::Pair& pr : std::get<ReduceOp>(s.op).pairs) {
        out.push_back(view_access(pr.src, false));
        out.push_back(view_access(pr.dst, true));
      }
      break;
    case OpKind::Zero:
      for (const Slice& z : std::get<ZeroOp>(s.op).slices) out.push_back(slice_access(z, true));
      break;
  }
  return out;
}

bool ranges_conflict(const Access& x, const Access& y) {
  return x.view.buf == y.view.buf && (x.write || y.write) && x.first <= y.last && y.first <= x.last;
}

}  // namespace cpb
