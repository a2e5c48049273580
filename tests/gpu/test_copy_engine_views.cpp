// Copies as copy-engine work: which view pairs are pitched copies, and that such a copy
// (the HCMS/Ulysses unpack of head blocks into [B, S, H, D]) equals the kernel's bitwise.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/cuda/copy_engine_views.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace cpb {
namespace {

using test::dense_inputs;
using test::to_host_bytes;

DeviceView head_slice(void* base, DType type, int64_t B, int64_t S, int64_t H, int64_t D, int64_t h0, int64_t hc) {
  DeviceView v;
  v.type = type;
  v.ptr = static_cast<char*>(base) + static_cast<size_t>(h0 * D) * test::elem_bytes(type);
  v.shape = {B, S, hc, D};
  v.stride = {S * H * D, H * D, D, 1};
  return v;
}

TEST(CopyEngineViews, WhichPairsArePitchedCopies) {
  char* base = reinterpret_cast<char*>(uintptr_t{1} << 20);  // never dereferenced
  const DeviceView block = dense_device_view(base, DType::BF16, {1, 96, 2, 128});
  // Unpack into 2 of 8 heads: 96 rows of 2 * 128 * 2 bytes, pitches 8 and 2 heads.
  auto c = as_pitched_copy(CopyPair{block, head_slice(base, DType::BF16, 1, 96, 8, 128, 4, 2)});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->height, 96u);
  EXPECT_EQ(c->width, 2u * 128 * 2);
  EXPECT_EQ(c->src_pitch, 2u * 128 * 2);
  EXPECT_EQ(c->dst_pitch, 8u * 128 * 2);
  // B = 2 of a dense [B, S, H, D]: the batches continue at the same pitch.
  c = as_pitched_copy(CopyPair{dense_device_view(base, DType::BF16, {2, 96, 2, 128}),
                               head_slice(base, DType::BF16, 2, 96, 8, 128, 4, 2)});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->height, 192u);
  // Batches padded apart: the rows are not at one pitch on that side.
  DeviceView padded = head_slice(base, DType::BF16, 2, 96, 8, 128, 4, 2);
  padded.stride[0] += 64;
  EXPECT_FALSE(as_pitched_copy(CopyPair{dense_device_view(base, DType::BF16, {2, 96, 2, 128}), padded}));
  // A dense copy is one row.
  c = as_pitched_copy(CopyPair{block, block});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->height, 1u);
  EXPECT_EQ(c->width, 96u * 2 * 128 * 2);
  // A type conversion, a transpose and rows shorter than kMinRowBytes stay with the kernel.
  DeviceView f32 = block;
  f32.type = DType::FP32;
  EXPECT_FALSE(as_pitched_copy(CopyPair{block, f32}));
  DeviceView transposed = block;
  transposed.stride = {96 * 2 * 128, 1, 96 * 128, 96};
  EXPECT_FALSE(as_pitched_copy(CopyPair{block, transposed}));
  const DeviceView narrow = dense_device_view(base, DType::BF16, {1, 96, 1, 32});
  EXPECT_FALSE(as_pitched_copy(CopyPair{narrow, head_slice(base, DType::BF16, 1, 96, 8, 32, 0, 1)}));
}

TEST(CopyEngineViews, UnpackEqualsTheKernel) {
  CPB_REQUIRE_GPU();
  const int64_t S = 384, H = 10, D = 128;
  const std::vector<int64_t> heads = {4, 3, 3};
  DeviceBuffer packed = dense_inputs(Tensor::V, DType::BF16, 1, S, H, D);  // blocks one after another
  DeviceBuffer by_kernel(packed.bytes()), by_engines(packed.bytes());
  CUDA_CHECK(cudaMemset(by_kernel.get(), 0xff, by_kernel.bytes()));
  CUDA_CHECK(cudaMemset(by_engines.get(), 0x00, by_engines.bytes()));
  std::vector<CopyPair> to_kernel, to_engines;
  int64_t h0 = 0, off = 0;
  for (int64_t hc : heads) {
    const DeviceView block =
        dense_device_view(static_cast<char*>(packed.get()) + static_cast<size_t>(off) * 2, DType::BF16, {1, S, hc, D});
    to_kernel.push_back(CopyPair{block, head_slice(by_kernel.get(), DType::BF16, 1, S, H, D, h0, hc)});
    to_engines.push_back(CopyPair{block, head_slice(by_engines.get(), DType::BF16, 1, S, H, D, h0, hc)});
    h0 += hc;
    off += S * hc * D;
  }
  copy_views(to_kernel, nullptr);
  ASSERT_TRUE(copy_views_with_copy_engines(to_engines, nullptr));
  CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_EQ(to_host_bytes(by_kernel), to_host_bytes(by_engines));
}

}  // namespace
}  // namespace cpb
