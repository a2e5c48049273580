// Zigzag ring attention: the sequence is cut into 2P chunks of S/(2P) tokens and rank i
// holds chunk i followed by chunk 2P-1-i, so under the causal mask every rank gets the
// same work: one early and one late chunk. The ring is that of `ring` (P steps, key/value
// blocks passed to rank i+1 on the comm lane while the compute lane attends the block
// received in the previous step, double-buffered) with tiles per (query chunk, key
// chunk): a key chunk before the query chunk gives a full tile, the same chunk a causal
// tile, a later chunk nothing. Each step then costs two full chunk-tiles (one on the
// first step: two diagonals and one full), instead of 0 to P blocks. Partials merge by LSE
// (tile_outputs.hpp: in place in O for a row of two tiles, else in fp32). Bytes equal ring's.
//
// Backward (pass bwd and fwd_bwd): ring's (kv_ring.hpp, ring.cpp) on the zigzag layout,
// over the forward's tiles, so it is balanced like the forward: the key/value blocks go
// round again, each landing while the step before computes, dQ adds up on its rank in
// fp32, and dK, dV of each block add up in an fp32 accumulator travelling one step behind
// it (each step's tiles into a zeroed partial, reduced into the accumulator once it has
// arrived), returned to its owner after the last step. Bytes per rank equal ring's in
// every pass: bwd 2 (P-1) B (S/P) Hkv D elements of the dtype and 2 P B (S/P) Hkv D fp32.
#include "bench/schedule.hpp"
#include "bench/schedules/kv_ring.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {
namespace {

class ZigzagRing final : public Schedule {
 public:
  std::string name() const override { return "zigzag_ring"; }
  std::string description() const override {
    return "ring attention on the zigzag layout (rank i holds chunks i and 2P-1-i): balanced causal work";
  }

  Reason unsupported(const Problem& p) const override { return sequence_shard_error(p, 2 * p.P, "2P", "zigzag_ring"); }

  Model model(const Problem& p, int rank) const override {
    const double c = static_cast<double>(p.S / (2 * p.P));
    // Causal: 2 full chunk-tiles at each of the P-1 other ranks' steps; at the own step
    // two diagonals and one full tile: 2 P c^2 + c pairs on every rank.
    double pairs = 0;
    for (const Range& chunk : zigzag_tokens(p, rank)) pairs += block_pairs(p, chunk, Range{0, p.S});
    return kv_ring_model(p, p.P, 2.0 * p.B * (2 * c) * p.Hkv * p.D, 4.0 * p.B * p.D * p.H * pairs);
  }

  Plan plan(const Problem& p, int rank) const override { return world_kv_ring_plan(p, rank, name(), zigzag_tokens); }
};

}  // namespace

CPB_REGISTER_SCHEDULE(ZigzagRing);

}  // namespace cpb
