#include "bench/plan/plan.hpp"

#include <algorithm>
#include <stdexcept>

#include "kernels/attention_flops.hpp"

namespace cpb {

View dense_view(int buf, int64_t offset, std::array<int64_t, 4> shape) {
  View v;
  v.buf = buf;
  v.offset = offset;
  v.shape = shape;
  v.stride = {shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1};
  return v;
}

int64_t Plan::local_tokens() const {
  int64_t n = 0;
  for (const Range& r : tokens) n += r.size;
  return n;
}

int Plan::find_buffer(BufferRole role) const {
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].role == role) return static_cast<int>(i);
  return -1;
}

int Plan::add_buffer(std::string name, Storage storage, BufferRole role, int64_t elems) {
  buffers.push_back(Buffer{std::move(name), storage, role, elems});
  return static_cast<int>(buffers.size()) - 1;
}

int Plan::add_lane(std::string name) {
  lanes.push_back(std::move(name));
  return static_cast<int>(lanes.size()) - 1;
}

int Plan::add_step(int lane, std::string label, StepOp op, std::vector<int> deps) {
  Step s;
  s.id = static_cast<int>(steps.size());
  s.lane = lane;
  s.label = std::move(label);
  s.op = std::move(op);
  s.deps = std::move(deps);
  steps.push_back(std::move(s));
  return steps.back().id;
}

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::Copy: return "copy";
    case OpKind::Exchange: return "exchange";
    case OpKind::Attention: return "attention";
    case OpKind::Merge: return "merge";
    case OpKind::AttentionBackward: return "attention_backward";
    case OpKind::Reduce: return "reduce";
    case OpKind::Zero: return "zero";
  }
  return "?";
}

const char* to_string(Storage s) { return s == Storage::F32 ? "f32" : "act"; }

const char* to_string(BufferRole r) {
  switch (r) {
    case BufferRole::Q: return "q";
    case BufferRole::K: return "k";
    case BufferRole::V: return "v";
    case BufferRole::O: return "o";
    case BufferRole::Scratch: return "scratch";
    case BufferRole::DO: return "do";
    case BufferRole::DQ: return "dq";
    case BufferRole::DK: return "dk";
    case BufferRole::DV: return "dv";
  }
  return "?";
}

Plan filter_steps(const Plan& plan, const std::function<bool(const Step&)>& keep) {
  Plan out;  // every field but the steps, which are added below (copying them would be wasted)
  out.schedule = plan.schedule;
  out.rank = plan.rank;
  out.world = plan.world;
  out.lanes = plan.lanes;
  out.buffers = plan.buffers;
  out.groups = plan.groups;
  out.tokens = plan.tokens;
  // new_id[i] >= 0: the kept step's new id. For a dropped step, resolved[i] holds the
  // (new ids of the) kept steps it transitively waited for, at most one per lane: steps
  // of one lane run in list order, so waiting for a lane's latest such step is waiting
  // for all of them (this keeps the sets small along long chains of dropped steps).
  std::vector<int> new_id(plan.steps.size(), -1);
  std::vector<std::vector<int>> resolved(plan.steps.size());
  std::vector<int> latest(plan.lanes.size(), -1);  // per lane: the largest new id seen for this step
  for (const Step& s : plan.steps) {
    std::vector<int> deps;
    for (int d : s.deps) {
      if (d < 0 || d >= s.id) throw std::logic_error("filter_steps: dependency does not point backwards");
      if (new_id[d] >= 0) {
        deps.push_back(new_id[d]);
      } else {
        deps.insert(deps.end(), resolved[d].begin(), resolved[d].end());
      }
    }
    for (const int d : deps) {
      int& l = latest.at(static_cast<size_t>(out.steps[static_cast<size_t>(d)].lane));
      l = std::max(l, d);
    }
    deps.clear();
    for (int& l : latest)
      if (l >= 0) deps.push_back(l), l = -1;
    std::sort(deps.begin(), deps.end());
    if (keep(s)) {
      new_id[s.id] = out.add_step(s.lane, s.label, s.op, deps);
      if (s.id < plan.timed_from) out.timed_from = new_id[s.id] + 1;
    } else {
      resolved[s.id] = std::move(deps);
    }
  }
  return out;
}

double attention_flops(const AttentionOp& a) {
  return attention_tile_flops(a.q.shape[0], a.q.shape[1], a.k.shape[1], a.q.shape[2], a.q.shape[3], a.mask());
}

double attention_flops(const AttentionBackwardOp& a) {
  return kBackwardFlopFactor *
         attention_tile_flops(a.q.shape[0], a.q.shape[1], a.k.shape[1], a.q.shape[2], a.q.shape[3], a.mask());
}

namespace {
double exchange_bytes(const Plan& plan, int act_bytes, bool sends) {
  double bytes = 0;
  for (const Step& s : plan.steps) {
    if (s.kind() != OpKind::Exchange || s.id < plan.timed_from) continue;
    const ExchangeOp& e = std::get<ExchangeOp>(s.op);
    for (const Transfer& t : sends ? e.sends : e.recvs) {
      if (t.peer == plan.rank) continue;
      const int eb = plan.buffers.at(t.slice.buf).storage == Storage::F32 ? 4 : act_bytes;
      bytes += static_cast<double>(t.slice.count) * eb;
    }
  }
  return bytes;
}
}  // namespace

double plan_send_bytes(const Plan& plan, int act_bytes) { return exchange_bytes(plan, act_bytes, true); }
double plan_recv_bytes(const Plan& plan, int act_bytes) { return exchange_bytes(plan, act_bytes, false); }

double plan_flops(const Plan& plan) {
  double f = 0;
  for (const Step& s : plan.steps) {
    if (s.id < plan.timed_from) continue;
    if (s.kind() == OpKind::Attention) f += attention_flops(std::get<AttentionOp>(s.op));
    if (s.kind() == OpKind::AttentionBackward) f += attention_flops(std::get<AttentionBackwardOp>(s.op));
  }
  return f;
}

}  // namespace cpb
