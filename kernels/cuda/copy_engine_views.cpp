#include "kernels/cuda/copy_engine_views.hpp"

#include "comm/cuda/cuda_check.hpp"

namespace cpb {
namespace {

size_t type_bytes(DType t) { return t == DType::FP32 ? 4 : 2; }

// The view's dimensions of extent > 1 as (extent, stride), outermost first.
std::vector<std::pair<int64_t, int64_t>> squeezed(const DeviceView& v) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int d = 0; d < 4; ++d)
    if (v.shape[static_cast<size_t>(d)] > 1) out.emplace_back(v.shape[static_cast<size_t>(d)], v.stride[static_cast<size_t>(d)]);
  return out;
}

// Whether dims [from, end) are dense (row-major contiguous, innermost stride 1).
bool dense_from(const std::vector<std::pair<int64_t, int64_t>>& dims, size_t from) {
  int64_t expect = 1;
  for (size_t d = dims.size(); d-- > from;) {
    if (dims[d].second != expect) return false;
    expect *= dims[d].first;
  }
  return true;
}

// Whether dims [0, to) collapse into one dimension (each stride = next stride * next extent).
bool collapsible_to(const std::vector<std::pair<int64_t, int64_t>>& dims, size_t to) {
  for (size_t d = 0; d + 1 < to; ++d)
    if (dims[d].second != dims[d + 1].second * dims[d + 1].first) return false;
  return true;
}

}  // namespace

std::optional<PitchedCopy> as_pitched_copy(const CopyPair& pair) {
  if (pair.src.type != pair.dst.type || pair.src.shape != pair.dst.shape) return std::nullopt;
  if (pair.src.numel() == 0) return PitchedCopy{};
  const auto s = squeezed(pair.src), d = squeezed(pair.dst);
  if (s.size() != d.size()) return std::nullopt;
  const size_t eb = type_bytes(pair.src.type);
  // The split k: dims [k, n) form a row on both sides, dims [0, k) the rows.
  for (size_t k = 0; k <= s.size(); ++k) {
    if (!dense_from(s, k) || !dense_from(d, k) || !collapsible_to(s, k) || !collapsible_to(d, k)) continue;
    int64_t row = 1, rows = 1;
    for (size_t i = k; i < s.size(); ++i) row *= s[i].first;
    for (size_t i = 0; i < k; ++i) rows *= s[i].first;
    if (static_cast<size_t>(row) * eb < kMinRowBytes) return std::nullopt;
    PitchedCopy c;
    c.dst = static_cast<char*>(pair.dst.ptr);
    c.src = static_cast<const char*>(pair.src.ptr);
    c.width = static_cast<size_t>(row) * eb;
    c.height = static_cast<size_t>(rows);
    c.dst_pitch = k == 0 ? c.width : static_cast<size_t>(d[k - 1].second) * eb;
    c.src_pitch = k == 0 ? c.width : static_cast<size_t>(s[k - 1].second) * eb;
    return c;
  }
  return std::nullopt;
}

bool copy_views_with_copy_engines(const std::vector<CopyPair>& pairs, cudaStream_t stream) {
  std::vector<PitchedCopy> copies;
  for (const CopyPair& p : pairs) {
    const std::optional<PitchedCopy> c = as_pitched_copy(p);
    if (!c) return false;
    copies.push_back(*c);
  }
  for (const PitchedCopy& c : copies) {
    if (c.width == 0 || c.height == 0) continue;
    CUDA_CHECK(cudaMemcpy2DAsync(c.dst, c.dst_pitch, c.src, c.src_pitch, c.width, c.height, cudaMemcpyDeviceToDevice,
                                 stream));
  }
  return true;
}

}  // namespace cpb
