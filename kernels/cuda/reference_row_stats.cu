#include "kernels/cuda/reference_row_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "base/cuda/cuda_check.hpp"
#include "kernels/cuda/softmax_partial.cuh"

namespace cpb {
namespace {

constexpr int64_t kSplitMax = 4096;                // keys per slice of P V (a batched GEMM each)
constexpr size_t kScoreBytes = size_t{128} << 20;  // the bound of the scores scratch, and of dP's
constexpr int64_t kSegment = 4096;                 // score columns per block of the row kernels
constexpr int kThreads = 256;                      // threads per block of the row kernels
constexpr int kWarpsPerBlock = 8;                  // rows per block of the delta kernel

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

struct Sizes {
  int64_t split, span_max, chunk_rows, segments;
  explicit Sizes(int64_t S) {
    split = std::min(kSplitMax, round_up(S, 64));
    span_max = round_up(S, split);
    chunk_rows = std::clamp<int64_t>(static_cast<int64_t>(kScoreBytes / (static_cast<size_t>(span_max) * 4)), 1, S);
    segments = (span_max + kSegment - 1) / kSegment;
  }
  size_t scores_bytes() const { return static_cast<size_t>(chunk_rows * span_max) * sizeof(float); }
  size_t parts_bytes() const { return static_cast<size_t>(chunk_rows * segments) * sizeof(float2); }
  size_t o_bytes(int64_t D) const { return static_cast<size_t>(span_max / split * chunk_rows * D) * sizeof(float); }
};

__global__ void generate_rows_kernel(Tensor t, int64_t b, int64_t head, const int64_t* tokens, int64_t D, float* dst,
                                     int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = i / D, d = i % D;
    dst[i] = input_value(t, b, tokens ? tokens[row] : row, head, d, D);
  }
}

// Block (i, seg): chunk row i's partial (max, sum of exp) over the columns of segment seg
// its key ranges allow. Column c of a row is key k0 + c; row i is list row row0 + i.
__global__ void row_partials_kernel(const float* scores, int64_t ld, int64_t k0, const int64_t* at,
                                    const KeyRange* ranges, int64_t row0, float2* parts) {
  __shared__ float red_m[kThreads];
  __shared__ float red_l[kThreads];
  const int64_t i = blockIdx.x, seg = blockIdx.y, segs = gridDim.y;
  const int64_t c0 = seg * kSegment, c1 = std::min(c0 + kSegment, ld);
  const float* row = scores + i * ld;
  const int tid = threadIdx.x;
  float m = -INFINITY, l = 0.f;
  for (int64_t r = at[row0 + i]; r < at[row0 + i + 1]; ++r) {
    const int64_t a = std::max(ranges[r].begin - k0, c0), e = std::min(ranges[r].end - k0, c1);
    for (int64_t c = a + tid; c < e; c += kThreads) combine(m, l, row[c], 1.f);
  }
  red_m[tid] = m;
  red_l[tid] = l;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (tid < half) combine(red_m[tid], red_l[tid], red_m[tid + half], red_l[tid + half]);
    __syncthreads();
  }
  if (tid == 0) parts[i * segs + seg] = make_float2(red_m[0], red_l[0]);
}

// Block (i, seg): the row's lse from all its segments' partials; then, in place, every
// column of segment seg becomes exp(score - lse) where the row's ranges allow it, else 0.
__global__ void row_probs_kernel(float* scores, int64_t ld, int64_t k0, const int64_t* at, const KeyRange* ranges,
                                 int64_t row0, const float2* parts, float* lse_out) {
  __shared__ float lse_shared;
  const int64_t i = blockIdx.x, seg = blockIdx.y, segs = gridDim.y;
  const int64_t c0 = seg * kSegment, c1 = std::min(c0 + kSegment, ld);
  const int tid = threadIdx.x;
  if (tid == 0) {
    float m = -INFINITY, l = 0.f;
    for (int64_t s = 0; s < segs; ++s) combine(m, l, parts[i * segs + s].x, parts[i * segs + s].y);
    lse_shared = m == -INFINITY ? -INFINITY : m + logf(l);
    if (seg == 0) lse_out[i] = lse_shared;
  }
  __syncthreads();
  const float lse = lse_shared;
  float* row = scores + i * ld;
  int64_t done = c0;  // the columns below it are written
  for (int64_t r = at[row0 + i]; r < at[row0 + i + 1]; ++r) {
    const int64_t a = std::clamp(ranges[r].begin - k0, c0, c1), e = std::clamp(ranges[r].end - k0, c0, c1);
    for (int64_t c = done + tid; c < a; c += kThreads) row[c] = 0.f;
    for (int64_t c = a + tid; c < e; c += kThreads) row[c] = expf(row[c] - lse);
    done = std::max(done, e);
  }
  for (int64_t c = done + tid; c < c1; c += kThreads) row[c] = 0.f;
}

// Block i: r2[i] = sum over the row's columns of (P dP)^2 (P is 0 off the row's keys).
__global__ void pdp_squares_kernel(const float* probs, const float* dp, int64_t ld, float* r2) {
  __shared__ float red[kThreads];
  const int64_t i = blockIdx.x;
  const int tid = threadIdx.x;
  float acc = 0.f;
  for (int64_t c = tid; c < ld; c += kThreads) {
    const float x = probs[i * ld + c] * dp[i * ld + c];
    acc = fmaf(x, x, acc);
  }
  red[tid] = acc;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (tid < half) red[tid] += red[tid + half];
    __syncthreads();
  }
  if (tid == 0) r2[i] = red[0];
}

// One warp per row: O = the sum of the slices' partial outputs (in slice order), delta =
// dO . O, and r = sqrt(r (holding sum_j (P dP)^2) + sum_d (dO_d O_d)^2).
__global__ void delta_kernel(const float* o, int64_t slices, int64_t rows, int64_t D, const float* dout, float* delta,
                             float* r_io) {
  const int64_t r = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (r >= rows) return;  // warp-uniform
  float acc = 0.f, sq = 0.f;
  for (int64_t d = lane; d < D; d += 32) {
    float sum = 0.f;
    for (int64_t s = 0; s < slices; ++s) sum += o[(s * rows + r) * D + d];
    acc = fmaf(dout[r * D + d], sum, acc);
    const float x = dout[r * D + d] * sum;
    sq = fmaf(x, x, sq);
  }
  for (int off = 16; off > 0; off /= 2) {
    acc += __shfl_xor_sync(0xffffffffu, acc, off);
    sq += __shfl_xor_sync(0xffffffffu, sq, off);
  }
  if (lane == 0) {
    delta[r] = acc;
    r_io[r] = sqrtf(r_io[r] + sq);
  }
}

int to_int(int64_t x, const char* what) {
  if (x > std::numeric_limits<int>::max()) CPB_FATAL(std::string("RowStatistics: ") + what + " exceeds int");
  return static_cast<int>(x);
}

}  // namespace

void generate_rows(Tensor t, int64_t b, int64_t head, const int64_t* d_tokens, int64_t n, int64_t D, float* dst,
                   cudaStream_t stream) {
  const int64_t total = n * D;
  if (total == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((total + 255) / 256, 1 << 16));
  generate_rows_kernel<<<blocks, 256, 0, stream>>>(t, b, head, d_tokens, D, dst, total);
  CPB_CUDA_CHECK_LAUNCH();
}

int64_t RowStatistics::kv_rows(int64_t S) { return S + Sizes(S).split; }

size_t RowStatistics::scratch_bytes(int64_t S, int64_t D) {
  const Sizes z(S);
  return 2 * z.scores_bytes() + z.parts_bytes() + z.o_bytes(D);
}

RowStatistics::RowStatistics(int64_t S, int64_t D, float scale, cudaStream_t stream, int64_t chunk_rows)
    : S_(S), D_(D), scale_(scale), stream_(stream), blas_(stream) {
  if (D > kRefMaxD || D % 8 != 0)
    CPB_FATAL("RowStatistics: D=" + std::to_string(D) + " is not a multiple of 8 up to " + std::to_string(kRefMaxD));
  const Sizes z(S);
  split_ = z.split;
  span_max_ = z.span_max;
  chunk_rows_ = chunk_rows > 0 ? std::min(chunk_rows, z.chunk_rows) : z.chunk_rows;
  scores_ = DeviceBuffer(z.scores_bytes());
  dp_ = DeviceBuffer(z.scores_bytes());
  parts_ = DeviceBuffer(z.parts_bytes());
  o_ = DeviceBuffer(z.o_bytes(D));
}

void RowStatistics::compute(const float* q, const float* dout, const RangeLists& keys, const DeviceRangeLists& d_keys,
                            const float* k, const float* v, float* lse, float* delta, float* r) {
  const int64_t n = keys.rows(), D = D_;
  for (int64_t r0 = 0; r0 < n; r0 += chunk_rows_) {
    const int64_t rows = std::min(chunk_rows_, n - r0);
    // The keys the chunk's rows see lie in [k_lo, k_hi); a chunk of rows that see none
    // still runs, over one key whose probabilities are all 0.
    int64_t k_lo = S_, k_hi = 0;
    for (int64_t i = r0; i < r0 + rows; ++i)
      if (keys.at[i] < keys.at[i + 1]) {
        k_lo = std::min(k_lo, keys.ranges[keys.at[i]].begin);
        k_hi = std::max(k_hi, keys.ranges[keys.at[i + 1] - 1].end);
      }
    if (k_lo >= k_hi) k_lo = 0, k_hi = 1;
    // Columns [0, span) are keys k_lo .. k_lo + span - 1; span - (k_hi - k_lo) < split_
    // columns past k_hi read the zero rows of K and V (k_lo + span < S + split_).
    const int64_t span = round_up(k_hi - k_lo, split_), slices = span / split_;
    float* scores = scores_.as<float>();
    // Row-major scores [rows, span] are the column-major [span, rows] matrix
    // scale K_cm^T Q_cm, with K_cm = K rows as a column-major [D, keys] (ld D), Q_cm alike.
    const float alpha = scale_, one = 1.f, zero = 0.f;
    CPB_CUBLAS_CHECK(cublasSgemm(blas_.get(), CUBLAS_OP_T, CUBLAS_OP_N, to_int(span, "span"), to_int(rows, "rows"),
                                 static_cast<int>(D), &alpha, k + k_lo * D, static_cast<int>(D), q + r0 * D,
                                 static_cast<int>(D), &zero, scores, to_int(span, "span")));
    const dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>((span + kSegment - 1) / kSegment));
    row_partials_kernel<<<grid, kThreads, 0, stream_>>>(scores, span, k_lo, d_keys.at(), d_keys.ranges(), r0,
                                                        parts_.as<float2>());
    CPB_CUDA_CHECK_LAUNCH();
    row_probs_kernel<<<grid, kThreads, 0, stream_>>>(scores, span, k_lo, d_keys.at(), d_keys.ranges(), r0,
                                                     parts_.as<float2>(), lse + r0);
    CPB_CUDA_CHECK_LAUNCH();
    // Slice s: the column-major [D, rows] matrix V_cm(s) P_cm(s), with V_cm(s) the split_
    // value rows from k_lo + s split_ as [D, split_] (ld D) and P_cm(s) the probability
    // columns from s split_ as [split_, rows] (ld span); row-major that is O_s [rows, D].
    CPB_CUBLAS_CHECK(cublasSgemmStridedBatched(
        blas_.get(), CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(D), to_int(rows, "rows"), to_int(split_, "split"), &one,
        v + k_lo * D, static_cast<int>(D), split_ * D, scores, to_int(span, "span"), split_, &zero, o_.as<float>(),
        static_cast<int>(D), rows * D, to_int(slices, "slices")));
    // dP [rows, span] row-major, as the scores: V_cm^T dO_cm.
    CPB_CUBLAS_CHECK(cublasSgemm(blas_.get(), CUBLAS_OP_T, CUBLAS_OP_N, to_int(span, "span"), to_int(rows, "rows"),
                                 static_cast<int>(D), &one, v + k_lo * D, static_cast<int>(D), dout + r0 * D,
                                 static_cast<int>(D), &zero, dp_.as<float>(), to_int(span, "span")));
    pdp_squares_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream_>>>(scores, dp_.as<float>(), span, r + r0);
    CPB_CUDA_CHECK_LAUNCH();
    delta_kernel<<<static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock), kWarpsPerBlock * 32, 0,
                   stream_>>>(o_.as<float>(), slices, rows, D, dout + r0 * D, delta + r0, r + r0);
    CPB_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace cpb
