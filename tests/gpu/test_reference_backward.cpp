// The GPU gradient reference and GPU gradient verification (issue 20):
//  (a) the fp32 GPU reference's dQ, dK, dV of every row and their rounding magnitudes
//      against the CPU double reference (kernels/cpu/reference_attention_backward.hpp),
//      full, causal, GQA, masks;
//  (b) verify_gradients_cuda on shards built from the CPU reference (a zigzag shard):
//      PASS clean, FAIL a scaled dK row or a dQ of the wrong head, nonfinite for a NaN;
//  (c) a timing print of sampled verification at S = 65536 (CPB_GRAD_VERIFY_S overrides).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/device_buffer.hpp"
#include "bench/mask/mask_regions.hpp"
#include "bench/runtime/cuda/cuda_verify_gradients.hpp"
#include "bench/runtime/row_tokens.hpp"
#include "kernels/cpu/reference_attention_backward.hpp"
#include "kernels/cuda/reference_attention_backward.hpp"
#include "kernels/cuda/reference_row_stats.hpp"
#include "tests/gpu/gpu_test_util.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

using Ranges = std::vector<std::pair<int64_t, int64_t>>;

Problem problem(Mask m, int64_t S, int H, int Hkv, int D, int B) { return test::make_problem(1, S, H, Hkv, D, B, m); }

std::string name(const Problem& p) {
  return std::string(to_string(p.mask)) + " S=" + std::to_string(p.S) + " H=" + std::to_string(p.H) +
         " Hkv=" + std::to_string(p.Hkv) + " D=" + std::to_string(p.D);
}

// The CPU double reference's gradients of local rows `tok`: dq [B, rows, H, D], dk and dv
// [B, rows, Hkv, D]; mq, mk, mv their rounding magnitudes.
struct Grads {
  std::vector<double> dq, dk, dv, mq, mk, mv;
};
Grads cpu_gradients(const Problem& p, const std::vector<int64_t>& tok) {
  const std::vector<MaskRegion> regions = mask_regions(p);
  ReferenceShape shape;
  shape.S = p.S;
  shape.H = p.H;
  shape.Hkv = p.Hkv;
  shape.D = p.D;
  shape.keys = [&regions](int64_t t, Ranges* out) { mask_row_keys(regions, t, out); };
  shape.scale = p.softmax_scale();
  ReferenceAttentionBackward ref(shape);
  const int64_t rows = static_cast<int64_t>(tok.size()), D = p.D;
  Grads g;
  g.dq.resize(static_cast<size_t>(p.B * rows * p.H * D));
  g.dk.resize(static_cast<size_t>(p.B * rows * p.Hkv * D));
  g.dv.resize(g.dk.size());
  g.mq.resize(g.dq.size());
  g.mk.resize(g.dk.size());
  g.mv.resize(g.dk.size());
  for (int64_t b = 0; b < p.B; ++b) {
    for (int64_t h = 0; h < p.H; ++h)
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t at = ((b * rows + r) * p.H + h) * D;
        ref.dq_row(b, tok[static_cast<size_t>(r)], h, g.dq.data() + at, g.mq.data() + at);
      }
    for (int64_t h = 0; h < p.Hkv; ++h)
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t at = ((b * rows + r) * p.Hkv + h) * D;
        ref.dkv_row(b, tok[static_cast<size_t>(r)], h, g.dk.data() + at, g.dv.data() + at, g.mk.data() + at,
                    g.mv.data() + at);
      }
  }
  return g;
}

std::vector<float> download(const DeviceBuffer& buf, int64_t n) {
  return test::to_host_floats(buf, DType::FP32, static_cast<size_t>(n));
}

// The GPU reference's gradients of batch b for every token (dq [S, H, D], dk and dv [S,
// Hkv, D]) and their magnitudes, through the kernels verify_gradients_cuda uses, dQ from
// every token's statistics computed in chunks of 37 rows.
Grads gpu_gradients(const Problem& p, int64_t b) {
  const int64_t S = p.S, D = p.D, group = p.group_size();
  const float scale = static_cast<float>(p.softmax_scale());
  const std::vector<MaskRegion> regions = mask_regions(p);
  RangeLists keys, queries;
  std::vector<GradRow> all;
  for (int64_t t = 0; t < S; ++t) {
    Ranges r;
    mask_row_keys(regions, t, &r);
    keys.push_row(r);
    r.clear();
    mask_key_rows(regions, t, &r);
    queries.push_row(r);
    all.push_back(GradRow{t, t});
  }
  const DeviceRangeLists d_keys(keys, nullptr), d_queries(queries, nullptr);
  DeviceBuffer d_all(all.size() * sizeof(GradRow));
  CPB_CUDA_CHECK(cudaMemcpy(d_all.get(), all.data(), d_all.bytes(), cudaMemcpyHostToDevice));
  const size_t f = sizeof(float);
  DeviceBuffer k(static_cast<size_t>(RowStatistics::kv_rows(S) * D) * f), v(k.bytes());
  DeviceBuffer q(static_cast<size_t>(S * D) * f), dout(q.bytes()), lse(static_cast<size_t>(S) * f), delta(lse.bytes()),
      r(lse.bytes());
  DeviceBuffer dq(q.bytes()), dk(q.bytes()), dv(q.bytes()), mq(q.bytes()), mk(q.bytes()), mv(q.bytes()),
      scratch(grad_rows_scratch_bytes(S, D)), acc(dkv_accumulator_bytes(S, D));
  CPB_CUDA_CHECK(cudaMemset(k.get(), 0, k.bytes()));
  CPB_CUDA_CHECK(cudaMemset(v.get(), 0, v.bytes()));
  RowStatistics stats(S, D, scale, nullptr, /*chunk_rows=*/37);  // several chunks, one partial
  Grads g;
  g.dq.resize(static_cast<size_t>(S * p.H * D));
  g.dk.resize(static_cast<size_t>(S * p.Hkv * D));
  g.dv.resize(g.dk.size());
  g.mq.resize(g.dq.size());
  g.mk.resize(g.dk.size());
  g.mv.resize(g.dk.size());
  // Row t of a [S, D] buffer into head `head` of a [S, heads, D] tensor.
  const auto put = [&](const DeviceBuffer& buf, int64_t heads, int64_t head, std::vector<double>* into) {
    const std::vector<float> x = download(buf, S * D);
    for (int64_t t = 0; t < S; ++t)
      for (int64_t d = 0; d < D; ++d)
        (*into)[static_cast<size_t>((t * heads + head) * D + d)] = x[static_cast<size_t>(t * D + d)];
  };
  for (int64_t kv = 0; kv < p.Hkv; ++kv) {
    generate_rows(Tensor::K, b, kv, nullptr, S, D, k.as<float>(), nullptr);
    generate_rows(Tensor::V, b, kv, nullptr, S, D, v.as<float>(), nullptr);
    CPB_CUDA_CHECK(cudaMemset(acc.get(), 0, acc.bytes()));
    for (int64_t h = kv * group; h < (kv + 1) * group; ++h) {
      generate_rows(Tensor::Q, b, h, nullptr, S, D, q.as<float>(), nullptr);
      generate_rows(Tensor::DO, b, h, nullptr, S, D, dout.as<float>(), nullptr);
      stats.compute(q.as<float>(), dout.as<float>(), keys, d_keys, k.as<float>(), v.as<float>(), lse.as<float>(),
                    delta.as<float>(), r.as<float>());
      reference_dq_rows(d_all.as<GradRow>(), S, d_keys, q.as<float>(), dout.as<float>(), lse.as<float>(),
                        delta.as<float>(), r.as<float>(), k.as<float>(), v.as<float>(), D, scale, scratch.get(),
                        dq.as<float>(), mq.as<float>(), nullptr);
      reference_dkv_rows(d_all.as<GradRow>(), S, d_queries, k.as<float>(), v.as<float>(), q.as<float>(),
                         dout.as<float>(), lse.as<float>(), delta.as<float>(), r.as<float>(), D, scale, scratch.get(),
                         acc.as<float>(), nullptr);
      put(dq, p.H, h, &g.dq);
      put(mq, p.H, h, &g.mq);
    }
    reference_dkv_finish(acc.as<float>(), S, D, dk.as<float>(), dv.as<float>(), mk.as<float>(), mv.as<float>(),
                         nullptr);
    put(dk, p.Hkv, kv, &g.dk);
    put(dv, p.Hkv, kv, &g.dv);
    put(mk, p.Hkv, kv, &g.mk);
    put(mv, p.Hkv, kv, &g.mv);
  }
  return g;
}

// |got - want| <= 1e-4 max|want| everywhere (fp32 level; a bf16 rounding is 4e-3), naming
// the first few elements that are not by (token, head, d). want: batch b of a [B, S, heads,
// D] tensor.
void expect_close(const char* tensor, const Problem& p, int64_t b, int64_t heads, const std::vector<double>& got,
                  const std::vector<double>& want) {
  const size_t n = got.size(), off = static_cast<size_t>(b) * n;
  double most = 0, worst = 0;
  for (size_t i = 0; i < n; ++i) most = std::max(most, std::fabs(want[off + i]));
  int shown = 0;
  for (size_t i = 0; i < n; ++i) {
    const double err = std::fabs(got[i] - want[off + i]);
    worst = std::isnan(err) ? std::numeric_limits<double>::infinity() : std::max(worst, err);
    if (!(err <= 1e-4 * most) && ++shown <= 5) {
      const int64_t d = static_cast<int64_t>(i) % p.D, h = static_cast<int64_t>(i) / p.D % heads,
                    t = static_cast<int64_t>(i) / (p.D * heads);
      ADD_FAILURE() << name(p) << " " << tensor << " b=" << b << " token " << t << " head " << h << " d " << d
                    << ": gpu " << got[i] << ", cpu " << want[off + i] << " (max|cpu| " << most << ")";
    }
  }
  std::printf("%s %s b=%lld: max err / max|ref| = %.3g\n", name(p).c_str(), tensor, static_cast<long long>(b),
              worst / most);
}

TEST(ReferenceBackward, MatchesCpuDoubleReference) {
  CPB_REQUIRE_GPU();
  std::vector<Problem> cases = {problem(Mask::Full, 100, 2, 2, 64, 2), problem(Mask::Causal, 130, 4, 2, 128, 2),
                                problem(Mask::SlidingWindow, 150, 4, 2, 64, 2),
                                problem(Mask::Document, 120, 2, 1, 128, 2), problem(Mask::Strided, 90, 2, 1, 64, 2)};
  cases[2].mask_params.window = 37;
  for (const Problem& p : cases) {
    std::vector<int64_t> all(static_cast<size_t>(p.S));
    for (int64_t t = 0; t < p.S; ++t) all[static_cast<size_t>(t)] = t;
    const Grads want = cpu_gradients(p, all);
    const int64_t b = p.B - 1;  // the inputs depend on the batch: not only batch 0
    const Grads got = gpu_gradients(p, b);
    expect_close("dq", p, b, p.H, got.dq, want.dq);
    expect_close("dk", p, b, p.Hkv, got.dk, want.dk);
    expect_close("dv", p, b, p.Hkv, got.dv, want.dv);
    expect_close("dq magnitude", p, b, p.H, got.mq, want.mq);
    expect_close("dk magnitude", p, b, p.Hkv, got.mk, want.mk);
    expect_close("dv magnitude", p, b, p.Hkv, got.mv, want.mv);
  }
}

// Shards of `storage` on the device holding x ([B, rows, heads, D] values).
DeviceBuffer upload(const std::vector<double>& x, DType storage) {
  DeviceBuffer buf(x.size() * test::elem_bytes(storage));
  std::vector<unsigned char> raw(buf.bytes());
  for (size_t i = 0; i < x.size(); ++i) {
    const float f = static_cast<float>(x[i]);
    if (storage == DType::FP32) {
      std::memcpy(&raw[4 * i], &f, 4);
    } else {
      const float r = round_to_bf16(f);
      uint32_t u;
      std::memcpy(&u, &r, 4);
      const uint16_t hi = static_cast<uint16_t>(u >> 16);
      std::memcpy(&raw[2 * i], &hi, 2);
    }
  }
  CPB_CUDA_CHECK(cudaMemcpy(buf.get(), raw.data(), raw.size(), cudaMemcpyHostToDevice));
  return buf;
}

struct Outcome {
  std::vector<TensorVerify> t;
  bool pass(int i) const {
    return !t[static_cast<size_t>(i)].nonfinite &&
           t[static_cast<size_t>(i)].max_abs_err <= t[static_cast<size_t>(i)].tolerance;
  }
};

Outcome run_verify(const Problem& p, const std::vector<Range>& tokens, const Grads& g, DType storage, VerifyMode mode) {
  const int64_t rows = static_cast<int64_t>(row_tokens(tokens).size());
  const DeviceBuffer dq = upload(g.dq, storage), dk = upload(g.dk, storage), dv = upload(g.dv, storage);
  const DeviceView vq = dense_device_view(dq.get(), storage, {p.B, rows, p.H, p.D});
  const DeviceView vk = dense_device_view(dk.get(), storage, {p.B, rows, p.Hkv, p.D});
  const DeviceView vv = dense_device_view(dv.get(), storage, {p.B, rows, p.Hkv, p.D});
  Outcome o{verify_gradients_cuda(p, tokens, vq, vk, vv, mode, nullptr)};
  EXPECT_EQ(o.t.size(), 3u);
  for (const TensorVerify& t : o.t)
    std::printf("  %s %s %s: err %.3g tol %.3g (%.3g of it) checked %lld nonfinite %d\n", to_string(storage),
                to_string(mode), t.tensor.c_str(), t.max_abs_err, t.tolerance, t.max_abs_err / t.tolerance,
                static_cast<long long>(t.checked), t.nonfinite ? 1 : 0);
  return o;
}

TEST(ReferenceBackward, VerifyPassesAndFails) {
  CPB_REQUIRE_GPU();
  // A zigzag shard of rank 0 of 2: chunks 0 and 3 of 4, so local rows are not tokens. B = 3:
  // sampled mode checks batches 0 and 2, and the NaN goes into unchecked batch 1.
  Problem p = problem(Mask::Causal, 200, 4, 2, 64, 3);
  const std::vector<Range> tokens = {Range{0, 50}, Range{150, 50}};
  const std::vector<int64_t> tok = row_tokens(tokens);
  const int64_t rows = static_cast<int64_t>(tok.size()), D = p.D;
  const Grads clean = cpu_gradients(p, tok);
  for (VerifyMode mode : {VerifyMode::Sampled, VerifyMode::Full}) {
    Outcome o = run_verify(p, tokens, clean, DType::BF16, mode);
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(o.pass(i)) << "bf16 " << to_string(mode) << " " << o.t[static_cast<size_t>(i)].tensor;
    EXPECT_EQ(o.t[0].checked, (mode == VerifyMode::Full ? 3 * rows * 4 : 2 * 64 * 4) * D);
  }
  // The storage term of bf16 (4 * 2^-8 of the magnitude) would hide a 1 % error: the planted
  // bugs go into fp32 shards of an fp32 problem, whose clean shards pass first.
  p.dtype = DType::FP32;
  Outcome o = run_verify(p, tokens, clean, DType::FP32, VerifyMode::Sampled);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(o.pass(i)) << "fp32 clean " << o.t[static_cast<size_t>(i)].tensor;

  Grads scaled = clean;  // batch 0, local row 0 (always sampled), key/value head 0
  for (int64_t d = 0; d < D; ++d) scaled.dk[static_cast<size_t>(d)] *= 1.01;
  o = run_verify(p, tokens, scaled, DType::FP32, VerifyMode::Sampled);
  EXPECT_TRUE(o.pass(0) && !o.pass(1) && o.pass(2)) << "dk row scaled by 1.01: only dk fails";

  Grads wrong_head = clean;  // dq of head h holds head (h + 1) mod H
  for (int64_t i = 0; i < p.B * rows; ++i)
    for (int64_t h = 0; h < p.H; ++h)
      for (int64_t d = 0; d < D; ++d)
        wrong_head.dq[static_cast<size_t>((i * p.H + h) * D + d)] =
            clean.dq[static_cast<size_t>((i * p.H + (h + 1) % p.H) * D + d)];
  o = run_verify(p, tokens, wrong_head, DType::FP32, VerifyMode::Sampled);
  EXPECT_TRUE(!o.pass(0) && o.pass(1) && o.pass(2)) << "dq of the wrong head: only dq fails";

  p.dtype = DType::BF16;
  Grads nan = clean;  // batch 1, which sampled mode does not compare
  nan.dv[static_cast<size_t>(((1 * rows + 7) * p.Hkv + 1) * D + 5)] = std::numeric_limits<double>::quiet_NaN();
  o = run_verify(p, tokens, nan, DType::BF16, VerifyMode::Sampled);
  EXPECT_FALSE(o.t[0].nonfinite);
  EXPECT_FALSE(o.t[1].nonfinite);
  EXPECT_TRUE(o.t[2].nonfinite) << "a NaN in an unchecked row of dv";
}

TEST(ReferenceBackward, SampledVerifyTiming) {
  CPB_REQUIRE_GPU();
  const char* env = std::getenv("CPB_GRAD_VERIFY_S");
  const int64_t S = env ? std::atoll(env) : 65536;
  for (int Hkv : {8, 32}) {
    const Problem p = problem(Mask::Causal, S, 32, Hkv, 128, 1);
    const std::vector<Range> tokens = {Range{0, S}};
    DeviceBuffer dq(static_cast<size_t>(S * p.H * p.D) * 2), dkv(static_cast<size_t>(S * p.Hkv * p.D) * 2);
    CPB_CUDA_CHECK(cudaMemset(dq.get(), 0, dq.bytes()));
    CPB_CUDA_CHECK(cudaMemset(dkv.get(), 0, dkv.bytes()));
    const DeviceView vq = dense_device_view(dq.get(), DType::BF16, {1, S, p.H, p.D});
    const DeviceView vkv = dense_device_view(dkv.get(), DType::BF16, {1, S, p.Hkv, p.D});
    const auto start = std::chrono::steady_clock::now();
    const std::vector<TensorVerify> t = verify_gradients_cuda(p, tokens, vq, vkv, vkv, VerifyMode::Sampled, nullptr);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(t.size(), 3u);
    std::printf("sampled gradient verify, %s: %.2f s (scratch %.0f MiB)\n", name(p).c_str(), s,
                static_cast<double>(verify_gradients_scratch_bytes(p, S)) / (1 << 20));
  }
}

}  // namespace
}  // namespace cpb
