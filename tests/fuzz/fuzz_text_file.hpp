// An in-memory file (memfd) the harnesses hand to readers that take a path: each input is
// written to it and read back through /proc/self/fd/N, so no disk file is touched per
// execution and the readers run unchanged.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace cpb::fuzz {

class TextFile {
 public:
  TextFile() : fd_(memfd_create("cpbench-fuzz", 0)) {
    if (fd_ < 0) std::abort();
  }
  ~TextFile() { close(fd_); }
  TextFile(const TextFile&) = delete;
  TextFile& operator=(const TextFile&) = delete;

  // Replaces the file's contents with `size` bytes at `data`; returns a path to it.
  std::string write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0) std::abort();
    size_t done = 0;
    while (done < size) {
      const ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

}  // namespace cpb::fuzz
