// Device-side element types: conversion of bf16/fp16/fp32 storage to and from float, and
// the kernel-parameter form of a DeviceView. Included by .cu files only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "base/dtype.hpp"
#include "kernels/cuda/device_view.hpp"

namespace cpb {

template <class T>
struct Elem;
template <>
struct Elem<__nv_bfloat16> {
  static __device__ __forceinline__ float load(__nv_bfloat16 v) { return __bfloat162float(v); }
  static __device__ __forceinline__ __nv_bfloat16 store(float f) { return __float2bfloat16_rn(f); }
};
template <>
struct Elem<__half> {
  static __device__ __forceinline__ float load(__half v) { return __half2float(v); }
  static __device__ __forceinline__ __half store(float f) { return __float2half_rn(f); }
};
template <>
struct Elem<float> {
  static __device__ __forceinline__ float load(float v) { return v; }
  static __device__ __forceinline__ float store(float f) { return f; }
};

// A strided 4-D view as a kernel parameter (trivially copyable, no std::array).
struct View4 {
  char* ptr;
  int64_t shape[4];
  int64_t stride[4];  // [elements]
};

inline View4 to_view4(const DeviceView& v) {
  View4 k;
  k.ptr = static_cast<char*>(v.ptr);
  for (int i = 0; i < 4; ++i) {
    k.shape[i] = v.shape[i];
    k.stride[i] = v.stride[i];
  }
  return k;
}

// Calls f(T{}) with T the C++ type of `t`.
template <class F>
void dispatch_type(DType t, F&& f) {
  switch (t) {
    case DType::BF16: f(__nv_bfloat16{}); return;
    case DType::FP16: f(__half{}); return;
    case DType::FP32: f(float{}); return;
  }
}

}  // namespace cpb
