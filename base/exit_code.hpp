// The process exit codes of every cpbench command (docs/RELIABILITY.md, "Exit codes").
#pragma once

namespace cpb::exit_code {

inline constexpr int ok = 0;           // every point PASS or SKIPPED; no regression
inline constexpr int failed = 1;       // a point FAILED, a regression, or an internal error
inline constexpr int bad_input = 2;    // config, command line, paths or result files
inline constexpr int interrupted = 3;  // SIGINT/SIGTERM (or the watchdog): results incomplete

}  // namespace cpb::exit_code
