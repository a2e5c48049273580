// Ring attention: contiguous sequence shards (rank r holds tokens [r S/P, (r+1) S/P)).
// In P steps every rank attends its own queries against each rank's key/value block:
// step k uses the block of rank r-k while a SendRecv on the comm lane passes that block
// to rank r+1 and receives the next one from rank r-1 into the other of two ring buffers,
// so communication overlaps the attention of the same step. Under the causal mask blocks
// of earlier ranks are full tiles, the own block is the diagonal (causal) tile and blocks
// of later ranks are skipped but still forwarded, which leaves the last rank with P times
// the work of the first (zigzag_ring balances it). Partial outputs and their LSE are
// merged by LSE (tile_outputs.hpp): where a row has two tiles (full mask, P = 2), the
// second straight into O; with more, into an fp32 accumulator converted into O at the end.
// Each rank sends and receives 2 (P-1) B n Hkv D elements of the dtype, n = S/P.
//
// Backward (pass bwd and fwd_bwd; kv_ring.hpp): the forward keeps each query row's final
// LSE; then P steps again over the same tiles, the key/value blocks passed on as in the
// forward (each landing while the step before computes). dQ adds up on its rank (in fp32
// where a row has several tiles, copied into DQ at the end). dK and dV add up in an fp32
// accumulator that travels the ring one step behind its block: a step's tiles add into a
// zeroed fp32 partial while the block's accumulator arrives from the previous rank, then
// a reduction adds the partial in and the accumulator goes on to the next rank, so its
// transfer overlaps the step's attention; after step P-1 one more pass returns every
// accumulator to its owner, which copies it into DK and DV: that return is the one
// transfer no attention hides. The forward's causal imbalance carries over. Each rank
// sends and receives, for pass bwd, the blocks again, 2 (P-1) B n Hkv D elements of the
// dtype, and the accumulators, 2 P B n Hkv D fp32 elements (none at P = 1): with bf16,
// (12 P - 4) B n Hkv D bytes against the forward's 4 (P-1). fp32 accumulators cost twice
// the bytes of bf16 ones (8 P instead of 4 P B n Hkv D) and round each gradient once
// instead of at every pass. fwd_bwd sends the sum of both. Backward FLOPs count 2.5 times
// the forward's (kBackwardFlopFactor).
#include "bench/schedule.hpp"
#include "bench/schedules/kv_ring.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {
namespace {

class Ring final : public Schedule {
 public:
  std::string name() const override { return "ring"; }
  std::string description() const override {
    return "contiguous shards; key/value blocks passed around a ring, partials merged by LSE";
  }

  Reason unsupported(const Problem& p) const override { return sequence_shard_error(p, p.P, "P", "ring"); }

  Model model(const Problem& p, int rank) const override {
    const double n = static_cast<double>(p.S / p.P);
    return kv_ring_model(p, p.P, 2.0 * p.B * n * p.Hkv * p.D,
                         4.0 * p.B * p.D * p.H * block_pairs(p, contiguous_tokens(p, rank), Range{0, p.S}));
  }

  Plan plan(const Problem& p, int rank) const override {
    return world_kv_ring_plan(p, rank, name(), [](const Problem& problem, int r) {
      return std::vector<Range>{contiguous_tokens(problem, r)};
    });
  }
};

}  // namespace

CPB_REGISTER_SCHEDULE(Ring);

}  // namespace cpb
