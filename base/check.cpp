#include "base/check.hpp"

#include <mpi.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>

namespace cpb {
namespace {

struct ProcessState {
  std::mutex mu;
  std::atomic<int> rank{-1};  // read by the watchdog and signal threads
  std::atomic<int> device{-1};
  int next_hook = 0;
  std::map<int, std::function<void()>> hooks;
};

ProcessState& state() {
  static ProcessState s;
  return s;
}

}  // namespace

std::string process_tag() {
  char host[256] = "?";
  gethostname(host, sizeof(host) - 1);
  ProcessState& s = state();
  std::string tag = std::string("host=") + host + " rank=" + std::to_string(s.rank);
  if (s.device >= 0) tag += " dev=" + std::to_string(s.device);
  return tag;
}

void set_process_rank(int rank) { state().rank = rank; }
int process_rank() { return state().rank; }
void set_process_device(int device) { state().device = device; }

int add_abort_hook(std::function<void()> hook) {
  ProcessState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  const int id = s.next_hook++;
  s.hooks[id] = std::move(hook);
  return id;
}

void remove_abort_hook(int id) {
  ProcessState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.hooks.erase(id);
}

void fatal(const std::string& what, const char* file, int line, int code) {
  std::fprintf(stderr, "cpbench: fatal: %s at %s:%d [%s]\n", what.c_str(), file, line,
               process_tag().c_str());
  std::fflush(stderr);
  abort_job(code);
}

void abort_job(int code) {
  std::map<int, std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> lock(state().mu);
    hooks.swap(state().hooks);  // run each hook once, even if a hook fails fatally
  }
  for (auto& h : hooks) h.second();
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

std::string mpi_error_string(int code) {
  char buf[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  if (MPI_Error_string(code, buf, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(buf, static_cast<size_t>(len));
}

}  // namespace cpb
