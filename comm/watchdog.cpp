#include "comm/watchdog.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace cpb {

int ArmedWaits::arm(std::string what, Clock::time_point since, std::function<std::string()> detail) {
  const int id = next_id_++;
  waits_.push_back(Wait{id, std::move(what), since, std::move(detail)});
  return id;
}

void ArmedWaits::disarm(int id) {
  waits_.erase(std::remove_if(waits_.begin(), waits_.end(), [id](const Wait& w) { return w.id == id; }),
               waits_.end());
}

const ArmedWaits::Wait* ArmedWaits::overdue(Clock::time_point now, double timeout_s) const {
  for (const Wait& w : waits_) {
    if (std::chrono::duration<double>(now - w.since).count() > timeout_s) return &w;
  }
  return nullptr;
}

std::string ArmedWaits::timeout_message(const Wait& late, double timeout_s) const {
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%g", timeout_s);
  std::string msg = "waited more than " + std::string(secs) + " s (the timeout: --timeout or measure.timeout) on " +
                    late.what;
  if (late.detail) msg += "; " + late.detail();
  if (innermost()->id != late.id) msg += "; inside it, on " + innermost()->what;
  return msg;
}

Watchdog::Watchdog(double timeout_s) : timeout_s_(timeout_s) {
  if (!(timeout_s > 0)) throw std::invalid_argument("watchdog: the timeout must be > 0 s");
  thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::set_timeout(double timeout_s) {
  if (!(timeout_s > 0)) throw std::invalid_argument("watchdog: the timeout must be > 0 s");
  std::lock_guard<std::mutex> lock(mu_);
  timeout_s_ = timeout_s;
}

double Watchdog::timeout_s() const {
  std::lock_guard<std::mutex> lock(mu_);
  return timeout_s_;
}

Watchdog::Section Watchdog::arm(std::string what, std::function<std::string()> detail) {
  std::lock_guard<std::mutex> lock(mu_);
  return Section(this, waits_.arm(std::move(what), ArmedWaits::Clock::now(), std::move(detail)));
}

Watchdog::Section::Section(Section&& o) noexcept : w_(std::exchange(o.w_, nullptr)), id_(o.id_) {}

Watchdog::Section::~Section() {
  if (!w_) return;
  std::lock_guard<std::mutex> lock(w_->mu_);
  w_->waits_.disarm(id_);
}

int Watchdog::add_probe(std::function<std::string()> probe) {
  std::lock_guard<std::mutex> lock(mu_);
  const int id = next_probe_++;
  probes_[id] = std::move(probe);
  return id;
}

void Watchdog::remove_probe(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  probes_.erase(id);
}

void Watchdog::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(kPollMs));
    if (stop_) break;
    for (const auto& p : probes_) {
      const std::string failure = p.second();
      if (failure.empty()) continue;
      const ArmedWaits::Wait* inner = waits_.innermost();
      // Exit code 1: a failure, not a timeout.
      std::string during;
      if (inner) during = " while waiting on " + inner->what + (inner->detail ? "; " + inner->detail() : "");
      fatal("watchdog: " + failure + during, __FILE__, __LINE__);
    }
    if (const ArmedWaits::Wait* late = waits_.overdue(ArmedWaits::Clock::now(), timeout_s_))
      fatal("watchdog: " + waits_.timeout_message(*late, timeout_s_), __FILE__, __LINE__, exit_code::interrupted);
  }
}

namespace {
std::atomic<Watchdog*> g_process_watchdog{nullptr};
}  // namespace

Watchdog* process_watchdog() { return g_process_watchdog.load(); }
void set_process_watchdog(Watchdog* w) { g_process_watchdog.store(w); }

Watchdog::Section watch_wait(std::string what) {
  Watchdog* w = process_watchdog();
  if (!w) return Watchdog::Section(nullptr, -1);
  return w->arm(std::move(what));
}

}  // namespace cpb
