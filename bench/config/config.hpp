// Sweep configs: JSON files of named axes expanded as a cartesian product, skip rules,
// and measurement settings. See docs/CONFIG.md for the format.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/usage_error.hpp"
#include "bench/problem.hpp"
#include "bench/runtime.hpp"
#include "comm/watchdog.hpp"

namespace cpb {

struct MeasureSettings {
  int warmup = 2;       // untimed runs before timing, at least
  // ... and more, until the untimed runs add up to this much [ms] (at most
  // measure.hpp kMaxTimedWarmupRuns runs in all): a short loop (a 1 ms exchange) needs tens of runs
  // before its times settle (docs/PERF_NOTES.md).
  double warmup_ms = 100;
  int iterations = 10;  // timed runs (each the max over ranks)
  // Scale iterations down for large problems: a point runs at most this many seconds of
  // timed iterations, estimated from the warm-up (never fewer than min_iterations).
  double max_seconds = 60;
  int min_iterations = 3;
  // Rounds of the timed loop per point (bench/sweep/sweep.hpp): the sweep runs every
  // point's timed loop once per round, rotating the order within a comparison group.
  // 0 = the runtime's default, default_rounds().
  int rounds = 0;
  VerifyMode verify = VerifyMode::Full;  // "full" | "sampled" | "off" ("auto": by size)
  bool isolate = true;                   // also time the compute-only and comm-only parts
  bool graph = false;                    // capture each run as a CUDA graph (CUDA runtime)
  // CUDA runtime: every run starts with a GPU-side barrier over the ranks (a one-element
  // NCCL all-reduce) before its start event, so a rank whose host comes late does not add
  // its delay to the others' times. The CPU runtime always starts at an MPI barrier.
  bool align_start = true;
  // The watchdog's timeout [s]: the longest any rank waits on the others (one collective,
  // exchange or run's barrier) before the job ends with exit code 3 (comm/watchdog.hpp).
  // `cpbench run --timeout` wins over it.
  double timeout = Watchdog::kDefaultTimeoutS;
};

// The rounds a sweep runs when measure.rounds is left out: 3 on the "cuda" runtime (GPU
// clocks and interconnects drift between seconds), 1 elsewhere (the CPU runtime serves CI,
// where time matters more).
int default_rounds(const std::string& runtime_name);

// The most rounds a config may ask for.
constexpr int kMaxRounds = 100;

// One point of a sweep, fully resolved.
struct Point {
  int index = 0;  // position in the expanded sweep, 0-based
  std::string schedule;
  Problem problem;        // problem.P is the world size
  std::optional<TransportKind> transport;  // none = "auto": the runner picks the runtime's default
  Profile profile = Profile::Nvlink;
  Levers levers;
  std::string skip_reason;  // non-empty: the point is SKIPPED, with this reason
  // The params object of the result JSON (docs/ARCHITECTURE.md, "The result file"), schedule-specific options included
  // only where the schedule reads them, mask parameters only where the mask reads them.
  nlohmann::json params() const;
};

struct SweepConfig {
  std::string path;  // where it was read from
  std::string name;
  std::string description;
  std::vector<int> world_sizes;  // allowed MPI world sizes; empty = any
  // Ranks per node as the copy-engine transports see them (CUDA runtime; emulated nodes,
  // comm/node_groups.hpp); 0 = the real nodes.
  int ranks_per_node = 0;
  MeasureSettings measure;
  nlohmann::json resolved;  // the config with defaults filled in and overrides applied
  nlohmann::json axes;      // axis name -> array of values (after overrides)
  nlohmann::json skip;      // skip rules
  // Axis name -> where its values came from ("<file>: axes.S" or "-a S"), for messages;
  // absent for axes left at their default.
  std::map<std::string, std::string> axis_origins;
};

// Reads and validates a config. `overrides` are "-a axis=v1,v2" strings that replace an
// axis. Throws UsageError for a missing file, broken JSON, unknown or misspelled keys,
// wrong types, non-positive sizes, unknown schedule/mask/dtype/transport names, a value
// a swept schedule or mask needs but is not given (usp_u, mask_table), both of two
// exclusive mask parameters (mask_docs, mask_doc_tokens).
SweepConfig load_config(const std::string& path, const std::vector<std::string>& overrides);

// The most points a sweep may expand to (docs/CONFIG.md, "Expansion order"), checked from
// the axis lengths before expanding: a runaway config fails at once instead of allocating.
constexpr int64_t kMaxPoints = 1000000;

// Expands the axes for world size P (UsageError when P is not allowed or the axes give
// more than kMaxPoints combinations after folding), folds option axes a schedule does not
// read and mask parameter axes a mask does not read, checks every point's mask
// (mask_error: UsageError naming the parameter, its value and what fits), applies skip
// rules and the schedules' unsupported() checks (as skip_reason), keeps the points that
// match `filter` ("" = all; see docs/CONFIG.md for the syntax; UsageError when malformed)
// and numbers them.
std::vector<Point> expand(const SweepConfig& cfg, int P, const std::string& filter);

}  // namespace cpb
