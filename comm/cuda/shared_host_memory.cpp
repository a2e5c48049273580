#include "comm/cuda/shared_host_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/cuda/cuda_check.hpp"
#include "comm/mpi_session.hpp"
#include "comm/watchdog.hpp"

namespace cpb {
namespace {

std::string errno_text() { return std::strerror(errno); }

// A name unique to this job and allocation: node rank 0's pid and a per-process count.
std::string object_name(MPI_Comm node) {
  static std::atomic<long> count{0};
  long id[2] = {static_cast<long>(getpid()), count++};
  CPB_MPI_WAIT(MPI_Bcast, id, 2, MPI_LONG, 0, node);
  return "/cpbench." + std::to_string(id[0]) + "." + std::to_string(id[1]);
}

}  // namespace

SharedHostMemory::SharedHostMemory(MPI_Comm node, size_t bytes) : bytes_(bytes) {
  if (bytes_ == 0) return;
  int rank = 0;
  CPB_MPI_CHECK(MPI_Comm_rank(node, &rank));
  const std::string name = object_name(node);
  if (rank == 0) {
    // tmpfs accepts a file larger than its free space and fails the first touch of a page
    // beyond it with SIGBUS: check the room first.
    struct statvfs fs {};
    if (statvfs("/dev/shm", &fs) == 0 && static_cast<double>(fs.f_bavail) * fs.f_frsize < static_cast<double>(bytes_))
      CPB_FATAL("/dev/shm has " + std::to_string(static_cast<double>(fs.f_bavail) * fs.f_frsize / (1 << 20)) +
                " MiB free but the copy-engine transport needs " + std::to_string(bytes_ >> 20) + " MiB there");
    const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) CPB_FATAL("shm_open(" + name + ") failed: " + errno_text());
    if (ftruncate(fd, static_cast<off_t>(bytes_)) != 0) CPB_FATAL("ftruncate(" + name + ") failed: " + errno_text());
    close(fd);
  }
  // Until every rank has it mapped, the name is all that frees it: a rank that fails
  // before then must not leave it in /dev/shm.
  const int hook = rank == 0 ? add_abort_hook([name] { shm_unlink(name.c_str()); }) : -1;
  barrier(node);
  const int fd = shm_open(name.c_str(), O_RDWR, 0600);
  if (fd < 0) CPB_FATAL("shm_open(" + name + ") failed: " + errno_text());
  void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) CPB_FATAL("mmap of " + name + " (" + std::to_string(bytes_) + " bytes) failed: " + errno_text());
  host_ = static_cast<char*>(p);
  barrier(node);
  if (rank == 0) {
    shm_unlink(name.c_str());
    remove_abort_hook(hook);
  }
  CPB_CUDA_CHECK(cudaHostRegister(host_, bytes_, cudaHostRegisterPortable | cudaHostRegisterMapped));
  void* d = nullptr;
  CPB_CUDA_CHECK(cudaHostGetDevicePointer(&d, host_, 0));
  device_ = static_cast<char*>(d);
}

void SharedHostMemory::release() {
  if (!host_) return;
  CPB_CUDA_CHECK(cudaHostUnregister(host_));
  munmap(host_, bytes_);
  host_ = device_ = nullptr;
}

SharedHostMemory::~SharedHostMemory() { release(); }

SharedHostMemory::SharedHostMemory(SharedHostMemory&& o) noexcept
    : host_(std::exchange(o.host_, nullptr)), device_(std::exchange(o.device_, nullptr)),
      bytes_(std::exchange(o.bytes_, 0)) {}

SharedHostMemory& SharedHostMemory::operator=(SharedHostMemory&& o) noexcept {
  if (this != &o) {
    release();
    host_ = std::exchange(o.host_, nullptr);
    device_ = std::exchange(o.device_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

}  // namespace cpb
