// The list scheduler of list_order.hpp: pinned edges, bottom levels, the forward play.
#include "bench/sim/list_order.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <variant>

#include "bench/plan/step_access.hpp"
#include "bench/sim/sim_graph.hpp"

namespace cpb {
namespace {

// A Copy without view pairs (a plan whose views were released to save memory; the list
// paths of bench/sim/sim_point.cpp keep them): its accesses are unknown, so it may touch
// anything.
bool accesses_unknown(const Step& s) {
  const auto* c = std::get_if<CopyOp>(&s.op);
  return c != nullptr && c->pairs.empty();
}

}  // namespace

Pinning pin_order(const Plan& plan) {
  const size_t n = plan.steps.size();
  Pinning out{plan, std::vector<std::vector<int>>(n)};
  std::vector<std::vector<Access>> acc(n);
  std::vector<char> unknown(n, 0);
  for (size_t i = 0; i < n; ++i) {
    acc[i] = step_accesses(plan.steps[i]);
    unknown[i] = accesses_unknown(plan.steps[i]);
  }
  auto conflicts = [&](size_t i, size_t j) {
    if (unknown[i] || unknown[j]) return true;
    for (const Access& x : acc[i])
      for (const Access& y : acc[j])
        if (ranges_conflict(x, y)) return true;
    return false;
  };
  StepsBefore given(n), pinned(n);  // in the given plan; through the pins
  std::vector<std::vector<int>> on_lane(plan.lanes.size());
  for (const Step& s : plan.steps) {
    const size_t i = static_cast<size_t>(s.id);
    std::vector<int>& p = out.preds[i];
    std::vector<int>& lane = on_lane[static_cast<size_t>(s.lane)];
    for (const int d : s.deps) given.add(i, static_cast<size_t>(d));
    if (!lane.empty()) given.add(i, static_cast<size_t>(lane.back()));
    p = s.deps;
    for (auto it = lane.rbegin(); it != lane.rend(); ++it) {
      const Step& e = plan.steps[static_cast<size_t>(*it)];
      if (s.is_comm() || e.is_comm() || conflicts(static_cast<size_t>(*it), i)) p.push_back(*it);
      if (e.is_comm()) break;  // it is pinned after everything before it on the lane
    }
    for (const int d : p) pinned.add(i, static_cast<size_t>(d));
    // Conflicting steps of other lanes ordered before it only through lane order: a dep.
    // Latest first: a dep on j also orders what j waits for, which then needs none.
    for (size_t j = i; j-- > 0;)
      if (given.has(i, j) && !pinned.has(i, j) && conflicts(j, i)) {
        out.plan.steps[i].deps.push_back(static_cast<int>(j));
        p.push_back(static_cast<int>(j));
        pinned.add(i, j);
      }
    std::sort(out.plan.steps[i].deps.begin(), out.plan.steps[i].deps.end());
    lane.push_back(s.id);
  }
  return out;
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
  std::vector<double> cost;               // [node] ms
  std::vector<int> rank;                  // [node]: the compute step's rank, -1 for an instance,
                                          // -2 for an exchange step (its instance stands for it)
  std::vector<char> attention;            // [node]: an Attention step
  std::vector<std::vector<int>> members;  // [instance]: its member ranks
  std::vector<std::vector<int>> succ;     // [node]
  std::vector<int> preds;                 // [node]: count, with repeats
};

NodeGraph node_graph(const std::vector<Plan>& plans, const sim::SimGraph& g, const SimLinks& links,
                     const std::vector<Pinning>& pins) {
  NodeGraph ng;
  ng.steps = g.steps();
  const int n = ng.steps + static_cast<int>(g.instances.size());
  ng.cost.assign(n, 0.0);
  ng.rank.assign(n, -1);
  ng.succ.resize(n);
  ng.preds.assign(n, 0);
  ng.attention.assign(n, 0);
  for (const sim::Instance& inst : g.instances) {
    ng.members.emplace_back();
    for (int m = inst.members_begin; m < inst.members_end; ++m)
      ng.members.back().push_back(g.rank_of[g.member_steps[m]]);
  }
  auto node = [&](int step) { return g.instance_of[step] >= 0 ? ng.steps + g.instance_of[step] : step; };
  for (int s = 0; s < ng.steps; ++s)
    if (g.instance_of[s] < 0)
      ng.cost[s] = g.work_ms[s], ng.rank[s] = g.rank_of[s], ng.attention[s] = g.kind[s] == OpKind::Attention;
    else
      ng.rank[s] = -2;
  for (size_t i = 0; i < g.instances.size(); ++i)
    ng.cost[ng.steps + static_cast<int>(i)] = instance_ms(plans, g, g.instances[i], links);
  for (int r = 0; r < static_cast<int>(plans.size()); ++r) {
    const std::vector<std::vector<int>>& pred = pins[static_cast<size_t>(r)].preds;
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

// The forward play: start time of every node [ms]. With `yield`, a rank starts no
// Attention step while an exchange instance it takes part in runs (for transports whose
// flows stall beside attention: waiting for the exchange can beat stalling it).
std::vector<double> play(const NodeGraph& ng, const std::vector<double>& level, int ranks, bool yield) {
  const int n = static_cast<int>(ng.cost.size());
  std::vector<int> left = ng.preds, in_flight(ranks, 0);
  std::vector<double> start(n, 0.0);
  using Event = std::pair<double, int>;  // (end time, node)
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> ends;
  std::vector<std::vector<int>> ready(ranks);  // compute nodes whose preds have ended
  std::vector<char> busy(ranks, 0);
  auto on_ready = [&](int v, double t) {
    if (ng.rank[v] >= 0) return ready[ng.rank[v]].push_back(v);
    start[v] = t;
    ends.push({t + ng.cost[v], v});
    for (const int r : ng.members[v - ng.steps]) ++in_flight[r];
  };
  for (int v = 0; v < n; ++v)
    if (left[v] == 0 && ng.rank[v] != -2) on_ready(v, 0.0);
  double now = 0;
  for (;;) {
    for (int r = 0; r < ranks; ++r) {
      if (busy[r]) continue;
      int best = -1;
      for (const int v : ready[r])
        if (!(yield && in_flight[r] > 0 && ng.attention[v]) &&
            (best < 0 || std::make_tuple(-level[v], v) < std::make_tuple(-level[best], best)))
          best = v;
      if (best < 0) continue;
      ready[r].erase(std::find(ready[r].begin(), ready[r].end(), best));
      busy[r] = 1;
      start[best] = now;
      ends.push({now + ng.cost[best], best});
    }
    if (ends.empty()) break;
    now = ends.top().first;
    while (!ends.empty() && ends.top().first <= now) {
      const int v = ends.top().second;
      ends.pop();
      if (ng.rank[v] >= 0) busy[ng.rank[v]] = 0;
      if (ng.rank[v] == -1)
        for (const int r : ng.members[v - ng.steps]) --in_flight[r];
      for (const int s : ng.succ[v])
        if (--left[s] == 0) on_ready(s, now);
    }
  }
  return start;
}

// `plan` (rank r of the graph) with the waits the yielding play made: each exchange of the
// rank gets the first Attention step that started at or after its end as a dependant, so
// the engine and the runtimes keep that attention off the SMs until the exchange is over
// (lane order alone cannot: the exchange is on another lane).
Plan with_yield_deps(const Plan& plan, const sim::SimGraph& g, const NodeGraph& ng, const std::vector<double>& start) {
  Plan out = plan;
  const int first = g.first[plan.rank];
  for (const Step& x : plan.steps) {
    const int inst = g.instance_of[first + x.id];
    if (inst < 0) continue;
    const double end = start[ng.steps + inst] + ng.cost[ng.steps + inst];
    int next = -1;
    for (const Step& s : plan.steps)
      if (s.kind() == OpKind::Attention && start[first + s.id] >= end && start[first + s.id] > start[ng.steps + inst] &&
          (next < 0 || start[first + s.id] < start[first + next]))
        next = s.id;
    if (next >= 0) out.steps[static_cast<size_t>(next)].deps.push_back(x.id);
  }
  return out;
}

}  // namespace

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

ComputeCost reordered_cost(const std::vector<Plan>& given, const std::vector<std::vector<int>>& old_id,
                           const ComputeCost& cost) {
  return [&given, &old_id, &cost](const Plan& plan, const Step& s) {
    const Plan& g = given[static_cast<size_t>(plan.rank)];
    return cost(g, g.steps[static_cast<size_t>(old_id[static_cast<size_t>(plan.rank)][static_cast<size_t>(s.id)])]);
  };
}

ListOrder list_order(const std::vector<Plan>& plans, const SimLinks& links, const ComputeCost& compute_ms) {
  const sim::SimGraph g = sim::build_graph(plans, links, compute_ms);
  std::vector<Pinning> pins;
  for (const Plan& plan : plans) pins.push_back(pin_order(plan));
  const NodeGraph ng = node_graph(plans, g, links, pins);
  const std::vector<double> level = bottom_levels(ng);
  const int ranks = static_cast<int>(plans.size());

  ListOrder out;
  out.given_ms = simulate(plans, links, compute_ms).makespan_ms;
  out.list_ms = std::numeric_limits<double>::infinity();
  for (const bool yield : {false, true}) {
    const std::vector<double> start = play(ng, level, ranks, yield);
    std::vector<Plan> reordered;
    std::vector<std::vector<int>> old_id;
    for (int r = 0; r < ranks; ++r) {
      std::vector<int> order(plans[r].steps.size());
      std::iota(order.begin(), order.end(), 0);
      auto at = [&](int s) {
        const int step = g.first[r] + s;
        return start[g.instance_of[step] >= 0 ? ng.steps + g.instance_of[step] : step];
      };
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return at(a) < at(b); });
      const Plan& pinned = pins[static_cast<size_t>(r)].plan;
      reordered.push_back(reorder_steps(yield ? with_yield_deps(pinned, g, ng, start) : pinned, order));
      old_id.push_back(std::move(order));
    }
    const double ms = simulate(reordered, links, reordered_cost(plans, old_id, compute_ms)).makespan_ms;
    if (ms >= out.list_ms) continue;
    out.list_ms = ms;
    out.yield = yield;
    out.plans = std::move(reordered);
    out.old_id = std::move(old_id);
  }
  out.reordered = out.list_ms < out.given_ms * (1 - kListOrderMargin);
  if (!out.reordered) {
    out.plans = plans;
    for (auto& ids : out.old_id) std::iota(ids.begin(), ids.end(), 0);
  }
  return out;
}

}  // namespace cpb
