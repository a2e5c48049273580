// The plans of all ranks as the simulator's flat arrays: every step of every rank under
// one global number, its prerequisites and successors (deps and the lane order), its
// compute work, and the exchange instances matched across ranks and checked
// (bench/sim/sim_engine.hpp states what an instance is).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/sim/sim_engine.hpp"

namespace cpb {
namespace sim {

// One exchange instance: the k-th Exchange step of (lane, group) on every member rank.
struct Instance {
  int lane = 0, group = 0, k = 0;
  int members_begin = 0, members_end = 0;  // range of SimGraph::member_steps
  double copy_ms = 0;  // self transfers: the largest member's sum of local_copy_ms [ms]
};

// Global step g of rank r is SimGraph::first[r] + step id.
struct SimGraph {
  int ranks = 0;
  std::vector<int> first;          // [rank], size ranks + 1
  std::vector<int> rank_of;        // [g]
  std::vector<OpKind> kind;        // [g]
  std::vector<int> prereqs;        // [g]: deps plus the lane predecessor, counted with repeats
  std::vector<int> succ_begin;     // [g], size steps + 1: successors of g in `succ`
  std::vector<int> succ;
  std::vector<double> work_ms;     // [g]: compute work alone [ms]; 0 for exchanges
  std::vector<int> instance_of;    // [g]: an exchange's instance, else -1
  std::vector<Instance> instances;
  std::vector<int> member_steps;   // global steps of an instance, in group member order

  int steps() const { return static_cast<int>(rank_of.size()); }
};

// Checks the plans (ranks, step ids, lanes, deps, groups, exchange instances and their
// transfers) and builds the graph; throws std::invalid_argument naming rank, step and
// label. compute_ms is called once per compute step.
SimGraph build_graph(const std::vector<Plan>& plans, const SimLinks& links, const ComputeCost& compute_ms);

// `rank 1 step 3 "a2a_in"`, the way every message of the simulator names a step.
std::string step_name(const std::vector<Plan>& plans, int rank, int step);

// Bytes of `count` elements of buffer `buf` of `plan`: act_bytes per Act element, 4 per F32.
int64_t slice_bytes(const Plan& plan, const Slice& s, int act_bytes);

// Throws std::invalid_argument "simulate: <what>".
[[noreturn]] void fail(const std::string& what);

// Checks that the sends and receives of an instance match (every send has a receive of
// the same element count on its peer, in order per pair of ranks) and sets its copy_ms.
// `member_pos[group][rank]` is the rank's index in the group, or -1. Keeps its scratch
// arrays from one instance to the next.
class InstanceMatcher {
 public:
  void match(const std::vector<Plan>& plans, const SimLinks& links, const SimGraph& graph,
             const std::vector<std::vector<int>>& member_pos, Instance& inst);

  // One side of a transfer: a send posted by `from` or a receive posted by `to`.
  struct End {
    int from = 0, to = 0;  // sender, receiver (world ranks)
    int step = 0;          // global step that posts it
    int64_t count = 0;     // [elements]
  };

 private:
  void collect(const std::vector<Plan>& plans, const SimLinks& links, const SimGraph& graph,
               const std::vector<int>& pos, const Instance& inst);
  void sort_by_pair(std::vector<End>& v, int ranks);

  std::vector<End> sends_, recvs_, tmp_;
  std::vector<int> counts_;
  std::vector<double> copy_ms_;  // [member]: its self transfers through local_copy_ms
};

}  // namespace sim
}  // namespace cpb
