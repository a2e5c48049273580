// The race check of check_plan: steps on different lanes run concurrently on the GPU
// unless a chain of deps orders them.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench/plan/plan_check_detail.hpp"

namespace cpb {
namespace check_detail {
namespace {

// One buffer access of a step: a view, or a contiguous slice (as a [1,1,1,count] view).
struct Access {
  View view;
  bool write = false;
  int64_t first = 0, last = 0;  // element range it may touch
};

Access make_access(const View& v, bool write) { return Access{v, write, v.offset, view_last(v)}; }

Access make_access(const Slice& s, bool write) {
  View v = dense_view(s.buf, s.offset, {1, 1, 1, s.count});
  return make_access(v, write);
}

std::vector<Access> accesses(const Step& s) {
  std::vector<Access> out;
  switch (s.kind()) {
    case OpKind::Copy:
      for (const CopyOp::Pair& pr : std::get<CopyOp>(s.op).pairs) {
        out.push_back(make_access(pr.src, false));
        out.push_back(make_access(pr.dst, true));
      }
      break;
    case OpKind::Exchange: {
      const ExchangeOp& e = std::get<ExchangeOp>(s.op);
      for (const Transfer& t : e.sends) out.push_back(make_access(t.slice, false));
      for (const Transfer& t : e.recvs) out.push_back(make_access(t.slice, true));
      break;
    }
    case OpKind::Attention: {
      const AttentionOp& a = std::get<AttentionOp>(s.op);
      for (const View* v : {&a.q, &a.k, &a.v}) out.push_back(make_access(*v, false));
      out.push_back(make_access(a.o, true));
      if (a.has_lse) out.push_back(make_access(a.lse, true));
      break;
    }
    case OpKind::Merge: {
      const MergeOp& m = std::get<MergeOp>(s.op);
      out.push_back(make_access(m.part_o, false));
      out.push_back(make_access(m.part_lse, false));
      out.push_back(make_access(m.acc_o, true));
      out.push_back(make_access(m.acc_lse, true));
      break;
    }
  }
  return out;
}

// Whether two views of one buffer share an element; `mark` is all zero on entry and exit.
bool share_element(const View& a, const View& b, std::vector<uint8_t>& mark) {
  for_each_offset(a, [&](int64_t o) { mark[o] = 1; });
  bool shared = false;
  for_each_offset(b, [&](int64_t o) { shared |= mark[o] != 0; });
  for_each_offset(a, [&](int64_t o) { mark[o] = 0; });
  return shared;
}

}  // namespace

void check_races(const Plan& plan, bool exact, Errors& errors) {
  const size_t n = plan.steps.size();
  const size_t words = (n + 63) / 64;
  // before[i]: bit j set when step j finishes before step i starts.
  std::vector<std::vector<uint64_t>> before(n, std::vector<uint64_t>(words, 0));
  std::vector<int> last_on_lane(plan.lanes.size(), -1);
  auto inherit = [&](size_t i, int j) {
    for (size_t w = 0; w < words; ++w) before[i][w] |= before[j][w];
    before[i][j / 64] |= uint64_t{1} << (j % 64);
  };
  std::vector<std::vector<Access>> acc(n);
  for (size_t i = 0; i < n; ++i) {
    const Step& s = plan.steps[i];
    for (int d : s.deps) inherit(i, d);
    if (last_on_lane[s.lane] >= 0) inherit(i, last_on_lane[s.lane]);
    last_on_lane[s.lane] = static_cast<int>(i);
    acc[i] = accesses(s);
  }
  size_t largest = 0;
  for (const Buffer& b : plan.buffers) largest = std::max(largest, static_cast<size_t>(b.elems));
  std::vector<uint8_t> mark(exact ? largest : 0, 0);

  for (size_t i = 0; i < n && !errors.full(); ++i)
    for (size_t j = 0; j < i; ++j) {
      if (before[i][j / 64] >> (j % 64) & 1) continue;
      bool race = false;
      for (const Access& x : acc[i]) {
        for (const Access& y : acc[j]) {
          if (x.view.buf != y.view.buf || !(x.write || y.write) || x.last < y.first || y.last < x.first) continue;
          if (!exact || share_element(x.view, y.view, mark)) {
            race = true;
            errors.add(step_name(plan.steps[j]) + " (lane \"" + plan.lanes[plan.steps[j].lane] + "\") and " +
                       step_name(plan.steps[i]) + " (lane \"" + plan.lanes[plan.steps[i].lane] +
                       "\") touch the same elements of " + buffer_name(plan, x.view.buf) +
                       ", one of them writing, but no lane order or deps order them");
            break;
          }
        }
        if (race) break;
      }
    }
}

}  // namespace check_detail
}  // namespace cpb
