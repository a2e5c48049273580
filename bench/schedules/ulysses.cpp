// Ulysses (DeepSpeed-Ulysses): sequence-sharded Q, K, V [B, S/P, H, D] are exchanged by one
// all-to-all into head-sharded tensors [B, S, H/P, D] (rank r gets query heads
// even_split(H, P)[r] and the key/value heads they read), each rank attends its heads over
// the whole sequence, and a second all-to-all returns O to the sequence sharding. There is
// no overlap: the input exchange, attention and output exchange run one after another.
// Per rank it moves about 4 S H D (P-1)/P^2 elements (fewer with GQA). The plan is the
// one-chunk case of the HCMS pipeline (head_pipeline.hpp), so HCMS with C = 1 is this
// plan exactly. Option qkv_layout: Separate sends Q, K and V to a peer as three
// transfers, Packed as one (head_exchange.hpp); the bytes are the same. Backward (pass
// bwd, fwd_bwd; head_gradients.hpp): an all-to-all brings dO to the head sharding, each
// rank runs the backward of its heads' tiles over the whole sequence (reusing the
// forward's head-sharded Q, K, V, O and LSE), and an all-to-all returns dQ, dK and dV to
// the sequence sharding, where dK and dV of a GQA head two ranks share are summed; no
// overlap either. Under MHA it moves the forward's bytes again: dO in, three gradients out.
#include "bench/schedule.hpp"
#include "bench/schedules/head_exchange.hpp"
#include "bench/schedules/head_pipeline.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {
namespace {

class Ulysses final : public Schedule {
 public:
  std::string name() const override { return "ulysses"; }
  std::string description() const override {
    return "all-to-all to head sharding, attention over the whole sequence, all-to-all back";
  }

  std::vector<Option> options() const override { return {Option::QkvLayout}; }

  Reason unsupported(const Problem& p) const override {
    return head_shard_error(p, "ulysses");
  }

  Model model(const Problem& p, int rank) const override {
    return head_pipeline_model(p, rank, even_head_split(p.H, p.P));
  }

  Plan plan(const Problem& p, int rank) const override {
    return head_pipeline_plan(p, rank, name(), even_head_split(p.H, p.P), PipelineLanes{});
  }
};

}  // namespace

CPB_REGISTER_SCHEDULE(Ulysses);

}  // namespace cpb
