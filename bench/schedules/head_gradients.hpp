// The backward pass of the head exchange (head_exchange.hpp), the building block of the
// ulysses and hcms backward.
//
// After the forward, each member holds, per chunk c, its query heads' Q, K, V over the
// group's tokens as received, its head-sharded output O and the rows' final LSE. The
// backward of chunk c: the members pack the output gradient dO of each peer's chunk-c
// query heads (compute lane) and an AllToAll brings each member dO of its own heads over
// the group's tokens, as the forward's input exchange brings Q; the member zeroes its fp32
// accumulators dQ, dK, dV [B, u s_local, h, D], adds the gradients of every tile into them
// (attention-backward steps, the forward's tiles), casts them to the problem's dtype, and
// a second AllToAll returns each peer's token rows, as the forward's output exchange
// returns O. Each member sums what it receives into its DQ, DK, DV shards (zeroed first):
// a key/value head whose query heads two members (or two chunks) attend gets one partial
// dK and dV from each. Per member and peer the backward sends dO of the peer's query heads
// and dQ, dK, dV of its own heads, receiving the mirror image.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/mask/mask_regions.hpp"
#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedules/head_exchange.hpp"

namespace cpb {

// Bytes this rank sends and receives in the backward exchanges of `g`, from head counts.
Model head_gradients_model(const Problem& p, const HeadGroup& g);

class HeadGradients {
 public:
  // Adds the buffers of the backward of `hx`'s chunks to `plan`.
  HeadGradients(Plan& plan, const Problem& p, const HeadGroup& g, const RoleTensors& roles);

  // The step that zeroes DQ, DK and DV; precedes every unpack.
  int add_zero_outputs(int lane);
  // dO of every member's chunk-c heads packed (returns the step), then exchanged after
  // `pack` (returns what chunk c's backward tiles wait for: the pack and the exchange).
  int add_pack(int lane, int c);
  std::vector<int> add_input(int comm_lane, int c, int pack);
  // dO of this rank's chunk-c heads over the group's tokens (after add_input), and the fp32
  // accumulators of its dQ, dK, dV there (t = 0, 1, 2), [B, u s_local, h, D].
  const DenseTensor& dout(int c) const { return do_heads_[c]; }
  const DenseTensor& grad_acc(int c, int t) const { return acc_[c][t]; }
  // The step that zeroes chunk c's accumulators.
  int add_zero_acc(int lane, int c);
  // The backward tiles of chunk c: the forward's tiles `tiles` over the group's tokens,
  // cut into the GQA pieces of the chunk's heads, reading hx's Q, K, V and O, the rows'
  // final LSE at lse_of(tile rows, piece), dO from add_input; each after `deps`. Then the
  // cast of the accumulators, whose step it returns (the output exchange waits for it).
  int add_tiles(int lane, const HeadExchange& hx, int c, const std::vector<MaskRegion>& tiles,
                const std::function<View(Range rows, int piece)>& lse_of, const std::vector<int>& deps);
  // The accumulators of chunk c cast to the problem's dtype for the output exchange, after
  // `deps`; returns its step.
  int add_cast(int lane, int c, std::vector<int> deps);
  // The gradients' AllToAll back to the token owners and their sum into DQ, DK, DV.
  void add_output(int comm_lane, int c, int cast, int zero_outputs);

 private:
  Range member_tokens(int i) const { return Range{i * g_.s_local, g_.s_local}; }
  Range q_heads(int i, int c) const { return g_.q_heads[i][c]; }
  Range kv_heads(int i, int c) const { return kv_heads_for(q_heads(i, c), p_.group_size()); }
  std::string label(const char* what, int c) const;

  Plan& plan_;
  Problem p_;
  HeadGroup g_;
  RoleTensors roles_;
  std::vector<std::vector<DenseTensor>> do_send_;   // [c][i]: dO of member i's heads, my tokens
  std::vector<DenseTensor> do_heads_;                // [c]: dO of my heads, the group's tokens
  std::vector<std::vector<DenseTensor>> acc_;        // [c][t]: fp32 dq, dk, dv accumulators
  std::vector<std::vector<DenseTensor>> cast_;       // [c][t]: the same in Act, sent
  std::vector<std::vector<std::vector<DenseTensor>>> stage_;  // [c][t][i]: member i's gradients of my tokens
};

}  // namespace cpb
