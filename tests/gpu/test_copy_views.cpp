// Strided copies: pack/unpack between [B, S, H, D] and head-sharded blocks (vector and
// scalar paths, batched launches), and dtype conversions.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/cuda/copy_views.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace cpb {
namespace {

using test::dense_inputs;
using test::to_host_bytes;
using test::to_host_floats;

// Packs x [B, S, H, D] into blocks of heads (block p: dense [B, S, heads[p], D], one
// after another), unpacks into y, and checks y == x bitwise and each block's values.
void pack_unpack(DType type, int64_t B, int64_t S, int64_t D, const std::vector<int64_t>& heads) {
  int64_t H = 0;
  for (int64_t h : heads) H += h;
  DeviceBuffer x = dense_inputs(Tensor::Q, type, B, S, H, D);
  DeviceBuffer packed(x.bytes()), y(x.bytes());
  CPB_CUDA_CHECK(cudaMemset(y.get(), 0xff, y.bytes()));
  const size_t eb = test::elem_bytes(type);
  std::vector<CopyPair> pack, unpack;
  int64_t h0 = 0, off = 0;
  for (int64_t hc : heads) {
    DeviceView full;
    full.type = type;
    full.shape = {B, S, hc, D};
    full.stride = {S * H * D, H * D, D, 1};
    DeviceView src = full, back = full;
    src.ptr = static_cast<char*>(x.get()) + static_cast<size_t>(h0 * D) * eb;
    back.ptr = static_cast<char*>(y.get()) + static_cast<size_t>(h0 * D) * eb;
    const DeviceView block = dense_device_view(static_cast<char*>(packed.get()) + static_cast<size_t>(off) * eb, type,
                                               {B, S, hc, D});
    pack.push_back(CopyPair{src, block});
    unpack.push_back(CopyPair{block, back});
    h0 += hc;
    off += B * S * hc * D;
  }
  copy_views(pack, nullptr);
  copy_views(unpack, nullptr);
  CPB_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_EQ(to_host_bytes(x), to_host_bytes(y));
  // The last block's first element is x[0, 0, H - heads.back(), 0].
  const std::vector<float> px = to_host_floats(packed, type, static_cast<size_t>(B * S * H * D));
  const size_t last = static_cast<size_t>(B * S * (H - heads.back()) * D);
  EXPECT_EQ(px[last], input_value(Tensor::Q, 0, 0, H - heads.back(), 0, D));
  EXPECT_EQ(px[0], input_value(Tensor::Q, 0, 0, 0, 0, D));
}

TEST(CopyViews, PackUnpackVectorPath) {
  CPB_REQUIRE_GPU();
  pack_unpack(DType::BF16, 2, 96, 128, {3, 3, 2, 2});
}

TEST(CopyViews, PackUnpackScalarPath) {
  CPB_REQUIRE_GPU();
  pack_unpack(DType::FP16, 1, 50, 12, {2, 1});  // D = 12: not a multiple of 8
}

TEST(CopyViews, PackUnpackManyPairsBatched) {
  CPB_REQUIRE_GPU();
  pack_unpack(DType::BF16, 1, 64, 64, std::vector<int64_t>(11, 1));  // 11 pairs: two launches
}

TEST(CopyViews, Fp32F32RoundTrip) {
  CPB_REQUIRE_GPU();
  pack_unpack(DType::FP32, 1, 40, 64, {2, 2});
}

// bf16 -> fp32 is exact, fp32 -> bf16 rounds to nearest even (as round_to_bf16), fp16 ->
// fp32 -> fp16 is exact for these inputs.
TEST(CopyViews, DtypeConversion) {
  CPB_REQUIRE_GPU();
  const int64_t B = 1, S = 32, H = 2, D = 64, n = B * S * H * D;
  DeviceBuffer x = dense_inputs(Tensor::K, DType::BF16, B, S, H, D);
  DeviceBuffer f(static_cast<size_t>(n) * 4), back(x.bytes());
  const DeviceView vx = dense_device_view(x.get(), DType::BF16, {B, S, H, D});
  const DeviceView vf = dense_device_view(f.get(), DType::FP32, {B, S, H, D});
  const DeviceView vb = dense_device_view(back.get(), DType::BF16, {B, S, H, D});
  copy_views({CopyPair{vx, vf}}, nullptr);
  copy_views({CopyPair{vf, vb}}, nullptr);
  CPB_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_EQ(to_host_bytes(x), to_host_bytes(back));
  const std::vector<float> hf = to_host_floats(f, DType::FP32, static_cast<size_t>(n));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t d = 0; d < D; ++d)
        ASSERT_EQ(hf[static_cast<size_t>((s * H + h) * D + d)], input_value(Tensor::K, 0, s, h, d, D));

  // Arbitrary floats to bf16: the device rounds exactly like round_to_bf16.
  std::vector<float> vals(static_cast<size_t>(n));
  for (size_t i = 0; i < vals.size(); ++i) vals[i] = std::ldexp(1.0f + 0.000137f * static_cast<float>(i), static_cast<int>(i % 7) - 3) * (i % 2 ? -1.f : 1.f);
  CPB_CUDA_CHECK(cudaMemcpy(f.get(), vals.data(), f.bytes(), cudaMemcpyHostToDevice));
  copy_views({CopyPair{vf, vb}}, nullptr);
  CPB_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> hb = to_host_floats(back, DType::BF16, static_cast<size_t>(n));
  for (size_t i = 0; i < vals.size(); ++i) ASSERT_EQ(hb[i], round_to_bf16(vals[i])) << "at " << i;

  DeviceBuffer h16 = dense_inputs(Tensor::V, DType::FP16, B, S, H, D), h16b(h16.bytes());
  const DeviceView v16 = dense_device_view(h16.get(), DType::FP16, {B, S, H, D});
  const DeviceView v16b = dense_device_view(h16b.get(), DType::FP16, {B, S, H, D});
  copy_views({CopyPair{v16, vf}}, nullptr);
  copy_views({CopyPair{vf, v16b}}, nullptr);
  CPB_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_EQ(to_host_bytes(h16), to_host_bytes(h16b));
}

// A transposing copy ([B, S, H, D] -> [B, H, S, D] through strides) and a copy whose
// inner dimension is strided: both take the scalar path.
TEST(CopyViews, TransposeAndStridedInner) {
  CPB_REQUIRE_GPU();
  const int64_t B = 2, S = 24, H = 3, D = 16;
  DeviceBuffer x = dense_inputs(Tensor::Q, DType::BF16, B, S, H, D);
  DeviceBuffer t(x.bytes()), y(x.bytes());
  DeviceView src = dense_device_view(x.get(), DType::BF16, {B, S, H, D});
  DeviceView dst;  // [B, S, H, D] view of a [B, H, S, D] buffer
  dst.ptr = t.get();
  dst.type = DType::BF16;
  dst.shape = {B, S, H, D};
  dst.stride = {H * S * D, D, S * D, 1};
  copy_views({CopyPair{src, dst}}, nullptr);
  const std::vector<float> ht = [&] {
    CPB_CUDA_CHECK(cudaDeviceSynchronize());
    return to_host_floats(t, DType::BF16, static_cast<size_t>(B * S * H * D));
  }();
  EXPECT_EQ(ht[static_cast<size_t>(((1 * H + 2) * S + 5) * D + 7)], input_value(Tensor::Q, 1, 5, 2, 7, D));
  // Inner stride 2: every other element of each row, then back.
  DeviceView even = src, packed_even;
  even.shape = {B, S, H, D / 2};
  even.stride = {S * H * D, H * D, D, 2};
  packed_even = dense_device_view(y.get(), DType::BF16, {B, S, H, D / 2});
  copy_views({CopyPair{even, packed_even}}, nullptr);
  CPB_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> hy = to_host_floats(y, DType::BF16, static_cast<size_t>(B * S * H * D / 2));
  EXPECT_EQ(hy[3], input_value(Tensor::Q, 0, 0, 0, 6, D));
}

}  // namespace
}  // namespace cpb
