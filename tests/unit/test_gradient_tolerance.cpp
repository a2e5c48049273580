// The gradient tolerance (bench/runtime/tolerance.hpp with the rounding magnitudes of
// kernels/cpu/reference_attention_backward.hpp) against gradients computed in double but
// rounded to the problem's dtype wherever a FlashAttention-style backward (cuDNN's)
// rounds: the forward's P before P V, the stored O that delta reads, dS before dS K and
// dS^T Q, P before P^T dO, and the outputs. verify_gradients() must PASS them in bf16 and
// fp16 with a factor 2 to spare, and FAIL the same backward with the shares of half the
// query rows in dK and dV lost (a partial sum never added). A softmax scale 1 % off in the
// backward sits at bf16's rounding (as the forward's does, docs/METRICS.md): it must FAIL
// in fp16, whose rule is 8 times smaller.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bench/runtime/tolerance.hpp"
#include "bench/runtime/verify_gradients.hpp"
#include "kernels/input_values.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

// x rounded to nearest even at the precision of t (bf16 or fp16: 8 or 11 significant bits;
// fp16's range is not emulated, its subnormals round as normals).
double round_to(DType t, double x) {
  if (t == DType::BF16) return round_to_bf16(static_cast<float>(x));
  const float f = static_cast<float>(x);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0xfffu + ((u >> 13) & 1u);
  u &= ~0x1fffu;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

struct Grads {
  std::vector<float> dq, dk, dv;  // [1, S, H or Hkv, D]
};

// The emulated backward of batch 0, rounding in p.dtype (exact: nowhere). bwd_scale: the
// softmax scale the backward uses with the forward's LSE, as the bwd_scale_1pct mutation
// does (the forward uses p.softmax_scale()); lose_half: dK and dV lose the shares of query
// rows S/2 .. S-1.
Grads emulated_backward(const Problem& p, double bwd_scale, bool lose_half, bool exact = false) {
  const int64_t S = p.S, D = p.D, H = p.H, Hkv = p.Hkv, group = H / Hkv;
  const auto bf = [&p, exact](double x) { return exact ? x : round_to(p.dtype, x); };
  const double scale = p.softmax_scale();
  const auto in = [&](Tensor t, int64_t token, int64_t head, int64_t d) {
    return static_cast<double>(input_value(t, 0, token, head, d, D));
  };
  std::vector<double> dq(static_cast<size_t>(S * H * D)), dk(static_cast<size_t>(S * Hkv * D)), dv(dk.size());
  std::vector<double> q(static_cast<size_t>(D)), dout(q.size()), o(q.size()), k(static_cast<size_t>(S * D)),
      v(k.size()), s(static_cast<size_t>(S)), sb(s.size());
  // The forward's LSE is m + log(l) of the forward's scores s; the backward's scores sb.
  for (int64_t g = 0; g < Hkv; ++g) {
    for (int64_t j = 0; j < S; ++j)
      for (int64_t d = 0; d < D; ++d) {
        k[static_cast<size_t>(j * D + d)] = in(Tensor::K, j, g, d);
        v[static_cast<size_t>(j * D + d)] = in(Tensor::V, j, g, d);
      }
    for (int64_t h = g * group; h < (g + 1) * group; ++h)
      for (int64_t i = 0; i < S; ++i) {
        for (int64_t d = 0; d < D; ++d) {
          q[static_cast<size_t>(d)] = in(Tensor::Q, i, h, d);
          dout[static_cast<size_t>(d)] = in(Tensor::DO, i, h, d);
        }
        const int64_t keys = p.mask == Mask::Causal ? i + 1 : S;
        double m = -INFINITY;
        for (int64_t j = 0; j < keys; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += q[static_cast<size_t>(d)] * k[static_cast<size_t>(j * D + d)];
          s[static_cast<size_t>(j)] = scale * dot;
          sb[static_cast<size_t>(j)] = bwd_scale * dot;
          m = std::max(m, s[static_cast<size_t>(j)]);
        }
        double l = 0;
        for (int64_t j = 0; j < keys; ++j) l += std::exp(s[static_cast<size_t>(j)] - m);
        const double lse = m + std::log(l);
        // Forward: O from bf16 probabilities, stored in bf16.
        std::fill(o.begin(), o.end(), 0.0);
        for (int64_t j = 0; j < keys; ++j) {
          const double pb = bf(std::exp(s[static_cast<size_t>(j)] - lse));
          for (int64_t d = 0; d < D; ++d) o[static_cast<size_t>(d)] += pb * v[static_cast<size_t>(j * D + d)];
        }
        double delta = 0;
        for (int64_t d = 0; d < D; ++d) delta += dout[static_cast<size_t>(d)] * bf(o[static_cast<size_t>(d)]);
        for (int64_t j = 0; j < keys; ++j) {
          const double pr = std::exp(sb[static_cast<size_t>(j)] - lse);
          double dp = 0;
          for (int64_t d = 0; d < D; ++d) dp += dout[static_cast<size_t>(d)] * v[static_cast<size_t>(j * D + d)];
          const double ds = bf(pr * (dp - delta)), pb = bf(pr);
          const bool lost = lose_half && 2 * i >= S;
          for (int64_t d = 0; d < D; ++d) {
            dq[static_cast<size_t>((i * H + h) * D + d)] += bwd_scale * ds * k[static_cast<size_t>(j * D + d)];
            if (lost) continue;
            dk[static_cast<size_t>((j * Hkv + g) * D + d)] += bwd_scale * ds * q[static_cast<size_t>(d)];
            dv[static_cast<size_t>((j * Hkv + g) * D + d)] += pb * dout[static_cast<size_t>(d)];
          }
        }
      }
  }
  const auto store = [&bf](const std::vector<double>& x) {
    std::vector<float> out(x.size());
    for (size_t e = 0; e < x.size(); ++e) out[e] = static_cast<float>(bf(x[e]));
    return out;
  };
  return {store(dq), store(dk), store(dv)};
}

Problem problem(Mask mask, int64_t S, int H, int Hkv, int D, DType t) {
  Problem p = test::make_problem(1, S, H, Hkv, D, 1, mask);
  p.dtype = t;
  return p;
}

// err / tolerance of dq, dk, dv under verify_gradients in p.dtype, every element checked.
std::vector<double> ratios(const Problem& p, const Grads& g) {
  const std::vector<TensorVerify> t = verify_gradients(p, {Range{0, p.S}}, g.dq.data(), g.dk.data(), g.dv.data(),
                                                       VerifyMode::Full, p.dtype);
  std::vector<double> out;
  for (const TensorVerify& x : t) {
    EXPECT_FALSE(x.nonfinite) << x.tensor;
    out.push_back(x.max_abs_err / x.tolerance);
  }
  return out;
}

// err / tolerance of dq, dk, dv under the rule with max|exact| as the magnitude (the rule
// before the rounding magnitudes), against the unrounded gradients.
std::vector<double> max_ref_ratios(const Problem& p, const Grads& g, const Grads& exact) {
  const int64_t terms[3] = {p.S, p.S * p.group_size(), p.S * p.group_size()};
  const std::vector<float>* got[3] = {&g.dq, &g.dk, &g.dv};
  const std::vector<float>* want[3] = {&exact.dq, &exact.dk, &exact.dv};
  std::vector<double> out;
  for (int i = 0; i < 3; ++i) {
    double err = 0, ref = 0;
    for (size_t e = 0; e < got[i]->size(); ++e) {
      err = std::max(err, std::fabs(static_cast<double>((*got[i])[e]) - (*want[i])[e]));
      ref = std::max(ref, std::fabs(static_cast<double>((*want[i])[e])));
    }
    out.push_back(err / verify_tolerance(p.dtype, terms[i], p.D, ref));
  }
  return out;
}

class GradientTolerance : public ::testing::TestWithParam<Problem> {};

TEST_P(GradientTolerance, PassesRoundingAndFailsPlantedBugs) {
  const Problem& p = GetParam();
  const Grads clean_grads = emulated_backward(p, p.softmax_scale(), false);
  const std::vector<double> clean = ratios(p, clean_grads);
  const std::vector<double> old_rule = max_ref_ratios(p, clean_grads, emulated_backward(p, p.softmax_scale(), false, true));
  const std::vector<double> scaled = ratios(p, emulated_backward(p, 1.01 * p.softmax_scale(), false));
  const std::vector<double> lost = ratios(p, emulated_backward(p, p.softmax_scale(), true));
  std::printf("%s %s S=%lld H=%d Hkv=%d D=%lld err/tol dq dk dv: clean %.3f %.3f %.3f (max|ref| rule %.2f %.2f %.2f), "
              "scale +1%% %.2f %.2f %.2f, half the dK, dV shares lost %.2f %.2f %.2f\n",
              to_string(p.dtype), to_string(p.mask), static_cast<long long>(p.S), p.H, p.Hkv,
              static_cast<long long>(p.D), clean[0], clean[1], clean[2], old_rule[0], old_rule[1], old_rule[2],
              scaled[0], scaled[1], scaled[2], lost[0], lost[1], lost[2]);
  for (size_t i = 0; i < 3; ++i) EXPECT_LT(clean[i], 0.5) << "clean, tensor " << i;
  EXPECT_GT(std::min(lost[1], lost[2]), 1.0) << "a lost partial of dK and dV passes";
  EXPECT_GT(*std::max_element(scaled.begin(), scaled.end()), 1.0) << "scale +1 % passes";
}

INSTANTIATE_TEST_SUITE_P(Shapes, GradientTolerance,
                         ::testing::Values(problem(Mask::Full, 320, 2, 2, 64, DType::BF16),
                                           problem(Mask::Causal, 320, 2, 2, 64, DType::BF16),
                                           problem(Mask::Full, 256, 4, 2, 128, DType::BF16),
                                           problem(Mask::Causal, 1024, 2, 1, 128, DType::BF16),
                                           problem(Mask::Full, 320, 2, 2, 64, DType::FP16),
                                           problem(Mask::Causal, 1024, 2, 1, 128, DType::FP16)));

}  // namespace
}  // namespace cpb
