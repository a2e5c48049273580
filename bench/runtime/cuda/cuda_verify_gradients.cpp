#include "bench/runtime/cuda/cuda_verify_gradients.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/device_buffer.hpp"
#include "base/cuda/pinned_buffer.hpp"
#include "bench/mask/mask_regions.hpp"
#include "bench/runtime/row_tokens.hpp"
#include "bench/runtime/tolerance.hpp"
#include "bench/runtime/verify_gradients.hpp"
#include "bench/runtime/verify_reference.hpp"
#include "kernels/cuda/flag_nonfinite.hpp"
#include "kernels/cuda/range_lists.hpp"
#include "kernels/cuda/reference_attention.hpp"
#include "kernels/cuda/reference_attention_backward.hpp"
#include "kernels/cuda/reference_row_stats.hpp"

namespace cpb {
namespace {

using Ranges = std::vector<std::pair<int64_t, int64_t>>;

// mask_row_keys of every token 0 .. S-1, from one sweep over the regions (ordered by query
// start): each token meets only the regions whose rows hold it.
RangeLists all_row_keys(const std::vector<MaskRegion>& regions, int64_t S) {
  RangeLists out;
  std::vector<const MaskRegion*> open;
  size_t next = 0;
  Ranges keys;
  for (int64_t t = 0; t < S; ++t) {
    for (; next < regions.size() && regions[next].q.begin <= t; ++next) open.push_back(&regions[next]);
    open.erase(std::remove_if(open.begin(), open.end(), [t](const MaskRegion* r) { return r->q.end() <= t; }),
               open.end());
    keys.clear();
    for (const MaskRegion* r : open) {
      int64_t first = 0, last = 0;
      region_row_keys(*r, t, &first, &last);
      if (first < last) keys.emplace_back(first, last);
    }
    std::sort(keys.begin(), keys.end());
    out.push_row(keys);
  }
  return out;
}

// The largest error and rounding magnitude of the rows one tensor compared, its element
// count and whether a checked value was NaN/Inf.
struct Checked {
  double max_abs_err = 0, max_mag = 0;
  int64_t elements = 0;
  bool nonfinite = false;
};

// Compares the reference rows `ref` and their magnitudes `mag` (fp32 [rows.size(), D],
// device) with the shard `view`.
class RowComparer {
 public:
  RowComparer(size_t most_rows, cudaStream_t stream)
      : rows_(most_rows * sizeof(RefRow)),
        checks_(most_rows * sizeof(RowCheck)),
        host_(most_rows * sizeof(RowCheck)),
        stream_(stream) {}

  // rows[i]: (b, head = the view's dim-2 index, token, local row) of reference row i.
  void compare(const std::vector<RefRow>& rows, const DeviceView& view, const float* ref, const float* mag,
               Checked* into) {
    const int64_t n = static_cast<int64_t>(rows.size());
    CPB_CUDA_CHECK(
        cudaMemcpyAsync(rows_.get(), rows.data(), rows.size() * sizeof(RefRow), cudaMemcpyHostToDevice, stream_));
    compare_rows(rows_.as<RefRow>(), n, view, ref, mag, checks_.as<RowCheck>(), stream_);
    CPB_CUDA_CHECK(
        cudaMemcpyAsync(host_.get(), checks_.get(), rows.size() * sizeof(RowCheck), cudaMemcpyDeviceToHost, stream_));
    CPB_CUDA_CHECK(cudaStreamSynchronize(stream_));
    const RowCheck* c = host_.as<RowCheck>();
    for (int64_t i = 0; i < n; ++i) {
      into->max_abs_err = std::max(into->max_abs_err, static_cast<double>(c[i].max_abs_err));
      into->max_mag = std::max(into->max_mag, static_cast<double>(c[i].max_mag));
      into->nonfinite = into->nonfinite || c[i].nonfinite != 0;
    }
    into->elements += n * view.shape[3];
  }

 private:
  DeviceBuffer rows_, checks_;
  PinnedBuffer host_;  // the async copy back needs pinned memory
  cudaStream_t stream_;
};

std::vector<RefRow> ref_rows(int64_t b, int64_t head, const std::vector<int64_t>& locals,
                             const std::vector<int64_t>& tok) {
  std::vector<RefRow> out;
  for (int64_t r : locals) {
    RefRow row;
    row.b = static_cast<int32_t>(b);
    row.head = static_cast<int32_t>(head);
    row.token = tok[static_cast<size_t>(r)];
    row.local = r;
    out.push_back(row);
  }
  return out;
}

void check_view(const char* name, const DeviceView& v, std::array<int64_t, 4> shape) {
  if (v.shape != shape)
    CPB_FATAL(std::string("verify_gradients_cuda: the ") + name + " view is not [" + std::to_string(shape[0]) + ", " +
              std::to_string(shape[1]) + ", " + std::to_string(shape[2]) + ", " + std::to_string(shape[3]) + "]");
}

size_t f32(int64_t n) { return static_cast<size_t>(n) * sizeof(float); }

// Ranges a list of every token's keys can hold at most: one per region and row.
int64_t most_key_ranges(const std::vector<MaskRegion>& regions) {
  int64_t n = 0;
  for (const MaskRegion& r : regions) n += r.q.size;
  return n;
}

}  // namespace

size_t verify_gradients_scratch_bytes(const Problem& p, int64_t s_local) {
  // Full mode's sizes, the largest but for the partials of the row functions, whose slices
  // per row grow as rows shrink: those take the larger of full and sampled mode.
  const int64_t S = p.S, D = p.D, n = s_local;
  const std::vector<MaskRegion> regions = mask_regions(p);
  int64_t query_ranges = 0;
  for (const MaskRegion& r : regions) query_ranges += r.k.size;
  const size_t lists = static_cast<size_t>(S + 1 + 2 * (n + 1)) * sizeof(int64_t) +
                       static_cast<size_t>(2 * most_key_ranges(regions) + query_ranges) * sizeof(KeyRange);
  return 2 * f32(RowStatistics::kv_rows(S) * D) + 2 * f32(S * D) + 3 * f32(S) + RowStatistics::scratch_bytes(S, D) +
         std::max(grad_rows_scratch_bytes(n, D), grad_rows_scratch_bytes(std::min(n, kSampledRows), D)) +
         dkv_accumulator_bytes(n, D) + 6 * f32(n * D) + lists +
         static_cast<size_t>(n) * (sizeof(int64_t) + 2 * sizeof(GradRow) + sizeof(RefRow) + sizeof(RowCheck)) +
         4 * sizeof(int);
}

std::vector<TensorVerify> verify_gradients_cuda(const Problem& p, const std::vector<Range>& tokens,
                                                const DeviceView& dq, const DeviceView& dk, const DeviceView& dv,
                                                VerifyMode mode, cudaStream_t stream) {
  if (mode == VerifyMode::Off) return {};
  const std::vector<int64_t> tok = row_tokens(tokens);
  const int64_t rows = static_cast<int64_t>(tok.size()), S = p.S, D = p.D, group = p.group_size();
  check_view("dq", dq, {p.B, rows, p.H, D});
  check_view("dk", dk, {p.B, rows, p.Hkv, D});
  check_view("dv", dv, {p.B, rows, p.Hkv, D});
  const float scale = static_cast<float>(p.softmax_scale());
  const std::vector<MaskRegion> regions = mask_regions(p);
  const GradientSample qs = gradient_sample(p, rows, p.H, mode), ks = gradient_sample(p, rows, p.Hkv, mode);
  const int64_t nq = static_cast<int64_t>(qs.rows.size()), nk = static_cast<int64_t>(ks.rows.size());

  // dQ rows: their tokens and keys; each row's own statistics are computed from these.
  RangeLists q_keys, k_queries;
  std::vector<int64_t> q_tokens;
  std::vector<GradRow> q_grad, k_grad;
  Ranges ranges;
  for (int64_t r : qs.rows) {
    q_tokens.push_back(tok[static_cast<size_t>(r)]);
    ranges.clear();
    mask_row_keys(regions, q_tokens.back(), &ranges);
    q_keys.push_row(ranges);
    q_grad.push_back(GradRow{static_cast<int64_t>(q_grad.size()), static_cast<int64_t>(q_grad.size())});
  }
  // dK, dV rows: the query tokens that see them; their statistics are of every token.
  for (int64_t r : ks.rows) {
    ranges.clear();
    mask_key_rows(regions, tok[static_cast<size_t>(r)], &ranges);
    k_queries.push_row(ranges);
    k_grad.push_back(GradRow{tok[static_cast<size_t>(r)], static_cast<int64_t>(k_grad.size())});
  }
  const RangeLists all_keys = all_row_keys(regions, S);

  const DeviceRangeLists d_q_keys(q_keys, stream), d_k_queries(k_queries, stream), d_all_keys(all_keys, stream);
  DeviceBuffer d_q_tokens(q_tokens.size() * sizeof(int64_t)), d_q_grad(q_grad.size() * sizeof(GradRow)),
      d_k_grad(k_grad.size() * sizeof(GradRow));
  CPB_CUDA_CHECK(
      cudaMemcpyAsync(d_q_tokens.get(), q_tokens.data(), d_q_tokens.bytes(), cudaMemcpyHostToDevice, stream));
  CPB_CUDA_CHECK(cudaMemcpyAsync(d_q_grad.get(), q_grad.data(), d_q_grad.bytes(), cudaMemcpyHostToDevice, stream));
  CPB_CUDA_CHECK(cudaMemcpyAsync(d_k_grad.get(), k_grad.data(), d_k_grad.bytes(), cudaMemcpyHostToDevice, stream));

  const int64_t kv_rows = RowStatistics::kv_rows(S);
  DeviceBuffer k(f32(kv_rows * D)), v(f32(kv_rows * D));
  CPB_CUDA_CHECK(cudaMemsetAsync(k.get(), 0, k.bytes(), stream));  // rows past S stay 0
  CPB_CUDA_CHECK(cudaMemsetAsync(v.get(), 0, v.bytes(), stream));
  const int64_t stat_rows = std::max(nq, S);
  DeviceBuffer q(f32(stat_rows * D)), dout(f32(stat_rows * D)), lse(f32(stat_rows)), delta(f32(stat_rows)),
      r(f32(stat_rows));
  RowStatistics stats(S, D, scale, stream);
  DeviceBuffer scratch(grad_rows_scratch_bytes(std::max(nq, nk), D)), kv_acc(dkv_accumulator_bytes(nk, D));
  // The reference rows and their rounding magnitudes.
  DeviceBuffer ref_q(f32(nq * D)), ref_k(f32(nk * D)), ref_v(f32(nk * D)), mag_q(ref_q.bytes()), mag_k(ref_k.bytes()),
      mag_v(ref_v.bytes());
  DeviceBuffer flags(4 * sizeof(int));  // the shards' nonfinite (dq, dk, dv), then the reference's
  CPB_CUDA_CHECK(cudaMemsetAsync(flags.get(), 0, flags.bytes(), stream));
  int* flag = flags.as<int>();
  RowComparer comparer(static_cast<size_t>(std::max(nq, nk)), stream);

  Checked cq, ck, cv;
  for (int64_t b : qs.batches)  // ks.batches: the same
    for (int64_t g = 0; g < p.Hkv; ++g) {
      const bool kv_here = std::binary_search(ks.heads.begin(), ks.heads.end(), g) && nk > 0;
      std::vector<int64_t> q_heads;
      for (int64_t h : qs.heads)
        if (h / group == g && nq > 0) q_heads.push_back(h);
      if (!kv_here && q_heads.empty()) continue;
      generate_rows(Tensor::K, b, g, nullptr, S, D, k.as<float>(), stream);
      generate_rows(Tensor::V, b, g, nullptr, S, D, v.as<float>(), stream);
      for (int64_t h : q_heads) {
        generate_rows(Tensor::Q, b, h, d_q_tokens.as<int64_t>(), nq, D, q.as<float>(), stream);
        generate_rows(Tensor::DO, b, h, d_q_tokens.as<int64_t>(), nq, D, dout.as<float>(), stream);
        stats.compute(q.as<float>(), dout.as<float>(), q_keys, d_q_keys, k.as<float>(), v.as<float>(), lse.as<float>(),
                      delta.as<float>(), r.as<float>());
        reference_dq_rows(d_q_grad.as<GradRow>(), nq, d_q_keys, q.as<float>(), dout.as<float>(), lse.as<float>(),
                          delta.as<float>(), r.as<float>(), k.as<float>(), v.as<float>(), D, scale, scratch.get(),
                          ref_q.as<float>(), mag_q.as<float>(), stream);
        flag_nonfinite(dense_device_view(ref_q.get(), DType::FP32, {1, 1, nq, D}), flag + 3, stream);
        flag_nonfinite(dense_device_view(mag_q.get(), DType::FP32, {1, 1, nq, D}), flag + 3, stream);
        comparer.compare(ref_rows(b, h, qs.rows, tok), dq, ref_q.as<float>(), mag_q.as<float>(), &cq);
      }
      if (!kv_here) continue;
      CPB_CUDA_CHECK(cudaMemsetAsync(kv_acc.get(), 0, kv_acc.bytes(), stream));
      for (int64_t h = g * group; h < (g + 1) * group; ++h) {
        generate_rows(Tensor::Q, b, h, nullptr, S, D, q.as<float>(), stream);
        generate_rows(Tensor::DO, b, h, nullptr, S, D, dout.as<float>(), stream);
        stats.compute(q.as<float>(), dout.as<float>(), all_keys, d_all_keys, k.as<float>(), v.as<float>(),
                      lse.as<float>(), delta.as<float>(), r.as<float>());
        reference_dkv_rows(d_k_grad.as<GradRow>(), nk, d_k_queries, k.as<float>(), v.as<float>(), q.as<float>(),
                           dout.as<float>(), lse.as<float>(), delta.as<float>(), r.as<float>(), D, scale, scratch.get(),
                           kv_acc.as<float>(), stream);
      }
      reference_dkv_finish(kv_acc.as<float>(), nk, D, ref_k.as<float>(), ref_v.as<float>(), mag_k.as<float>(),
                           mag_v.as<float>(), stream);
      for (const DeviceBuffer* x : {&ref_k, &ref_v, &mag_k, &mag_v})
        flag_nonfinite(dense_device_view(x->get(), DType::FP32, {1, 1, nk, D}), flag + 3, stream);
      comparer.compare(ref_rows(b, g, ks.rows, tok), dk, ref_k.as<float>(), mag_k.as<float>(), &ck);
      comparer.compare(ref_rows(b, g, ks.rows, tok), dv, ref_v.as<float>(), mag_v.as<float>(), &cv);
    }

  flag_nonfinite(dq, flag, stream);
  flag_nonfinite(dk, flag + 1, stream);
  flag_nonfinite(dv, flag + 2, stream);
  int host_flags[4] = {0, 0, 0, 0};
  CPB_CUDA_CHECK(cudaMemcpyAsync(host_flags, flag, sizeof(host_flags), cudaMemcpyDeviceToHost, stream));
  CPB_CUDA_CHECK(cudaStreamSynchronize(stream));
  // A NaN reference would compare as no error (fmaxf drops NaN): a broken reference is fatal.
  if (host_flags[3]) CPB_FATAL("verify_gradients_cuda: the GPU reference gradients hold NaN or Inf");

  const auto finish = [&](const char* name, const Checked& c, int nonfinite, int64_t terms) {
    TensorVerify t;
    t.tensor = name;
    t.max_abs_err = c.max_abs_err;
    t.checked = c.elements;
    t.nonfinite = c.nonfinite || nonfinite != 0;
    t.tolerance = verify_tolerance(p.dtype, terms, D, c.max_mag);
    return t;
  };
  return {finish("dq", cq, host_flags[0], S), finish("dk", ck, host_flags[1], S * group),
          finish("dv", cv, host_flags[2], S * group)};
}

}  // namespace cpb
