#include "comm/cuda/stream_memops.hpp"

#include <cuda.h>

namespace cpb {
namespace {

using WriteFn = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);
using WaitFn = CUresult (*)(CUstream, CUdeviceptr, cuuint32_t, unsigned int);

template <class Fn>
Fn driver_entry(const char* symbol) {
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
  CPB_CUDA_CHECK(cudaGetDriverEntryPointByVersion(symbol, &fn, 12000, cudaEnableDefault, &found));
  if (found != cudaDriverEntryPointSuccess || fn == nullptr)
    CPB_FATAL(std::string("the CUDA driver has no ") + symbol);
  return reinterpret_cast<Fn>(fn);
}

struct Memops {
  WriteFn write = driver_entry<WriteFn>("cuStreamWriteValue32");
  WaitFn wait = driver_entry<WaitFn>("cuStreamWaitValue32");
};

const Memops& memops() {
  static const Memops m;
  return m;
}

CUdeviceptr device_address(volatile uint32_t* addr) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(addr));
}

#define CU_CHECK(call)                                                                          \
  do {                                                                                          \
    const CUresult cpb_cu_rc_ = (call);                                                         \
    if (cpb_cu_rc_ != CUDA_SUCCESS)                                                             \
      CPB_FATAL(std::string(#call) + " failed: CUresult " + std::to_string(static_cast<int>(cpb_cu_rc_))); \
  } while (0)

}  // namespace

void stream_write_u32(cudaStream_t stream, volatile uint32_t* addr, uint32_t value) {
  CU_CHECK(memops().write(stream, device_address(addr), value, CU_STREAM_WRITE_VALUE_DEFAULT));
}

void stream_wait_u32(cudaStream_t stream, volatile uint32_t* addr, uint32_t value) {
  CU_CHECK(memops().wait(stream, device_address(addr), value, CU_STREAM_WAIT_VALUE_GEQ));
}

}  // namespace cpb
