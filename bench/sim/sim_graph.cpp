#include "bench/sim/sim_graph.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace cpb {
namespace sim {
namespace {

// The checks of one plan that the graph relies on: its rank and world, the groups (the
// same on all ranks), step ids, lanes and backward deps.
void check_plan(const std::vector<Plan>& plans, int r) {
  const Plan& plan = plans[r];
  const int P = static_cast<int>(plans.size());
  if (plan.rank != r || plan.world != P)
    fail("plan " + std::to_string(r) + " has rank " + std::to_string(plan.rank) + " and world " +
         std::to_string(plan.world) + "; expected rank " + std::to_string(r) + " of " + std::to_string(P));
  if (plan.groups != plans[0].groups) fail("rank " + std::to_string(r) + ": its groups differ from rank 0's");
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step& s = plan.steps[i];
    const int id = static_cast<int>(i);
    if (s.id != id) fail(step_name(plans, r, id) + ": its id is " + std::to_string(s.id));
    if (s.lane < 0 || s.lane >= static_cast<int>(plan.lanes.size()))
      fail(step_name(plans, r, id) + ": lane " + std::to_string(s.lane) + " is not one of the plan's " +
           std::to_string(plan.lanes.size()));
    for (int d : s.deps)
      if (d < 0 || d >= id) fail(step_name(plans, r, id) + ": dep " + std::to_string(d) + " is not an earlier step");
  }
}

// member_pos[group][rank]: the rank's index in the group, or -1; checks the members.
std::vector<std::vector<int>> member_positions(const std::vector<Plan>& plans) {
  const int P = static_cast<int>(plans.size());
  std::vector<std::vector<int>> pos(plans[0].groups.size(), std::vector<int>(P, -1));
  for (size_t g = 0; g < pos.size(); ++g) {
    const std::vector<int>& members = plans[0].groups[g];
    for (size_t i = 0; i < members.size(); ++i) {
      const int m = members[i];
      if (m < 0 || m >= P || pos[g][m] >= 0)
        fail("group " + std::to_string(g) + ": member " + std::to_string(m) + " is outside the world of " +
             std::to_string(P) + " or repeated");
      pos[g][m] = static_cast<int>(i);
    }
  }
  return pos;
}

// Global numbering, prerequisites, successors (CSR) and compute work.
void build_steps(SimGraph& graph, const std::vector<Plan>& plans, const ComputeCost& compute_ms) {
  const int P = graph.ranks;
  graph.first.assign(P + 1, 0);
  for (int r = 0; r < P; ++r) graph.first[r + 1] = graph.first[r] + static_cast<int>(plans[r].steps.size());
  const int n = graph.first[P];
  graph.rank_of.resize(n);
  graph.kind.resize(n);
  graph.prereqs.assign(n, 0);
  graph.work_ms.assign(n, 0.0);
  graph.instance_of.assign(n, -1);
  std::vector<int> edges_from, edges_to;  // (predecessor, successor)
  for (int r = 0; r < P; ++r) {
    std::vector<int> last(plans[r].lanes.size(), -1);
    for (const Step& s : plans[r].steps) {
      const int g = graph.first[r] + s.id;
      graph.rank_of[g] = r;
      graph.kind[g] = s.kind();
      auto edge = [&](int pred) {
        edges_from.push_back(graph.first[r] + pred);
        edges_to.push_back(g);
        ++graph.prereqs[g];
      };
      for (int d : s.deps) edge(d);
      if (last[s.lane] >= 0) edge(last[s.lane]);
      last[s.lane] = s.id;
      if (s.is_comm()) continue;
      const double w = compute_ms(plans[r], s);
      if (!std::isfinite(w) || w < 0)
        fail(step_name(plans, r, s.id) + ": compute cost " + std::to_string(w) + " ms is not a finite value >= 0");
      graph.work_ms[g] = w;
    }
  }
  graph.succ_begin.assign(n + 1, 0);
  for (int from : edges_from) ++graph.succ_begin[from + 1];
  for (int g = 0; g < n; ++g) graph.succ_begin[g + 1] += graph.succ_begin[g];
  graph.succ.resize(edges_from.size());
  std::vector<int> fill(graph.succ_begin.begin(), graph.succ_begin.end() - 1);
  for (size_t e = 0; e < edges_from.size(); ++e) graph.succ[fill[edges_from[e]]++] = edges_to[e];
}

// Numbers every Exchange step's instance: the k-th of its (lane, group) on its rank.
void assign_instances(SimGraph& graph, const std::vector<Plan>& plans, const std::vector<std::vector<int>>& pos) {
  size_t lanes = 0;
  for (const Plan& p : plans) lanes = std::max(lanes, p.lanes.size());
  const size_t groups = pos.size();
  std::vector<std::vector<int>> table(lanes * groups);  // [lane * groups + group][k] -> instance
  for (int r = 0; r < graph.ranks; ++r) {
    std::vector<int> count(lanes * groups, 0);
    for (const Step& s : plans[r].steps) {
      if (!s.is_comm()) continue;
      const int group = std::get<ExchangeOp>(s.op).group;
      if (group < 0 || group >= static_cast<int>(groups) || pos[group][r] < 0)
        fail(step_name(plans, r, s.id) + ": group " + std::to_string(group) + " is not a group of the plans" +
             " that holds rank " + std::to_string(r));
      const size_t key = s.lane * groups + group;
      const int k = count[key]++;
      if (k == static_cast<int>(table[key].size())) {
        Instance inst;
        inst.lane = s.lane;
        inst.group = group;
        inst.k = k;
        inst.members_begin = static_cast<int>(graph.member_steps.size());
        graph.member_steps.resize(graph.member_steps.size() + plans[0].groups[group].size(), -1);
        inst.members_end = static_cast<int>(graph.member_steps.size());
        table[key].push_back(static_cast<int>(graph.instances.size()));
        graph.instances.push_back(inst);
      }
      const int id = table[key][k];
      graph.member_steps[graph.instances[id].members_begin + pos[group][r]] = graph.first[r] + s.id;
      graph.instance_of[graph.first[r] + s.id] = id;
    }
  }
}

// Every member rank of every instance has its step, else names one that has it.
void check_complete(const SimGraph& graph, const std::vector<Plan>& plans) {
  for (const Instance& inst : graph.instances) {
    int present = -1, missing = -1;
    for (int m = inst.members_begin; m < inst.members_end; ++m) {
      if (graph.member_steps[m] >= 0 && present < 0) present = graph.member_steps[m];
      if (graph.member_steps[m] < 0 && missing < 0)
        missing = plans[0].groups[inst.group][m - inst.members_begin];
    }
    if (missing < 0) continue;
    const int r = graph.rank_of[present];
    fail(step_name(plans, r, present - graph.first[r]) + ": exchange " + std::to_string(inst.k) + " of lane " +
         std::to_string(inst.lane) + " and group " + std::to_string(inst.group) + " has no counterpart on rank " +
         std::to_string(missing) + ", a member of the group with fewer exchanges there");
  }
}

}  // namespace

void fail(const std::string& what) { throw std::invalid_argument("simulate: " + what); }

std::string step_name(const std::vector<Plan>& plans, int rank, int step) {
  return "rank " + std::to_string(rank) + " step " + std::to_string(step) + " \"" +
         plans[rank].steps[step].label + "\"";
}

int64_t slice_bytes(const Plan& plan, const Slice& s, int act_bytes) {
  const Storage st = plan.buffers[s.buf].storage;
  return s.count * (st == Storage::F32 ? 4 : act_bytes);
}

SimGraph build_graph(const std::vector<Plan>& plans, const SimLinks& links, const ComputeCost& compute_ms) {
  if (plans.empty()) fail("no plans");
  for (int r = 0; r < static_cast<int>(plans.size()); ++r) check_plan(plans, r);
  SimGraph graph;
  graph.ranks = static_cast<int>(plans.size());
  build_steps(graph, plans, compute_ms);
  const std::vector<std::vector<int>> pos = member_positions(plans);
  assign_instances(graph, plans, pos);
  check_complete(graph, plans);
  InstanceMatcher matcher;
  for (Instance& inst : graph.instances) matcher.match(plans, links, graph, pos, inst);
  return graph;
}

}  // namespace sim
}  // namespace cpb
