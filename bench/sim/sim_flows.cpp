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

// Moving bundles by resource (CSR) and the flows through each resource.
void FairShare::index(const std::vector<FlowBundle>& bundles, size_t resources) {
  const size_t R = resources;
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
  for (size_t i = 0; i < bundles.size(); ++i) {
    const FlowBundle& b = bundles[i];
    if (!b.moving || b.ended) continue;
    members_[fill_[b.egress]++] = static_cast<int>(i);
    members_[fill_[b.ingress]++] = static_cast<int>(i);
  }
}

// The heap holds a lower bound of each resource's level: a level only rises as the
// flows through a resource freeze at the (lower) current level. A popped bound that is
// no longer the level goes back with the level; one that is, is the lowest level.
void FairShare::solve(std::vector<FlowBundle>& bundles, const std::vector<double>& capacity) {
  const size_t R = capacity.size();
  index(bundles, R);
  left_ = capacity;
  full_.assign(R, 0);
  frozen_.assign(bundles.size(), 0);
  auto level_of = [&](int r) { return left_[r] / static_cast<double>(flows_[r]); };
  for (size_t r = 0; r < R; ++r)
    if (flows_[r] > 0) heap_.push({level_of(static_cast<int>(r)), static_cast<int>(r)});
  while (!heap_.empty()) {
    const auto [bound, r] = heap_.top();
    heap_.pop();
    if (full_[r] || flows_[r] == 0) continue;
    const double level = level_of(r);
    if (level != bound) {
      heap_.push({level, r});
      continue;
    }
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
    }
  }
}

}  // namespace sim
}  // namespace cpb
