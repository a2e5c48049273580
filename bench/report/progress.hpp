// The progress line of a long sweep, on rank 0's terminal:
//   [3/40] hcms C=3 S=56160 P=2 H=40 Hkv=40 D=128 B=1 full bf16 nccl nvlink  ETA 12:34
// redrawn in place on stderr, and only when stderr is a terminal and --quiet is not
// given, so logs and CI output never contain it.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

namespace cpb {

// "mm:ss", or "h:mm:ss" from one hour on; "--:--" for nullopt. Seconds are rounded.
std::string format_eta(std::optional<double> seconds);

// The time left: the mean time of the finished points times the points not finished.
// nullopt before the first point finished.
std::optional<double> eta_seconds(int finished, int total, double elapsed_s);

// "[i/N] what  ETA mm:ss" (i is 1-based), cut to `width` characters when width > 0.
std::string progress_line(int index, int total, const std::string& what, std::optional<double> eta_s,
                          std::size_t width = 0);

// True when progress lines should be drawn: stderr is a terminal and not `quiet`.
bool progress_wanted(bool quiet);

// Draws the line when a point starts and erases it when the point ends, so the rows the
// sweep prints to stdout in between stay clean. Usage per point:
//   progress.begin(i, describe_point(...)); ... run ...; progress.end(); print the row.
// A disabled Progress does nothing; tests pass their own stream and enable it.
class Progress {
 public:
  Progress(int total, bool enabled, std::ostream& out);

  void begin(int index, const std::string& what);  // index: 0-based position in the sweep
  void end();                                      // erases the line, counts a finished point
  int finished() const { return finished_; }

 private:
  int total_;
  bool enabled_;
  std::ostream& out_;
  int finished_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace cpb
