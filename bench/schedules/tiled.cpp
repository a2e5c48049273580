// Tiled attention (UltraAttn-style, for block-sparse masks): the sequence is cut into
// P m blocks (m = tile_blocks), rank r holding blocks [r m, (r + 1) m), the contiguous
// shard of ring. Every (query block, key block) pair the mask allows some pair of is a
// tile, assigned to one rank by the tiling problem (bench/tiling/): the largest per-rank
// send or receive volume is minimised under a load-balance constraint (tile_balance
// percent of the mean work), by a greedy assignment or a MILP warm-started from it
// (tile_solver; bench/tiling/tiled_layout.hpp says when the MILP's answer is used; where
// the tiles do not pack under the cap the greedy's answer over it stands, and the
// record's planner shows the load). At most 128 blocks (P tile_blocks). A rank receives, in one
// grouped exchange, the Q blocks and K, V blocks of the tiles it computes that it does
// not hold; it attends the tiles whose blocks it holds first, so that exchange overlaps
// them, then the others. Its tiles of another rank's query block are merged by LSE into
// one partial output per row segment, which a second exchange returns with its LSE to
// the block's owner; the owner merges them with its own tiles' results into O
// (tile_outputs.hpp). With tile_fuse "rows" (kernel-level tiling), a rank's tiles of one
// query block whose pieces share their rows, whose keys adjoin in one buffer and whose
// union is one region of the mask run as one attention call: fewer calls and partials
// to merge for the same pairs, and since such tiles wait for the same inputs, no overlap
// is lost; tile_blocks then sets how finely the assignment balances and overlaps, fusing
// how big the calls are. "both" then fuses those calls as columns: calls of adjoining
// query blocks whose bounding box is one mask region with no other pairs (the same keys,
// or a causal staircase) run as one, where the rank holds the blocks and each call writes
// its rows' only output without an LSE (a forward pass; tiled_plan_builder.hpp, Call, says
// why). Bytes and FLOPs follow from the assignment (model()).
// With tile_u = u > 1, heads come first: an all-to-all inside groups of u consecutive
// ranks (as usp's) gives member j of each group query-head slice j over the group's
// tokens; the P / u ranks holding slice j tile the mask among themselves (a tiling
// problem of P / u ranks and the slice's heads), and the reverse all-to-all returns O
// (tiled_plan.hpp). The all-to-alls do not overlap; inside each slice's world the tiling
// overlaps as above.
// Backward (pass bwd and fwd_bwd): the same tiles on the same ranks (the forward's
// assignment and fused calls; columns never fuse in a backward pass). The forward keeps each row's final LSE
// at its owner beside O. One grouped exchange "bwd_in" sends, per block in block order, a
// query block's Q, dO, final O (Act) and LSE (F32), and a key block's K and V, to every
// rank computing a tile of them: the backward starts again from the owners' shards and
// their saved O and LSE, as a training step's backward does, rather than keeping the
// blocks the forward received. Each rank runs the backward of its local tiles first (the
// "bwd_in" exchange on the comm lane beside them on the compute lane), then the others;
// a tile adds its dQ, dK, dV into fp32 accumulators, the rank's own or, for another
// rank's block, partial ones. The partials are copied to Act, and "bwd_out" returns dQ per
// row segment to the query block's owner and dK, dV per key segment (the key rows the
// rank's tiles of that block touch) to the key block's owner, which adds them into its
// accumulators (one reduce step per sender) and copies them into dQ, dK, dV. "bwd_out" and
// the reductions overlap nothing (a rank's partials are complete only after its last
// remote tile; the step_order lever's list order may move local tiles beside them). Pass
// bwd's forward is the untimed prologue; in fwd_bwd "bwd_in" waits for the forward's O.
// Bytes per rank (model(): add_forward_bytes, add_backward_bytes in tiled_plan.cpp), with
// c tokens per block and a bytes per element: for each block b it owns and each other rank
// d computing a tile of b, the forward sends B c H D a (Q_b, when d computes some of b's
// rows) + 2 B c Hkv D a (K_b, V_b, when some of b's keys) and receives
// sum over d's row segments s of b of B |s| H (D a + 4) (partial O and LSE); the backward
// sends B c H (3 D a + 4) (Q, dO, O, LSE) + 2 B c Hkv D a (K, V) and receives
// sum over s of B |s| H D a (dQ) + sum over d's key segments t of b of 2 B |t| Hkv D a (dK,
// dV); it receives and sends the same for the blocks it computes tiles of. fwd_bwd: both.
// With tile_u > 1 the backward composes Ulysses's (head_gradients.hpp: dO to head sharding
// before, dQ, dK, dV back and summed at the token owners after; the forward's head-sharded
// Q, K, V kept, as ulysses keeps them) with each slice world's backward above, which adds
// into the head exchange's accumulators; bytes: head_gradients_model's plus the world's.
// The backward kernel recomputes delta = rowsum(dO O) from O: shipping delta (B c H fp32)
// instead of O would save B c H D a per query block sent, but needs delta in the IR.
#include "bench/schedule.hpp"
#include "bench/schedules/layout.hpp"
#include "bench/schedules/tiled_plan.hpp"

namespace cpb {
namespace {

class Tiled final : public Schedule {
 public:
  std::string name() const override { return "tiled"; }
  std::string description() const override {
    return "block-sparse tiles assigned to ranks by the tiling problem; inputs and partial outputs point to point";
  }
  std::vector<Option> options() const override {
    return {Option::TileBlocks, Option::TileBalance, Option::TileSolver, Option::TileU, Option::TileNode,
            Option::TileFuse};
  }

  Reason unsupported(const Problem& p) const override {
    if (Reason e = basic_problem_error(p, "tiled")) return e;
    return tiled_error(p);
  }

  Model model(const Problem& p, int rank) const override { return tiled_model(p, rank); }

  Plan plan(const Problem& p, int rank) const override { return tiled_plan(p, rank); }

  nlohmann::json planner(const Problem& p) const override { return tiled_planner(p); }
};

}  // namespace

CPB_REGISTER_SCHEDULE(Tiled);

}  // namespace cpb
