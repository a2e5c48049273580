// Stream memory operations: a stream writes a 32-bit value to memory, or waits until a
// 32-bit value in memory reaches a given one. The copy-engine transports signal between
// processes with them (no SM is used, and a monotonically growing value cannot be
// mistaken for an older signal the way a re-recorded IPC event can).
//
// The driver calls are looked up through the CUDA runtime (cudaGetDriverEntryPointByVersion)
// so the binary does not link libcuda and still starts on machines without a driver.
// 32-bit stream memory operations are supported on every device of a CUDA 12+ driver; a
// failure ends the job with the driver's error code.
#pragma once

#include <cstdint>

#include "base/cuda/cuda_check.hpp"

namespace cpb {

// Enqueues on `stream`: *addr = value, after a memory fence that makes every earlier
// write of the stream (copies included) visible first. `addr` is device memory, peer
// memory mapped into this process, or registered host memory (device-accessible).
void stream_write_u32(cudaStream_t stream, volatile uint32_t* addr, uint32_t value);

// Enqueues on `stream`: later work waits until (int32_t)(*addr - value) >= 0 (cyclic >=).
void stream_wait_u32(cudaStream_t stream, volatile uint32_t* addr, uint32_t value);

}  // namespace cpb
