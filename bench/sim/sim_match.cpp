// Matching the sends and receives of one exchange instance across its member ranks
// (sim_graph.hpp: InstanceMatcher).
#include <algorithm>
#include <cmath>
#include <variant>

#include "bench/sim/sim_graph.hpp"

namespace cpb {
namespace sim {
namespace {

using End = InstanceMatcher::End;

bool before(const End& a, const End& b) { return a.from != b.from ? a.from < b.from : a.to < b.to; }

}  // namespace

// Stable sort by (from, to): a stable counting pass by `to`, then one by `from`; O(n + P).
void InstanceMatcher::sort_by_pair(std::vector<End>& v, int ranks) {
  auto pass = [&](auto key) {
    counts_.assign(ranks + 1, 0);
    for (const End& e : v) ++counts_[key(e) + 1];
    for (int i = 0; i < ranks; ++i) counts_[i + 1] += counts_[i];
    tmp_.resize(v.size());
    for (const End& e : v) tmp_[counts_[key(e)]++] = e;
    v.swap(tmp_);
  };
  pass([](const End& e) { return e.to; });
  pass([](const End& e) { return e.from; });
}

// The transfers of every member step, checked: peers in the group, slices in a buffer.
void InstanceMatcher::collect(const std::vector<Plan>& plans, const SimLinks& links, const SimGraph& graph,
                              const std::vector<int>& pos, const Instance& inst) {
  sends_.clear();
  recvs_.clear();
  copy_ms_.assign(inst.members_end - inst.members_begin, 0.0);
  for (int m = inst.members_begin; m < inst.members_end; ++m) {
    const int g = graph.member_steps[m], r = graph.rank_of[g], id = g - graph.first[r];
    const Plan& plan = plans[r];
    const ExchangeOp& ex = std::get<ExchangeOp>(plan.steps[id].op);
    auto check = [&](const Transfer& t, const char* what) {
      if (t.peer < 0 || t.peer >= graph.ranks || pos[t.peer] < 0)
        fail(step_name(plans, r, id) + ": " + what + " rank " + std::to_string(t.peer) + ", not a member of group " +
             std::to_string(inst.group));
      if (t.slice.buf < 0 || t.slice.buf >= static_cast<int>(plan.buffers.size()) || t.slice.count < 0)
        fail(step_name(plans, r, id) + ": " + what + " rank " + std::to_string(t.peer) + ": buffer " +
             std::to_string(t.slice.buf) + " or count " + std::to_string(t.slice.count) + " is invalid");
    };
    for (const Transfer& t : ex.sends) {
      check(t, "send to");
      sends_.push_back(End{r, t.peer, g, t.slice.count});
      if (t.peer != r) continue;
      if (!links.local_copy_ms)
        fail(step_name(plans, r, id) + ": a self transfer, but the links have no local_copy_ms");
      copy_ms_[m - inst.members_begin] += links.local_copy_ms(slice_bytes(plan, t.slice, links.act_bytes));
    }
    for (const Transfer& t : ex.recvs) {
      check(t, "receive from");
      recvs_.push_back(End{t.peer, r, g, t.slice.count});
    }
  }
}

void InstanceMatcher::match(const std::vector<Plan>& plans, const SimLinks& links, const SimGraph& graph,
                            const std::vector<std::vector<int>>& member_pos, Instance& inst) {
  const std::vector<int>& pos = member_pos[inst.group];
  collect(plans, links, graph, pos, inst);
  sort_by_pair(sends_, graph.ranks);
  sort_by_pair(recvs_, graph.ranks);
  auto name = [&](int g) { return step_name(plans, graph.rank_of[g], g - graph.first[graph.rank_of[g]]); };
  auto peer_step = [&](int rank) { return name(graph.member_steps[inst.members_begin + pos[rank]]); };
  size_t i = 0, j = 0;
  while (i < sends_.size() || j < recvs_.size()) {
    const bool both = i < sends_.size() && j < recvs_.size();
    if (both && !before(sends_[i], recvs_[j]) && !before(recvs_[j], sends_[i])) {
      const End &a = sends_[i++], &b = recvs_[j++];
      if (a.count != b.count)
        fail(name(a.step) + ": sends " + std::to_string(a.count) + " elements to rank " + std::to_string(a.to) +
             ", but " + name(b.step) + " receives " + std::to_string(b.count) + " from rank " +
             std::to_string(a.from) + " (the same transfer between them, in order)");
      continue;
    }
    if (j == recvs_.size() || (i < sends_.size() && before(sends_[i], recvs_[j]))) {
      const End& a = sends_[i];
      fail(name(a.step) + ": its send of " + std::to_string(a.count) + " elements to rank " + std::to_string(a.to) +
           " has no matching receive in " + peer_step(a.to));
    }
    const End& b = recvs_[j];
    fail(name(b.step) + ": its receive of " + std::to_string(b.count) + " elements from rank " +
         std::to_string(b.from) + " has no matching send in " + peer_step(b.from));
  }
  for (double ms : copy_ms_) {
    if (!std::isfinite(ms) || ms < 0) fail("local_copy_ms gave " + std::to_string(ms) + " ms, not a finite value >= 0");
    inst.copy_ms = std::max(inst.copy_ms, ms);
  }
}

}  // namespace sim
}  // namespace cpb
