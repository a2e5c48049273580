// SharedHostMemory: page-locked host memory that every process of a node maps, for the
// copy-engine transports' signals and the host staging of ce_host. One POSIX shared
// memory object (/dev/shm), created by the node's rank 0, mapped by every rank and
// registered with CUDA (cudaHostRegister, portable and mapped); the name is unlinked as
// soon as every rank has it mapped, so nothing is left behind if the job dies later.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>

namespace cpb {

class SharedHostMemory {
 public:
  SharedHostMemory() = default;
  // Collective over `node` (the processes of one host). `bytes` [bytes] must be equal on
  // every rank. The memory starts zeroed. Fails the job with the reason (e.g. /dev/shm
  // too small) on the rank that hit it.
  SharedHostMemory(MPI_Comm node, size_t bytes);
  ~SharedHostMemory();
  SharedHostMemory(SharedHostMemory&& o) noexcept;
  SharedHostMemory& operator=(SharedHostMemory&& o) noexcept;
  SharedHostMemory(const SharedHostMemory&) = delete;
  SharedHostMemory& operator=(const SharedHostMemory&) = delete;

  char* host() const { return host_; }      // this process's mapping
  char* device() const { return device_; }  // the same memory as GPU work addresses it

 private:
  void release();

  char* host_ = nullptr;
  char* device_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace cpb
