// Watchdog: a thread that ends the whole job when one blocking wait takes too long.
//
// Code about to wait on other ranks (a collective, an exchange, a run that waits for its
// peers) arms a Section naming what it waits on; sections nest. The thread wakes every
// kPollMs and, when a section has been armed for longer than the timeout [s], calls
// fatal() with exit code exit_code::interrupted (3): the message names the wait (and the innermost
// wait inside it), fatal() adds host and rank, runs the abort hooks and MPI_Aborts the
// job, so every rank ends. The timeout bounds one wait, never a whole point: work between
// waits (a rank's own compute) is not watched. Probes (the CUDA runtime's NCCL error
// checks, comm/cuda/watchdog.hpp) run on every wake, armed or not; a probe that reports a
// failure ends the job with exit code 1.
//
// MPI_Abort comes from the watchdog thread: MPI_THREAD_FUNNELED does not promise that,
// but Open MPI and MPICH honour it, and the alternative is a job that hangs forever.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/check.hpp"
#include "base/exit_code.hpp"

namespace cpb {

// The armed waits of a process and which one is overdue: the watchdog's bookkeeping,
// with the time passed in (no clock of its own).
class ArmedWaits {
 public:
  using Clock = std::chrono::steady_clock;
  struct Wait {
    int id = 0;
    std::string what;                  // what the rank waits on
    Clock::time_point since;           // when it was armed
    std::function<std::string()> detail;  // more for the message (may be empty)
  };

  // Adds a wait armed at `since`; returns its id for disarm().
  int arm(std::string what, Clock::time_point since, std::function<std::string()> detail);
  void disarm(int id);  // an unknown id is ignored
  // The oldest wait armed for more than `timeout_s` [s] at `now`, or null.
  const Wait* overdue(Clock::time_point now, double timeout_s) const;
  // The message for an overdue wait `late`: what it waited on, the timeout, its detail,
  // and the innermost wait armed inside it.
  std::string timeout_message(const Wait& late, double timeout_s) const;
  // The most recently armed wait, or null.
  const Wait* innermost() const { return waits_.empty() ? nullptr : &waits_.back(); }

 private:
  int next_id_ = 0;
  std::vector<Wait> waits_;  // in arming order
};

class Watchdog {
 public:
  static constexpr double kDefaultTimeoutS = 300;
  static constexpr int kPollMs = 50;

  // Starts the thread. `timeout_s` > 0.
  explicit Watchdog(double timeout_s = kDefaultTimeoutS);
  ~Watchdog();  // stops and joins the thread
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Applies to waits armed before the call too. std::invalid_argument unless > 0.
  void set_timeout(double timeout_s);
  double timeout_s() const;

  // An armed wait; disarms when destroyed.
  class Section {
   public:
    Section(Section&& o) noexcept;
    Section& operator=(Section&&) = delete;
    Section(const Section&) = delete;
    Section& operator=(const Section&) = delete;
    ~Section();

   private:
    friend class Watchdog;
    friend Section watch_wait(std::string what);
    Section(Watchdog* w, int id) : w_(w), id_(id) {}
    Watchdog* w_;
    int id_;
  };
  // Arms a wait on `what` (e.g. "exchange step 'kv 1' with rank 1"). `detail`, called by
  // the watchdog thread while the section is armed, adds to a timeout's message.
  [[nodiscard]] Section arm(std::string what, std::function<std::string()> detail = {});

  // `probe` returns a failure's description, or "" when all is well; called by the
  // watchdog thread (with the watchdog's lock held: it must not arm or add probes).
  // Returns an id for remove_probe(); after remove_probe() returns, it is never called.
  int add_probe(std::function<std::string()> probe);
  void remove_probe(int id);

 private:
  void loop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  double timeout_s_;
  ArmedWaits waits_;
  int next_probe_ = 0;
  std::map<int, std::function<std::string()>> probes_;
  std::thread thread_;
};

// The process's watchdog: MpiSession owns it from MPI_Init to MPI_Finalize; null outside.
Watchdog* process_watchdog();
void set_process_watchdog(Watchdog* w);

// Arms the process's watchdog for `what`; a section that watches nothing when there is
// none.
[[nodiscard]] Watchdog::Section watch_wait(std::string what);

}  // namespace cpb

// A blocking MPI call (a collective, a wait) under CPB_MPI_CHECK and the process's
// watchdog, the wait named by the MPI function and the calling function.
#define CPB_MPI_WAIT(fn, ...)                                                              \
  do {                                                                                     \
    const ::cpb::Watchdog::Section cpb_wait_ = ::cpb::watch_wait(std::string(#fn " in ") + __func__); \
    CPB_MPI_CHECK(fn(__VA_ARGS__));                                                        \
  } while (0)
