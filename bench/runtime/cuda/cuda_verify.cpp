#include "bench/runtime/cuda/cuda_verify.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/device_buffer.hpp"
#include "base/cuda/pinned_buffer.hpp"
#include "bench/mask/mask_regions.hpp"
#include "bench/runtime/tolerance.hpp"
#include "kernels/cuda/reference_attention.hpp"

namespace cpb {
namespace {

std::vector<int64_t> token_of_row(const std::vector<Range>& tokens) {
  std::vector<int64_t> out;
  for (const Range& r : tokens)
    for (int64_t t = r.begin; t < r.end(); ++t) out.push_back(t);
  return out;
}

// About `want` sorted, unique picks in [0, n) (all of them when n <= want): the first and
// the last (and the middle when asked), the rest spread evenly with a hashed jitter.
std::vector<int64_t> sample(int64_t n, int64_t want, uint64_t salt, bool middle) {
  std::vector<int64_t> out;
  if (n <= want) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  out = {0, n - 1};
  if (middle) out.push_back(n / 2);
  const int64_t extra = want - static_cast<int64_t>(out.size());
  for (int64_t k = 0; k < extra; ++k) {
    const int64_t lo = k * n / extra, hi = (k + 1) * n / extra;
    out.push_back(lo + static_cast<int64_t>(mix64(salt + static_cast<uint64_t>(k)) % static_cast<uint64_t>(hi - lo)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<RefRow> pick_rows(const Problem& p, const std::vector<int64_t>& token_of, VerifyMode mode) {
  const int64_t s_local = static_cast<int64_t>(token_of.size());
  std::vector<int64_t> batches, heads, locals;
  if (mode == VerifyMode::Full) {
    for (int64_t b = 0; b < p.B; ++b) batches.push_back(b);
    for (int64_t h = 0; h < p.H; ++h) heads.push_back(h);
    for (int64_t s = 0; s < s_local; ++s) locals.push_back(s);
  } else {
    batches = sample(p.B, 2, 0, false);
    heads = sample(p.H, 4, 0x4845414453ULL, true);
    locals = sample(s_local, 64, 0x524f5753ULL, false);
  }
  std::vector<RefRow> rows;
  rows.reserve(batches.size() * heads.size() * locals.size());
  for (int64_t h : heads)
    for (int64_t b : batches)
      for (int64_t s : locals) {
        RefRow r;
        r.b = static_cast<int32_t>(b);
        r.head = static_cast<int32_t>(h);
        r.token = token_of[static_cast<size_t>(s)];
        r.local = s;
        rows.push_back(r);
      }
  return rows;
}

// The most regions any query row meets: a bound of the key ranges of one row.
size_t most_regions_per_row(const std::vector<MaskRegion>& regions) {
  std::vector<std::pair<int64_t, int>> edges;  // (token, +1 at a region's first row, -1 after its last)
  for (const MaskRegion& r : regions) edges.emplace_back(r.q.begin, 1), edges.emplace_back(r.q.end(), -1);
  std::sort(edges.begin(), edges.end());
  int64_t open = 0, most = 0;
  for (const auto& e : edges) most = std::max(most, open += e.second);
  return static_cast<size_t>(most);
}

// The rows' key ranges (mask_row_keys), one list per distinct token, and each row's
// first_range and num_ranges set to its token's list.
std::vector<KeyRange> key_ranges(const std::vector<MaskRegion>& regions, std::vector<RefRow>* rows) {
  std::vector<KeyRange> out;
  std::map<int64_t, std::pair<int32_t, int32_t>> of_token;  // token -> (first, count)
  std::vector<std::pair<int64_t, int64_t>> keys;
  for (RefRow& r : *rows) {
    auto [it, fresh] = of_token.try_emplace(r.token);
    if (fresh) {
      keys.clear();
      mask_row_keys(regions, r.token, &keys);
      it->second = {static_cast<int32_t>(out.size()), static_cast<int32_t>(keys.size())};
      for (const auto& [first, last] : keys) out.push_back(KeyRange{first, last});
    }
    r.first_range = it->second.first;
    r.num_ranges = it->second.second;
  }
  return out;
}

}  // namespace

size_t verify_scratch_bytes(const Problem& p, int64_t s_local) {
  const size_t kv = 2 * static_cast<size_t>(p.B) * static_cast<size_t>(p.S) * static_cast<size_t>(p.D) * 2;
  const size_t rows = static_cast<size_t>(p.B) * static_cast<size_t>(s_local) * static_cast<size_t>(p.group_size());
  const size_t ranges = static_cast<size_t>(s_local) * most_regions_per_row(mask_regions(p)) * sizeof(KeyRange);
  return kv + ranges +
         rows * (static_cast<size_t>(p.D) * sizeof(float) + sizeof(float) + sizeof(RefRow) + sizeof(RowCheck));
}

VerifyResult verify_attention(const Problem& p, const std::vector<Range>& tokens, const DeviceView& o,
                              VerifyMode mode, cudaStream_t stream) {
  VerifyResult res;
  if (mode == VerifyMode::Off) return res;
  const std::vector<int64_t> token_of = token_of_row(tokens);
  if (o.shape != std::array<int64_t, 4>{p.B, static_cast<int64_t>(token_of.size()), p.H, p.D})
    CPB_FATAL("verify: the output view is not [B, S_local, H, D] for " + std::to_string(token_of.size()) +
              " local tokens");
  std::vector<RefRow> rows = pick_rows(p, token_of, mode);
  const std::vector<KeyRange> ranges = key_ranges(mask_regions(p), &rows);
  std::map<int64_t, std::vector<RefRow>> by_kv;  // key/value head -> its query rows
  for (const RefRow& r : rows) by_kv[r.head / p.group_size()].push_back(r);
  size_t most = 0;
  for (const auto& kv : by_kv) most = std::max(most, kv.second.size());

  const size_t kv_bytes = static_cast<size_t>(p.B) * static_cast<size_t>(p.S) * static_cast<size_t>(p.D) * 2;
  DeviceBuffer k(kv_bytes), v(kv_bytes);
  DeviceBuffer d_rows(most * sizeof(RefRow)), ref(most * static_cast<size_t>(p.D) * sizeof(float));
  DeviceBuffer lse(most * sizeof(float)), checks(most * sizeof(RowCheck));
  PinnedBuffer host_checks(most * sizeof(RowCheck));  // the async copy back needs pinned memory
  DeviceBuffer d_ranges(ranges.size() * sizeof(KeyRange));
  CPB_CUDA_CHECK(cudaMemcpyAsync(d_ranges.get(), ranges.data(), ranges.size() * sizeof(KeyRange),
                                 cudaMemcpyHostToDevice, stream));
  const RowCheck* host = host_checks.as<RowCheck>();
  double max_err = 0, max_ref = 0;
  for (const auto& [kv_head, list] : by_kv) {
    generate_kv_head(Tensor::K, kv_head, p.B, p.S, p.D, k.get(), stream);
    generate_kv_head(Tensor::V, kv_head, p.B, p.S, p.D, v.get(), stream);
    const int64_t n = static_cast<int64_t>(list.size());
    CPB_CUDA_CHECK(cudaMemcpyAsync(d_rows.get(), list.data(), list.size() * sizeof(RefRow), cudaMemcpyHostToDevice, stream));
    reference_attention(d_rows.as<RefRow>(), n, d_ranges.as<KeyRange>(), k.get(), v.get(), p.S, p.D,
                        static_cast<float>(p.softmax_scale()), ref.as<float>(), lse.as<float>(), stream);
    compare_rows(d_rows.as<RefRow>(), n, o, ref.as<float>(), nullptr, checks.as<RowCheck>(), stream);
    CPB_CUDA_CHECK(cudaMemcpyAsync(host_checks.get(), checks.get(), list.size() * sizeof(RowCheck), cudaMemcpyDeviceToHost,
                               stream));
    CPB_CUDA_CHECK(cudaStreamSynchronize(stream));
    for (size_t i = 0; i < list.size(); ++i) {
      max_err = std::max(max_err, static_cast<double>(host[i].max_abs_err));
      max_ref = std::max(max_ref, static_cast<double>(host[i].max_abs_ref));
      res.nonfinite = res.nonfinite || host[i].nonfinite != 0;
    }
    res.checked += n * p.D;
  }
  res.max_abs_err = max_err;
  res.tolerance = verify_tolerance(p.dtype, p.S, p.D, max_ref);
  return res;
}

}  // namespace cpb
