// LSE merge: synthetic data against a double-precision host merge, and cuDNN attention
// over two key halves merged by LSE against the reference attention over all keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "bench/runtime/cuda/cuda_verify.hpp"
#include "kernels/cuda/copy_views.hpp"
#include "kernels/cuda/cudnn_sdpa.hpp"
#include "kernels/cuda/lse_merge.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace cpb {
namespace {

using test::dense_inputs;
using test::to_host_floats;

TEST(LseMerge, MatchesHostMerge) {
  CPB_REQUIRE_GPU();
  const int64_t B = 2, S = 33, H = 3, D = 64, rows = B * S * H, n = rows * D;
  // Partial outputs in bf16 (the inputs' values are bf16), accumulators and LSEs in fp32.
  DeviceBuffer part = dense_inputs(Tensor::V, DType::BF16, B, S, H, D);
  const std::vector<float> hp = to_host_floats(part, DType::BF16, static_cast<size_t>(n));
  std::vector<float> acc(static_cast<size_t>(n)), acc_lse(static_cast<size_t>(rows)),
      part_lse(static_cast<size_t>(rows));
  for (size_t i = 0; i < acc.size(); ++i) acc[i] = std::sin(0.37f * static_cast<float>(i));
  for (size_t r = 0; r < acc_lse.size(); ++r) {
    acc_lse[r] = 3.0f + std::cos(1.3f * static_cast<float>(r)) * 4.0f;
    part_lse[r] = 3.0f + std::sin(0.7f * static_cast<float>(r)) * 4.0f;
  }
  part_lse[5] = -std::numeric_limits<float>::infinity();  // a partial that saw no key
  acc_lse[7] = -std::numeric_limits<float>::infinity();   // an accumulator with no key yet
  DeviceBuffer d_acc(acc.size() * 4), d_acc_lse(acc_lse.size() * 4), d_part_lse(part_lse.size() * 4);
  CPB_CUDA_CHECK(cudaMemcpy(d_acc.get(), acc.data(), d_acc.bytes(), cudaMemcpyHostToDevice));
  CPB_CUDA_CHECK(cudaMemcpy(d_acc_lse.get(), acc_lse.data(), d_acc_lse.bytes(), cudaMemcpyHostToDevice));
  CPB_CUDA_CHECK(cudaMemcpy(d_part_lse.get(), part_lse.data(), d_part_lse.bytes(), cudaMemcpyHostToDevice));
  const DeviceView po = dense_device_view(part.get(), DType::BF16, {B, S, H, D});
  const DeviceView ao = dense_device_view(d_acc.get(), DType::FP32, {B, S, H, D});
  const DeviceView pl = dense_device_view(d_part_lse.get(), DType::FP32, {B, H, S, 1});
  const DeviceView al = dense_device_view(d_acc_lse.get(), DType::FP32, {B, H, S, 1});
  lse_merge(po, pl, ao, al, false, nullptr);
  CPB_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> got = to_host_floats(d_acc, DType::FP32, acc.size());
  const std::vector<float> got_lse = to_host_floats(d_acc_lse, DType::FP32, acc_lse.size());
  double worst = 0, worst_lse = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t h = 0; h < H; ++h) {
        const size_t l = static_cast<size_t>((b * H + h) * S + s);
        const double la = acc_lse[l], lp = part_lse[l];
        double wa = 1, wp = 0, lse = la;
        if (std::isinf(lp)) {
          wa = 1, wp = 0, lse = la;
        } else if (std::isinf(la)) {
          wa = 0, wp = 1, lse = lp;
        } else {
          const double m = std::max(la, lp);
          wa = std::exp(la - m);
          wp = std::exp(lp - m);
          lse = m + std::log(wa + wp);
          const double sum = wa + wp;
          wa /= sum;
          wp /= sum;
        }
        worst_lse = std::max(worst_lse, std::fabs(lse - got_lse[l]));
        for (int64_t d = 0; d < D; ++d) {
          const size_t i = static_cast<size_t>(((b * S + s) * H + h) * D + d);
          const double want = wa * acc[i] + wp * hp[i];
          worst = std::max(worst, std::fabs(want - got[i]));
        }
      }
  EXPECT_LE(worst, 1e-5);
  EXPECT_LE(worst_lse, 1e-5);

  // init: the accumulator becomes the partial.
  lse_merge(po, pl, ao, al, true, nullptr);
  CPB_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_EQ(to_host_floats(d_acc, DType::FP32, acc.size()), hp);
  EXPECT_EQ(to_host_floats(d_acc_lse, DType::FP32, part_lse.size()), part_lse);
}

// Ring attention on one GPU over two key halves: each half through cuDNN with stats.
struct KeyHalves {
  static constexpr int64_t B = 1, S = 512, H = 4, Hkv = 2, D = 128, half = S / 2;
  Problem p;
  DeviceBuffer q = dense_inputs(Tensor::Q, DType::BF16, B, S, H, D);
  DeviceBuffer k = dense_inputs(Tensor::K, DType::BF16, B, S, Hkv, D);
  DeviceBuffer v = dense_inputs(Tensor::V, DType::BF16, B, S, Hkv, D);
  CudnnSdpa sdpa;
  SdpaDesc d;
  DeviceBuffer ws;

  KeyHalves() {
    p.S = S;
    p.H = H;
    p.Hkv = Hkv;
    p.D = D;
    p.B = B;
    d = dense_sdpa_desc(DType::BF16, B, S, half, H, Hkv, D, false, true, static_cast<float>(p.softmax_scale()));
    d.k.stride = {S * Hkv * D, Hkv * D, D, 1};  // a key half of the full K
    d.v = d.k;
    int64_t ws_bytes = 0;
    const std::string why = sdpa.prepare(d, &ws_bytes);
    if (!why.empty()) CPB_FATAL("cuDNN refused the key-half attention: " + why);
    ws = DeviceBuffer(static_cast<size_t>(ws_bytes));
  }
  // Attention of every query over key half i into o (bf16 [B, S, H, D]) and lse (fp32).
  void run(int64_t i, void* o, float* lse) {
    SdpaArgs a;
    a.q = q.get();
    a.k = k.as<__nv_bfloat16>() + i * half * Hkv * D;
    a.v = v.as<__nv_bfloat16>() + i * half * Hkv * D;
    a.o = o;
    a.lse = lse;
    sdpa.run(d, a, ws.get(), nullptr);
  }
  DeviceView view(const DeviceBuffer& b, DType t) const { return dense_device_view(b.get(), t, {B, S, H, D}); }
  DeviceView lse_view(const DeviceBuffer& b) const { return dense_device_view(b.get(), DType::FP32, {B, H, S, 1}); }
  // Both halves into a bf16 partial, merged by LSE into an fp32 accumulator, converted
  // into o (bf16 [B, S, H, D]); the merged LSE in lse (fp32 [B, H, S, 1]).
  void merge_in_fp32(const DeviceBuffer& o, const DeviceBuffer& lse) {
    DeviceBuffer part(q.bytes()), part_lse(lse.bytes()), acc(static_cast<size_t>(B * S * H * D) * 4);
    for (int64_t i = 0; i < 2; ++i) {
      run(i, part.get(), part_lse.as<float>());
      lse_merge(view(part, DType::BF16), lse_view(part_lse), view(acc, DType::FP32), lse_view(lse), i == 0, nullptr);
    }
    copy_views({CopyPair{view(acc, DType::FP32), view(o, DType::BF16)}}, nullptr);
    CPB_CUDA_CHECK(cudaDeviceSynchronize());  // part and acc are freed on return
  }
  VerifyResult verify(const DeviceBuffer& o, const char* what) const {
    const VerifyResult r = verify_attention(p, {Range{0, S}}, view(o, DType::BF16), VerifyMode::Full, nullptr);
    std::printf("[%s] max_abs_err %.3g tolerance %.3g (err/tol %.3f)\n", what, r.max_abs_err, r.tolerance,
                r.max_abs_err / r.tolerance);
    return r;
  }
};

// Both halves into a bf16 partial, merged by LSE into fp32, converted to bf16, verified
// against the reference. Checks cuDNN's stats convention end to end.
TEST(LseMerge, KeyHalvesMergeToFullAttention) {
  CPB_REQUIRE_GPU();
  KeyHalves h;
  DeviceBuffer o(h.q.bytes()), lse(static_cast<size_t>(h.B * h.H * h.S) * 4);
  h.merge_in_fp32(o, lse);
  const VerifyResult r = h.verify(o, "merge key halves");
  EXPECT_FALSE(r.nonfinite);
  EXPECT_LE(r.max_abs_err, r.tolerance);
}

// The first half straight into the bf16 output, the second into a partial merged into the
// output in place (a bf16 accumulator, TileOutputs' two-tile rows): the same rounding as
// the fp32 path, so the two outputs agree to a bf16 rounding and both verify.
TEST(LseMerge, KeyHalvesMergeInPlaceIntoTheOutput) {
  CPB_REQUIRE_GPU();
  KeyHalves h;
  const size_t n = static_cast<size_t>(h.B * h.S * h.H * h.D);
  DeviceBuffer part(h.q.bytes()), part_lse(static_cast<size_t>(h.B * h.H * h.S) * 4);
  DeviceBuffer o(h.q.bytes()), o_lse(part_lse.bytes()), acc_lse(part_lse.bytes()), o_fp32(h.q.bytes());
  h.run(0, o.get(), o_lse.as<float>());
  h.run(1, part.get(), part_lse.as<float>());
  lse_merge(h.view(part, DType::BF16), h.lse_view(part_lse), h.view(o, DType::BF16), h.lse_view(o_lse), false, nullptr);
  h.merge_in_fp32(o_fp32, acc_lse);  // the fp32 path, for comparison
  const VerifyResult r = h.verify(o, "merge in place");
  EXPECT_FALSE(r.nonfinite);
  EXPECT_LE(r.max_abs_err, r.tolerance);
  const std::vector<float> a = to_host_floats(o, DType::BF16, n), b = to_host_floats(o_fp32, DType::BF16, n);
  double worst = 0;  // in units of bf16's spacing at the value
  for (size_t i = 0; i < n; ++i)
    worst = std::max(worst, std::fabs(a[i] - b[i]) / (std::ldexp(std::fabs(b[i]), -7) + 1e-30));
  std::printf("[merge in place] largest difference from the fp32 path: %.2f bf16 spacings\n", worst);
  EXPECT_LE(worst, 1.0);
  EXPECT_EQ(to_host_floats(o_lse, DType::FP32, static_cast<size_t>(h.B * h.H * h.S)),
            to_host_floats(acc_lse, DType::FP32, static_cast<size_t>(h.B * h.H * h.S)));
}

}  // namespace
}  // namespace cpb
