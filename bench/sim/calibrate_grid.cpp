#include "bench/sim/calibrate_grid.hpp"

namespace cpb {
namespace {

struct Axes {
  std::vector<int64_t> tokens;
  std::vector<int> heads, head_dims;
  std::vector<DType> dtypes;
};

std::vector<KernelSample> attention_shapes(const Axes& a) {
  std::vector<KernelSample> out;
  for (DType dtype : a.dtypes)
    for (int d : a.head_dims)
      for (bool causal : {false, true})
        for (int h : a.heads)
          for (int kv : grid_kv_heads(h))
            for (int64_t s : a.tokens) {
              KernelSample k;
              k.q_tokens = k.k_tokens = s;
              k.heads = h;
              k.kv_heads = kv;
              k.head_dim = d;
              k.causal = causal;
              k.dtype = dtype;
              out.push_back(k);
            }
  return out;
}

std::vector<int64_t> powers_of_two(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t s = from; s <= to; s *= 2) v.push_back(s);
  return v;
}

}  // namespace

std::vector<int> grid_kv_heads(int heads) {
  std::vector<int> kv{heads};
  if (heads % 4 == 0) kv.push_back(heads / 4);
  return kv;
}

CalibrateGrid calibrate_grid(const std::string& runtime, bool quick) {
  CalibrateGrid g;
  Axes a;
  if (runtime == "cuda") {
    a = quick ? Axes{{1024, 4096, 16384}, {8}, {128}, {DType::BF16}}
              : Axes{powers_of_two(1024, 65536), {1, 8, 32}, {64, 128}, {DType::BF16, DType::FP16}};
    g.bandwidth_tokens = quick ? std::vector<int64_t>{2048, 131072} : std::vector<int64_t>{2048, 16384, 131072};
    g.bandwidth_heads = 8;
    g.bandwidth_head_dim = 128;
    g.cap_ms = 250;
    g.budget_ms = 100;
    g.settle_ms = quick ? 0 : 400;
  } else {
    a = quick ? Axes{{64, 128}, {1, 4}, {32}, {DType::BF16}}
              : Axes{powers_of_two(64, 512), {1, 4}, {32, 64}, {DType::BF16}};
    g.bandwidth_tokens = quick ? std::vector<int64_t>{256, 4096} : std::vector<int64_t>{256, 2048, 16384};
    g.bandwidth_heads = 4;
    g.bandwidth_head_dim = 32;
    g.cap_ms = 1000;
    g.budget_ms = 50;
  }
  g.attention = attention_shapes(a);
  g.dtype = a.dtypes.front();
  return g;
}

}  // namespace cpb
