// The attention kernel table of a machine file, indexed for lookups: the predicted time of
// any attention tile from the measured samples (docs/SIMULATOR.md, "The kernel table").
//
// The rule. A tile [B, Sq, Hq, D] x [B, Skv, Hk, D] has FLOPs F (attention_tile_flops)
// and belongs to the class (D, causal, dtype): samples of another class never price it.
// Inside the class the samples form curves, one per (group = Hq / Hk, heads), each giving
// the throughput F / ms [FLOP/ms] against x = ln(F / heads), the work of one head (a
// function of Sq and Skv alone). For a tile with h = B * Hq heads (cuDNN spreads batch
// and heads over the SMs alike) and group g:
//  1. the curves of group g, or of the nearest group in ln(g) when the class has none
//     (ties: the smaller group): GQA changes only how often K and V are read;
//  2. the two curves whose heads bracket h (one when h is measured or outside them:
//     the nearest), since heads set how many thread blocks fill the GPU;
//  3. on each curve, the throughput at x, linear in x between the samples around it and
//     constant beyond the first and last (samples of equal x are averaged);
//  4. the two throughputs weighted linearly in ln(h); time = F / throughput.
// Exact at a measured shape (up to rounding), between its neighbours' throughputs between
// samples of one curve, never negative or zero. A causal tile with a diagonal offset or a
// window (cut out of a block-sparse mask) is priced by the causal class at its own FLOPs
// (tile_pairs): an assumption, since the table measures top-left causal squares only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/dtype.hpp"
#include "bench/plan/plan.hpp"
#include "bench/sim/machine_model.hpp"

namespace cpb {

// One attention tile by its numbers.
struct TileShape {
  int64_t batch = 1, q_tokens = 0, k_tokens = 0, heads = 0, kv_heads = 0, head_dim = 0;
  bool causal = false;
  DType dtype = DType::BF16;
  int64_t diag = 0, window = 0;  // a causal tile's diagonal offset and window (kernels/tile_mask.hpp)
};
// The tile of `a` (B = q.shape[0], Sq = q.shape[1], Hq = q.shape[2], Skv = k.shape[1],
// Hk = k.shape[2], D = q.shape[3]) in the problem's dtype.
TileShape tile_shape(const AttentionOp& a, DType dtype);

class KernelTable {
 public:
  // Precondition: samples checked as machine_model_from_json does (positive sizes and
  // times, heads % kv_heads == 0).
  explicit KernelTable(const std::vector<KernelSample>& samples);

  // Predicted time [ms] > 0. Throws UsageError when the table has no sample of the
  // tile's (head_dim, causal, dtype), naming the classes it has.
  double ms(const TileShape& t) const;

 private:
  struct Point {
    double x = 0;    // ln(FLOPs per head)
    double thr = 0;  // [FLOP/ms]
  };
  struct Curve {
    int64_t group = 1, heads = 1;
    std::vector<Point> points;  // by x, distinct
  };
  struct Class {
    int64_t head_dim = 0;
    bool causal = false;
    DType dtype = DType::BF16;
    std::vector<Curve> curves;  // by (group, heads)
  };
  const Class& find_class(const TileShape& t) const;
  std::vector<Class> classes_;
};

}  // namespace cpb
