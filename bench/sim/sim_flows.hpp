// The simulator's flows and their max-min fair shares (progressive filling).
//
// The flows one member of an exchange instance sends to one peer start together, use the
// same two resources and so always get the same rate: they travel as one FlowBundle,
// whose flows end in the order of their sizes. Resources of rank r (4 r + kind): intra
// egress, intra ingress, NIC egress, NIC ingress; a flow uses its sender's egress and its
// receiver's ingress of the one kind (inside a node: intra; between nodes: NIC).
// Units: bytes, ms, bytes/ms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

namespace cpb {
namespace sim {

// Resource id of rank r: `inter` picks the NIC, `ingress` the receiving direction.
inline int resource(int rank, bool inter, bool ingress) { return 4 * rank + (inter ? 2 : 0) + (ingress ? 1 : 0); }

struct FlowBundle {
  int src = 0, dst = 0;      // world ranks
  int inst = 0;              // exchange instance
  int egress = 0, ingress = 0;  // resource ids
  bool inter = false;        // leaves the node
  bool moving = false;       // past its per-message delay: its bytes move
  bool ended = false;        // every flow has ended
  int next = 0, end = 0;     // its unfinished flows: sizes [next, end) of FlowSet::sizes, ascending
  double start_ms = 0;       // when its bytes start moving [ms]
  double moved = 0;          // bytes each unfinished flow has moved
  double share = 0;          // max-min fair rate of each flow [bytes/ms]
  double rate = 0;           // the share after the cap beside attention [bytes/ms]
  int flows() const { return end - next; }
};

// The live bundles and the sizes of their flows.
struct FlowSet {
  std::vector<FlowBundle> bundles;
  std::vector<double> sizes;  // [bytes]
  // Drops the ended bundles; rewrites `sizes` when the ended ones hold most of it.
  void compact();

 private:
  std::vector<double> spare_;  // the other buffer of `sizes` (kept, not reallocated)
};

// Max-min fair shares by progressive filling: every unfrozen flow's rate rises together
// until a resource is full; that resource's flows freeze at its level (its remaining
// capacity over its unfrozen flows) and the level of the others is taken again. With a
// heap of lower bounds of the resource levels, each bound refreshed only when it comes
// to the top: O(F + (R + refreshes) log R) for F moving bundles over R resources.
class FairShare {
 public:
  // Sets `share` of every moving bundle, a bundle counting as its flows(); capacity
  // [bytes/ms] per resource id.
  void solve(std::vector<FlowBundle>& bundles, const std::vector<double>& capacity);

 private:
  void index(const std::vector<FlowBundle>& bundles, size_t resources);

  std::vector<int> begin_, members_, fill_;  // moving bundles by resource (CSR)
  std::vector<double> left_;          // capacity not given out
  std::vector<int64_t> flows_;        // unfrozen flows through the resource
  std::vector<char> full_, frozen_;
  std::priority_queue<std::pair<double, int>, std::vector<std::pair<double, int>>,
                      std::greater<std::pair<double, int>>>
      heap_;
};

}  // namespace sim
}  // namespace cpb
