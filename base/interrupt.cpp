#include "base/interrupt.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <system_error>

#include "base/check.hpp"
#include "base/exit_code.hpp"

namespace cpb {
namespace {

struct Hooks {
  std::mutex mu;
  int next = 0;
  std::map<int, std::function<void(const std::string&)>> hooks;
};

Hooks& hooks() {
  static Hooks h;
  return h;
}

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

std::string signal_name(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(sig);
}

InterruptHook::InterruptHook(std::function<void(const std::string&)> hook) {
  std::lock_guard<std::mutex> lock(hooks().mu);
  id_ = hooks().next++;
  hooks().hooks[id_] = std::move(hook);
}

InterruptHook::~InterruptHook() {
  std::lock_guard<std::mutex> lock(hooks().mu);
  hooks().hooks.erase(id_);
}

void run_interrupt_hooks(const std::string& signal) {
  // Held while the hooks run: a hook being destroyed waits for it.
  std::lock_guard<std::mutex> lock(hooks().mu);
  for (auto& h : hooks().hooks) {
    try {
      h.second(signal);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cpbench: error: while handling %s: %s\n", signal.c_str(), e.what());
    }
  }
}

InterruptWatch::InterruptWatch() {
  const sigset_t set = watched_signals();
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, &old_mask_))
    throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
  thread_ = std::thread([this] { watch(); });
}

InterruptWatch::~InterruptWatch() {
  stop_ = true;
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void InterruptWatch::watch() {
  const sigset_t set = watched_signals();
  const timespec poll{0, 100 * 1000 * 1000};  // how often stop_ is looked at
  while (!stop_) {
    const int sig = sigtimedwait(&set, nullptr, &poll);
    if (sig < 0) continue;  // EAGAIN (timeout) or EINTR
    const std::string name = signal_name(sig);
    run_interrupt_hooks(name);
    if (process_rank() <= 0) {
      std::fprintf(stderr, "cpbench: interrupted by %s [%s]\n", name.c_str(), process_tag().c_str());
      std::fflush(stderr);
    }
    // The other ranks give rank 0 time to record the signal: mpirun answers a rank's exit by
    // killing the others at once, and usually every rank got the signal together.
    if (process_rank() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::_Exit(exit_code::interrupted);
  }
}

}  // namespace cpb
