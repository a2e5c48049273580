// Checks of plans against the contracts of plan.hpp and the layout every schedule keeps
// (docs/ARCHITECTURE.md; the schedules' tests run them over grids of problems). Each
// function returns one precise sentence per problem found; an empty vector means the plan
// is fine. At most kMaxPlanErrors sentences are returned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

constexpr size_t kMaxPlanErrors = 20;

// What a runtime (CPU or CUDA) needs of one rank's plan before it runs it: nothing that
// would index outside a buffer, wait for a step that comes later, or hand a kernel shapes
// it cannot take. A subset of check_plan's rules, in the same sentences
// (`step 3 "attn[0]": q @8 [1,4,2,4]/[32,8,4,1] reaches element 39 of buffer "q", which has 32`):
//  - tokens inside [0, S); every buffer at least one element; a Q, K, V or O buffer at
//    least B * local_tokens * (H or Hkv) * D elements (the shard the runtime fills or
//    verifies);
//  - steps: id == index, lane exists (the MPI tag of its exchanges, the stream on the
//    GPU), deps point backwards;
//  - views inside their buffers with extents >= 1 and strides >= 0;
//  - Copy: equal shapes; Exchange: peers are ranks of the plan's world, slices inside
//    their buffers and of at most `max_transfer_elems` elements, the sends to this rank
//    and the receives from it pair up in order with equal sizes; Attention: q == o and
//    k == v shapes, equal B and D, Hq % Hk == 0, causal tiles with Sq == Skv, lse
//    [B, Hq, Sq, 1]; Merge: part_o == acc_o shapes, both LSE [B, H, S, 1].
std::vector<std::string> check_runnable(const Plan& plan, const Problem& p, int64_t max_transfer_elems);

// One rank's plan on its own: check_runnable's rules with no transfer limit, and
//  - header: rank in [0, P), world == P, lanes named and distinct, groups of valid ranks,
//    tokens non-empty;
//  - buffers: exactly one Q, K, V and O, Act, of exactly B * local_tokens * (H or Hkv) * D
//    elements;
//  - Copy: at least one pair; Exchange: this rank and every peer in the step's group, no
//    empty transfer; Attention: q, k, v, o Act with D stride 1 and extent D, batch B,
//    heads/q_tokens/k_tokens matching the extents and inside the problem, causal tiles
//    square on the diagonal (q_tokens == k_tokens) and only under the causal mask, lse
//    F32 dense, scale 1/sqrt(D); Merge: part_o Act, acc_o F32, both LSE F32 dense;
//  - lanes: two steps that touch the same elements (one of them writing) are ordered by
//    list order on one lane or by a chain of deps (else the CUDA runtime races).
std::vector<std::string> check_plan(const Plan& plan, const Problem& p);

// The plans of all ranks (all_ranks[r].rank == r), after check_plan on each:
//  - same schedule, lanes and groups on every rank; the ranks' tokens partition [0, S);
//  - the k-th Exchange of a (lane, group) on one member is the k-th on every member, with
//    the same pattern, and its sends to each peer match the peer's receives from it in
//    order, element count and storage; sequential execution in list order (the CPU
//    runtime) does not deadlock;
//  - bytes sent and received and attention FLOPs of each rank equal the registered
//    schedule's model() (skipped for a schedule that is not registered);
//  - when plan_checks_are_exhaustive(p): every (query head, query token, key token) the
//    mask allows is computed by exactly one tile of one rank, and none other; and a
//    symbolic run of all plans (every element carries its (tensor, batch, token, head, d)
//    identity) shows that every step reads written elements, every tile reads the Q, K, V
//    of the heads and tokens it claims (GQA mapping included), merges combine partials of
//    the same rows, and O ends up holding, for every local token and head, the output of
//    exactly the keys the mask allows.
std::vector<std::string> check_plans(const std::vector<Plan>& all_ranks, const Problem& p);

// Whether check_plans runs its element-level checks (coverage count, symbolic run) for p:
// H S^2 <= 2^26 and B S H D <= 2^21.
bool plan_checks_are_exhaustive(const Problem& p);

}  // namespace cpb
