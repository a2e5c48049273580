// SIGINT and SIGTERM for the commands that run under mpirun (run, probe).
//
// A handler may not write JSON (not async-signal-safe), so the signals are not handled
// in a handler: InterruptWatch blocks them in the thread that constructs it (and so in
// every thread started afterwards, MPI's included) and a watcher thread takes them with
// sigtimedwait. On the first signal the watcher runs the interrupt hooks (the result
// file registers one that records the reason and rewrites the file), prints one line on
// rank 0 and ends the process with exit_code::interrupted (3): rank 0 at once, the other
// ranks half a second later, so that mpirun, which kills every rank as soon as one exits,
// does not kill rank 0 while it writes. Waiting for the running point is no option:
// mpirun sends SIGKILL one second after its SIGTERM (docs/RELIABILITY.md). The hooks run on the watcher thread, so what they touch needs a lock.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include <signal.h>

namespace cpb {

// "SIGINT", "SIGTERM", or "signal N".
std::string signal_name(int sig);

// A hook run (once, on the watcher thread) with the signal's name before the process
// exits, registered while the object lives. Without a live InterruptWatch the hooks never
// run. Destruction waits for a hook that is running.
class InterruptHook {
 public:
  explicit InterruptHook(std::function<void(const std::string& signal)> hook);
  ~InterruptHook();
  InterruptHook(const InterruptHook&) = delete;
  InterruptHook& operator=(const InterruptHook&) = delete;

 private:
  int id_;
};

// Runs the hooks as the watcher does on a signal (no exit). Used by the watcher and by
// tests of the hooks.
void run_interrupt_hooks(const std::string& signal);

// Construct before MPI_Init (MpiSession), in the main thread, and destroy after it; one
// at a time. The destructor stops the watcher and restores the signal mask, so a signal
// arriving after it takes its default action.
class InterruptWatch {
 public:
  InterruptWatch();
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

 private:
  void watch();

  sigset_t old_mask_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cpb
