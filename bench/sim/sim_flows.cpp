#include "bench/sim/sim_flows.hpp"

#include <algorithm>

namespace cpb {
namespace sim {

void FlowSet::compact() {
  size_t live = 0, live_sizes = 0;
  for (const FlowBundle& b : bundles)
    if (!b.ended) {
      bundles[live++] = b;
      live_sizes += b.flows();
    }
  bundles.resize(live);
  if (sizes.size() < 2 * live_sizes + 1024) return;
  spare_.clear();
  for (FlowBundle& b : bundles) {
    const int first = static_cast<int>(spare_.size());
    spare_.insert(spare_.end(), sizes.begin() + b.next, sizes.begin() + b.end);
    b.next = first;
    b.end = static_cast<int>(spare_.size());
  }
  sizes.swap(spare_);
}

void FairShare::solve(std::vector<FlowBundle>& bundles, const std::vector<double>& capacity) {
  const size_t R = capacity.size(), n = bundles.size();
  begin_.assign(R + 1, 0);
  flows_.assign(R, 0);
  for (const FlowBundle& b : bundles) {
    if (!b.moving || b.ended) continue;
    for (int r : {b.egress, b.ingress}) {
      ++begin_[r + 1];
      flows_[r] += b.flows();
    }
  }
  for (size_t r = 0; r < R; ++r) begin_[r + 1] += begin_[r];
  members_.resize(begin_[R]);
  fill_.assign(begin_.begin(), begin_.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    const FlowBundle& b = bundles[i];
    if (!b.moving || b.ended) continue;
    members_[fill_[b.egress]++] = static_cast<int>(i);
    members_[fill_[b.ingress]++] = static_cast<int>(i);
  }
  left_ = capacity;
  level_.assign(R, 0.0);
  full_.assign(R, 0);
  touched_.assign(R, 0);
  frozen_.assign(n, 0);
  for (size_t r = 0; r < R; ++r)
    if (flows_[r] > 0) heap_.push({level_[r] = left_[r] / static_cast<double>(flows_[r]), static_cast<int>(r)});
  while (!heap_.empty()) {
    const auto [level, r] = heap_.top();
    heap_.pop();
    if (full_[r] || level != level_[r]) continue;  // filled, or an older level
    full_[r] = 1;
    for (int k = begin_[r]; k < begin_[r + 1]; ++k) {
      const int i = members_[k];
      if (frozen_[i]) continue;
      frozen_[i] = 1;
      FlowBundle& b = bundles[i];
      b.share = level;
      const int o = b.egress == r ? b.ingress : b.egress;
      flows_[o] -= b.flows();
      left_[o] = std::max(0.0, left_[o] - level * static_cast<double>(b.flows()));
      if (!touched_[o]) touched_list_.push_back(o);
      touched_[o] = 1;
    }
    for (int o : touched_list_) {  // one new level per resource whose flows froze
      touched_[o] = 0;
      if (flows_[o] > 0) heap_.push({level_[o] = left_[o] / static_cast<double>(flows_[o]), o});
    }
    touched_list_.clear();
  }
}

}  // namespace sim
}  // namespace cpb
