// The plans of `cpbench probe`, the interference matrix of a machine (docs/METRICS.md,
// "probe"): attention alone, an all-to-all alone, and both on two lanes with no dependency
// between them, so a runtime overlaps them as far as its device and transport let it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

// The shape being probed: the Ulysses attention of one rank at P ranks.
struct ProbeShape {
  int P = 2;          // ranks (the MPI world size), >= 2
  int64_t S = 56160;  // tokens, queries and keys alike
  int H = 40;         // query heads of the model; each rank attends H / P of them (P divides H)
  int D = 128;        // head dimension
  DType dtype = DType::BF16;
};

// Bytes one rank sends in the Ulysses input all-to-all of `s`: Q, K and V of its S/P tokens
// for the H/P heads of each of the P - 1 other ranks, 3 (S/P) (H/P) D (P-1) dtype bytes
// (S/P rounded down). The default size of the probe's exchange.
int64_t ulysses_input_bytes(const ProbeShape& s);

// The problem each rank's probe plan solves: P = s.P, S = s.S, H = Hkv = s.H / s.P, D, B = 1,
// full mask, s.dtype. Every rank holds all S tokens of its heads (Plan::tokens = [0, S)), so
// check_plan (hence check_runnable) accepts each rank's plan; the ranks' plans are copies,
// not a context-parallel split of one problem, so check_plans (tokens partitioned over the
// ranks) does not apply.
Problem probe_problem(const ProbeShape& s);

// fp32 elements each rank sends to each other rank when it sends `bytes` in all:
// floor(bytes / (4 (P - 1))). Precondition: P >= 2.
int64_t probe_peer_elems(int64_t bytes, int P);

enum class ProbePart { Attention, Exchange, Both };
const char* to_string(ProbePart part);

// Which step of the "both" plan is posted first (`cpbench probe --first`). On a GPU the
// kernel posted first takes the SMs; a transport whose kernels need SMs (NCCL) may then
// run beside attention, or wait for it, depending on the order.
enum class ProbeFirst { Attention, Exchange };
const char* to_string(ProbeFirst first);
std::vector<std::string> probe_first_names();  // "attention", "exchange"

// Rank `rank`'s plan (schedule "probe") of `part`. Every part has the same lanes
// ("compute", "comm") and buffers, so the three differ only in their steps:
//  - q, k, v, o: the Q, K, V, O roles, Act, [1, S, Hp, D] with Hp = p.H, filled by the runtime;
//  - send, recv: fp32 scratch of (P - 1) * peer_elems elements; fp32 so that an element is
//    4 bytes on the wire on both runtimes.
// Steps:
//  - Attention: "attn" on compute: softmax(Q K^T / sqrt(D)) V -> O over all heads and
//    tokens, full mask, no lse;
//  - Exchange: "a2a" on comm, an all-to-all of group 0 (all ranks): peer_elems from send to
//    every other rank and as many from it into recv, peers in rank order (as Ulysses);
//  - Both: attn and a2a with no dependency, in the order `first` says. Attention first is
//    the default because HCMS posts the next chunk's all-to-all after the attention it
//    should hide under, so on the GPU the exchange starts while attention already holds
//    the device; a ring posts its exchange before the attention it overlaps, which
//    `first` = Exchange probes.
// Preconditions: p = probe_problem(...) with P >= 2, 0 <= rank < P, peer_elems >= 1.
Plan probe_plan(const Problem& p, int64_t peer_elems, int rank, ProbePart part,
                ProbeFirst first = ProbeFirst::Attention);

}  // namespace cpb
