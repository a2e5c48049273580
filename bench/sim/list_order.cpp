// The list scheduler of list_order.hpp: pinned edges, bottom levels, the forward play.
#include "bench/sim/list_order.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <variant>

#include "bench/sim/sim_graph.hpp"

namespace cpb {
namespace {

// An element interval of a buffer a step reads or writes.
struct Touch {
  int buf = -1;
  int64_t first = 0, last = 0;
  bool write = false;
};

Touch touch(const View& v, bool write) {
  int64_t last = v.offset;
  for (size_t d = 0; d < 4; ++d) last += (v.shape[d] - 1) * v.stride[d];
  return Touch{v.buf, v.offset, last, write};
}

// Every buffer range of a compute step; an empty list for a Copy whose pairs were
// released (priced plans): `unknown` then says it may touch anything.
std::vector<Touch> touches(const Step& s, bool* unknown) {
  std::vector<Touch> out;
  *unknown = false;
  if (const auto* c = std::get_if<CopyOp>(&s.op)) {
    *unknown = c->pairs.empty();
    for (const CopyOp::Pair& pr : c->pairs) out.push_back(touch(pr.src, false)), out.push_back(touch(pr.dst, true));
  } else if (const auto* a = std::get_if<AttentionOp>(&s.op)) {
    for (const View* v : {&a->q, &a->k, &a->v}) out.push_back(touch(*v, false));
    out.push_back(touch(a->o, true));
    if (a->has_lse) out.push_back(touch(a->lse, true));
  } else if (const auto* m = std::get_if<MergeOp>(&s.op)) {
    out.push_back(touch(m->part_o, false));
    out.push_back(touch(m->part_lse, false));
    out.push_back(touch(m->acc_o, true));
    out.push_back(touch(m->acc_lse, true));
  }
  return out;
}

}  // namespace

std::vector<std::vector<int>> pinned_preds(const Plan& plan) {
  const size_t n = plan.steps.size();
  std::vector<std::vector<int>> pred(n);
  std::vector<std::vector<int>> on_lane(plan.lanes.size());
  for (const Step& s : plan.steps) {
    std::vector<int>& p = pred[static_cast<size_t>(s.id)];
    p = s.deps;
    std::vector<int>& lane = on_lane[static_cast<size_t>(s.lane)];
    for (auto it = lane.rbegin(); it != lane.rend(); ++it) {
      const Step& e = plan.steps[static_cast<size_t>(*it)];
      if (s.is_comm() || e.is_comm() || lane_order_needed(plan, *it, s.id)) p.push_back(*it);
      if (e.is_comm()) break;  // it is pinned after everything before it on the lane
    }
    lane.push_back(s.id);
  }
  return pred;
}

namespace {

// Estimated time of an exchange instance [ms]: its latency, one message delay, and the
// largest member's bytes sent or received (to or from other ranks) at the link's rate.
double instance_ms(const std::vector<Plan>& plans, const sim::SimGraph& g, const sim::Instance& inst,
                   const SimLinks& links) {
  double worst = 0;
  bool leaves_node = false;
  for (int m = inst.members_begin; m < inst.members_end; ++m) {
    const int step = g.member_steps[m], r = g.rank_of[step];
    const Plan& plan = plans[r];
    const auto& ex = std::get<ExchangeOp>(plan.steps[step - g.first[r]].op);
    double sent = 0, received = 0;
    for (const Transfer& t : ex.sends)
      if (t.peer != r) sent += sim::slice_bytes(plan, t.slice, links.act_bytes);
    for (const Transfer& t : ex.recvs)
      if (t.peer != r) received += sim::slice_bytes(plan, t.slice, links.act_bytes);
    for (const Transfer& t : ex.sends) leaves_node |= t.peer / links.gpus_per_node != r / links.gpus_per_node;
    worst = std::max({worst, sent, received});
  }
  const double gbps = leaves_node ? std::min(links.intra_gbps, links.inter_gbps) : links.intra_gbps;
  return (links.latency_us + links.per_message_us + (leaves_node ? links.inter_latency_us : 0)) * 1e-3 +
         worst / (gbps * 1e6);
}

// The scheduler's graph: one node per compute step (its global step number) and one per
// exchange instance (steps + instance), with the pinned edges between nodes.
struct NodeGraph {
  int steps = 0;
  std::vector<double> cost;            // [node] ms
  std::vector<int> rank;               // [node]: the compute step's rank, -1 for an instance
  std::vector<std::vector<int>> succ;  // [node]
  std::vector<int> preds;              // [node]: count, with repeats
};

NodeGraph node_graph(const std::vector<Plan>& plans, const sim::SimGraph& g, const SimLinks& links) {
  NodeGraph ng;
  ng.steps = g.steps();
  const int n = ng.steps + static_cast<int>(g.instances.size());
  ng.cost.assign(n, 0.0);
  ng.rank.assign(n, -1);
  ng.succ.resize(n);
  ng.preds.assign(n, 0);
  auto node = [&](int step) { return g.instance_of[step] >= 0 ? ng.steps + g.instance_of[step] : step; };
  for (int s = 0; s < ng.steps; ++s)
    if (g.instance_of[s] < 0) ng.cost[s] = g.work_ms[s], ng.rank[s] = g.rank_of[s];
  for (size_t i = 0; i < g.instances.size(); ++i)
    ng.cost[ng.steps + static_cast<int>(i)] = instance_ms(plans, g, g.instances[i], links);
  for (int r = 0; r < static_cast<int>(plans.size()); ++r) {
    const std::vector<std::vector<int>> pred = pinned_preds(plans[r]);
    for (size_t s = 0; s < pred.size(); ++s)
      for (const int p : pred[s]) {
        const int from = node(g.first[r] + p), to = node(g.first[r] + static_cast<int>(s));
        if (from == to) continue;
        ng.succ[from].push_back(to);
        ++ng.preds[to];
      }
  }
  return ng;
}

// Bottom level of every node: its cost plus the largest bottom level of its successors.
std::vector<double> bottom_levels(const NodeGraph& ng) {
  const int n = static_cast<int>(ng.cost.size());
  std::vector<int> left = ng.preds, order;
  order.reserve(n);
  for (int v = 0; v < n; ++v)
    if (left[v] == 0) order.push_back(v);
  for (size_t i = 0; i < order.size(); ++i)
    for (const int s : ng.succ[order[i]])
      if (--left[s] == 0) order.push_back(s);
  if (static_cast<int>(order.size()) != n) throw std::logic_error("list_order: the pinned edges have a cycle");
  std::vector<double> level(n, 0.0);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    double tail = 0;
    for (const int s : ng.succ[*it]) tail = std::max(tail, level[s]);
    level[*it] = ng.cost[*it] + tail;
  }
  return level;
}

// The forward play: start time of every node [ms].
std::vector<double> play(const NodeGraph& ng, const std::vector<double>& level, int ranks) {
  const int n = static_cast<int>(ng.cost.size());
  std::vector<int> left = ng.preds;
  std::vector<double> start(n, 0.0), ready_at(n, 0.0);
  using Event = std::pair<double, int>;  // (end time, node)
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> ends;
  std::vector<std::vector<int>> ready(ranks);  // compute nodes whose preds have ended
  std::vector<char> busy(ranks, 0);
  auto on_ready = [&](int v, double t) {
    ready_at[v] = t;
    if (ng.rank[v] < 0) {
      start[v] = t;
      ends.push({t + ng.cost[v], v});
    } else {
      ready[ng.rank[v]].push_back(v);
    }
  };
  for (int v = 0; v < n; ++v)
    if (left[v] == 0) on_ready(v, 0.0);
  double now = 0;
  for (;;) {
    for (int r = 0; r < ranks; ++r) {
      if (busy[r] || ready[r].empty()) continue;
      auto best = std::min_element(ready[r].begin(), ready[r].end(), [&](int a, int b) {
        return std::make_tuple(-level[a], a) < std::make_tuple(-level[b], b);
      });
      const int v = *best;
      ready[r].erase(best);
      busy[r] = 1;
      start[v] = now;
      ends.push({now + ng.cost[v], v});
    }
    if (ends.empty()) break;
    now = ends.top().first;
    while (!ends.empty() && ends.top().first <= now) {
      const int v = ends.top().second;
      ends.pop();
      if (ng.rank[v] >= 0) busy[ng.rank[v]] = 0;
      for (const int s : ng.succ[v])
        if (--left[s] == 0) on_ready(s, now);
    }
  }
  return start;
}

}  // namespace

bool lane_order_needed(const Plan& plan, int i, int j) {
  bool unknown_i = false, unknown_j = false;
  const std::vector<Touch> a = touches(plan.steps[static_cast<size_t>(i)], &unknown_i);
  const std::vector<Touch> b = touches(plan.steps[static_cast<size_t>(j)], &unknown_j);
  if (unknown_i || unknown_j) return true;
  for (const Touch& x : a)
    for (const Touch& y : b)
      if (x.buf == y.buf && (x.write || y.write) && x.first <= y.last && y.first <= x.last) return true;
  return false;
}

Plan reorder_steps(const Plan& plan, const std::vector<int>& order) {
  const size_t n = plan.steps.size();
  std::vector<int> new_id(n, -1);
  if (order.size() != n) throw std::logic_error("reorder_steps: the order does not list every step once");
  Plan out = plan;
  out.steps.clear();
  for (const int old : order) {
    if (old < 0 || static_cast<size_t>(old) >= n || new_id[static_cast<size_t>(old)] >= 0)
      throw std::logic_error("reorder_steps: the order does not list every step once");
    const Step& s = plan.steps[static_cast<size_t>(old)];
    std::vector<int> deps;
    for (const int d : s.deps) {
      if (new_id[static_cast<size_t>(d)] < 0) throw std::logic_error("reorder_steps: a step comes before its dep");
      deps.push_back(new_id[static_cast<size_t>(d)]);
    }
    std::sort(deps.begin(), deps.end());
    new_id[static_cast<size_t>(old)] = out.add_step(s.lane, s.label, s.op, std::move(deps));
  }
  return out;
}

ListOrder list_order(const std::vector<Plan>& plans, const SimLinks& links, const ComputeCost& compute_ms) {
  const sim::SimGraph g = sim::build_graph(plans, links, compute_ms);
  const NodeGraph ng = node_graph(plans, g, links);
  const std::vector<double> start = play(ng, bottom_levels(ng), static_cast<int>(plans.size()));

  ListOrder out;
  for (int r = 0; r < static_cast<int>(plans.size()); ++r) {
    std::vector<int> order(plans[r].steps.size());
    std::iota(order.begin(), order.end(), 0);
    auto at = [&](int s) {
      const int step = g.first[r] + s;
      return start[g.instance_of[step] >= 0 ? ng.steps + g.instance_of[step] : step];
    };
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return at(a) < at(b); });
    out.plans.push_back(reorder_steps(plans[r], order));
    out.old_id.push_back(std::move(order));
  }
  // The costs of the reordered steps are the given steps' (compute_ms sees the given plans).
  const ComputeCost reordered_cost = [&](const Plan& plan, const Step& s) {
    const int old = out.old_id[static_cast<size_t>(plan.rank)][static_cast<size_t>(s.id)];
    return compute_ms(plans[static_cast<size_t>(plan.rank)], plans[static_cast<size_t>(plan.rank)].steps[old]);
  };
  out.given_ms = simulate(plans, links, compute_ms).makespan_ms;
  out.list_ms = simulate(out.plans, links, reordered_cost).makespan_ms;
  out.reordered = out.list_ms < out.given_ms;
  if (!out.reordered) {
    out.plans = plans;
    for (auto& ids : out.old_id) std::iota(ids.begin(), ids.end(), 0);
  }
  return out;
}

}  // namespace cpb
