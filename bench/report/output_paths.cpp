#include "bench/report/output_paths.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/usage_error.hpp"

namespace cpb {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& option, const std::string& path, const std::string& problem) {
  throw UsageError(option + " " + path + ": " + problem);
}

// The folder `dir` or, when it does not exist, its nearest existing ancestor: what
// create_directories would start from. "" stands for ".".
fs::path nearest_existing(const fs::path& dir) {
  fs::path p = dir.empty() ? fs::path(".") : dir;
  std::error_code ec;
  while (!fs::exists(fs::symlink_status(p, ec))) {
    const fs::path parent = p.parent_path();
    if (parent.empty()) return ".";  // a relative path: the working directory
    if (parent == p) return p;       // the root
    p = parent;
  }
  return p;
}

// `dir` (the folder that will hold the output, existing or not) can hold new files: its
// nearest existing ancestor is a directory in which a file can be created. Tried for real
// (and removed again): permission bits do not tell for root, /proc or read-only mounts.
void check_can_create_in(const std::string& option, const std::string& path, const fs::path& dir) {
  const fs::path base = nearest_existing(dir);
  std::error_code ec;
  const fs::file_status st = fs::status(base, ec);
  if (!fs::exists(st)) fail(option, path, base.string() + " does not exist");
  if (!fs::is_directory(st)) fail(option, path, base.string() + " is not a directory");
  const fs::path probe = base / (".cpbench-write-check." + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(option, path, "cannot create files in " + base.string() + ": " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace

void check_output_file(const std::string& option, const std::string& path) {
  if (path.empty()) fail(option, "\"\"", "empty path");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) fail(option, path, "is a directory; give a file name, e.g. " + path + "/result.json");
  if (fs::exists(st) && !fs::is_regular_file(st)) fail(option, path, "exists and is not a regular file");
  check_can_create_in(option, path, fs::path(path).parent_path());
}

void check_output_dir(const std::string& option, const std::string& path) {
  if (path.empty()) fail(option, "\"\"", "empty path");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st) && !fs::is_directory(st)) fail(option, path, "is not a directory (it is a file); give a folder");
  check_can_create_in(option, path, fs::path(path));
}

}  // namespace cpb
