// Ring attention: contiguous sequence shards (rank r holds tokens [r S/P, (r+1) S/P)).
// In P steps every rank attends its own queries against each rank's key/value block:
// step k uses the block of rank r-k while a SendRecv on the comm lane passes that block
// to rank r+1 and receives the next one from rank r-1 into the other of two ring buffers,
// so communication overlaps the attention of the same step. Under the causal mask blocks
// of earlier ranks are full tiles, the own block is the diagonal (causal) tile and blocks
// of later ranks are skipped but still forwarded, which leaves the last rank with P times
// the work of the first (zigzag_ring balances it). Partial outputs and their LSE are
// merged by LSE (tile_outputs.hpp): where a row has two tiles (full mask, P = 2), the
// second straight into O; with more, into an fp32 accumulator converted into O at the end. Each rank sends and receives
// 2 (P-1) B S/P Hkv D elements.
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

  Reason unsupported(const Problem& p) const override {
    if (Reason e = no_backward_error(p, "ring")) return e;
    return sequence_shard_error(p, p.P, "P", "ring");
  }

  Model model(const Problem& p, int rank) const override {
    const double n = static_cast<double>(p.S / p.P);
    Model m;
    m.send_bytes = m.recv_bytes = (p.P - 1) * 2.0 * p.B * n * p.Hkv * p.D * dtype_bytes(p.dtype);
    m.flops = 4.0 * p.B * p.D * p.H * block_pairs(p, contiguous_tokens(p, rank), Range{0, p.S});
    return m;
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
