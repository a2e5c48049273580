// The order of the steps on their lanes chosen by a list scheduler over the cost model
// (issue 19, item (d)), instead of the order the schedule wrote them in.
//
// What may move. A lane is an in-order stream, so a plan's list order is also an order of
// execution. A compute step (Copy, Attention, Merge) may move past another compute step
// of its lane unless they touch a common buffer range, one of them writing. Exchange
// steps keep their places: the k-th exchange of a lane and group must be the same
// instance on every member, so no step moves across an exchange of its own lane. Deps
// always hold. A lane's order may also have ordered two conflicting steps of different
// lanes (the earlier one before a step of the later one's lane, the race check's
// "inherit"): such a pair gets a dep in the reordered plan, so moving steps never opens a
// race (pin_order).
//
// The scheduler. Priorities are bottom levels: a step's cost plus the largest bottom
// level of what waits for it, over every rank's graph at once (an exchange instance
// couples its members), so a step on a long path to the end goes first. It then plays
// the plans forward: each rank runs one compute step at a time (as the engine does) and,
// whenever its SMs are free, starts the ready step of highest priority; an exchange
// instance starts when every member has it ready and lasts its estimated time (latency
// plus its largest member's bytes in or out at the link's rate; flows of different
// instances are not made to share links here, the engine does that). Each rank's new
// list order is its steps by start time (ties: the given order). The play runs twice:
// as said, and yielding to the exchanges (a rank starts no attention while an exchange it
// takes part in runs), since on transports whose flows stall beside attention (NCCL's
// kernels get no SMs beside a full-grid attention) waiting for an exchange can beat
// starving it; the waits it makes become deps (an exchange on another lane cannot be
// waited for by lane order).
//
// The result is judged by the engine: list_order() simulates the given order and both
// plays' and keeps the given one unless a list order is shorter, so it never predicts a
// slower plan.
#pragma once

#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/sim/sim_engine.hpp"

namespace cpb {

// `plan` with its steps in the order `order` (old ids, each once), renumbered, deps
// mapped. Throws std::logic_error when `order` is not a permutation or puts a step
// before one of its deps.
Plan reorder_steps(const Plan& plan, const std::vector<int>& order);

// The constraints an order change keeps (above, "What may move") on one plan.
struct Pinning {
  Plan plan;                            // the plan with the deps conflicting steps of other lanes need
  std::vector<std::vector<int>> preds;  // [step]: steps that must end before it starts
};
Pinning pin_order(const Plan& plan);

// The cost of each step of reordered plans: `cost` of the same step of the given plans,
// old_id[rank][new id] being its id there. Holds references to all three arguments.
ComputeCost reordered_cost(const std::vector<Plan>& given, const std::vector<std::vector<int>>& old_id,
                           const ComputeCost& cost);

// A list order is kept only when it is shorter by more than this fraction of the given
// order's time: below it the difference is the engine's rounding, not a better order.
constexpr double kListOrderMargin = 1e-9;

struct ListOrder {
  std::vector<Plan> plans;               // in the chosen order
  std::vector<std::vector<int>> old_id;  // [rank][new id] -> id in the given plans
  double given_ms = 0;                   // the engine's makespan of the given order
  double list_ms = 0;                    // ... of the list scheduler's better order
  bool yield = false;                    // that order came from the play that yields to exchanges
  bool reordered = false;                // list_ms < given_ms (by more than rounding): `plans` are the list's
};

// Throws what simulate() throws for inconsistent plans.
ListOrder list_order(const std::vector<Plan>& plans, const SimLinks& links, const ComputeCost& compute_ms);

}  // namespace cpb
