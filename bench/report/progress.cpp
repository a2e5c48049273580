#include "bench/report/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace cpb {
namespace {

// Columns of the terminal on stderr, or 0 when unknown.
std::size_t terminal_width() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

// Carriage return + "erase to end of line" (ANSI), to redraw or remove the line.
constexpr const char* kClearLine = "\r\x1b[K";

}  // namespace

std::string format_eta(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return "--:--";
  const long long total = std::llround(*seconds);
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buf[32];
  if (h > 0)
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", h, m, s);
  else
    std::snprintf(buf, sizeof(buf), "%02lld:%02lld", m, s);
  return buf;
}

std::optional<double> eta_seconds(int finished, int total, double elapsed_s) {
  if (finished <= 0) return std::nullopt;
  const int left = total > finished ? total - finished : 0;
  return elapsed_s / finished * left;
}

std::string progress_line(int index, int total, const std::string& what, std::optional<double> eta_s,
                          std::size_t width) {
  const std::string head = "[" + std::to_string(index + 1) + "/" + std::to_string(total) + "] ";
  const std::string tail = "  ETA " + format_eta(eta_s);
  std::string body = what;
  // Keep the line on one terminal row, or "\r" cannot take the cursor back to its start.
  if (width > 0 && head.size() + body.size() + tail.size() >= width) {
    const std::size_t room = width > head.size() + tail.size() + 4 ? width - head.size() - tail.size() - 4 : 0;
    body = body.substr(0, room) + "...";
  }
  return head + body + tail;
}

bool progress_wanted(bool quiet) { return !quiet && ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(int total, bool enabled, std::ostream& out)
    : total_(total), enabled_(enabled), out_(out), start_(std::chrono::steady_clock::now()) {}

void Progress::begin(int index, const std::string& what) {
  if (!enabled_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  out_ << kClearLine << progress_line(index, total_, what, eta_seconds(finished_, total_, elapsed), terminal_width())
       << std::flush;
  drawn_ = true;
}

void Progress::end() {
  ++finished_;
  if (!enabled_ || !drawn_) return;
  out_ << kClearLine << std::flush;
  drawn_ = false;
}

}  // namespace cpb
