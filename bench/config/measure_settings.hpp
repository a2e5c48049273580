// The "measure" object of a sweep config.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench/config/config.hpp"

namespace cpb::cfg {

// Largest attention for which verify "auto" picks a full verification: B * H * S * S
// scores, 2^26 (64 Mi; e.g. S = 2048 with H = 16). Larger sweeps verify sampled rows.
constexpr double kAutoFullVerifyScores = 67108864.0;

// Reads `m` (an object, or null when absent) with defaults for what it leaves out.
// `max_scores` is B*H*S*S of the largest point of the sweep: verify "auto" resolves to
// full when it is at most kAutoFullVerifyScores, else to sampled. `file` prefixes
// messages. Writes the settings with every key filled in (verify resolved) to `resolved`.
MeasureSettings read_measure(const nlohmann::json& m, const std::string& file, double max_scores,
                             nlohmann::json* resolved);

// A watchdog timeout given as the command-line option `option` (`--timeout`): returns it
// when it is a finite number > 0 [s], else throws UsageError naming the option.
double check_timeout_option(double seconds, const std::string& option);

}  // namespace cpb::cfg
