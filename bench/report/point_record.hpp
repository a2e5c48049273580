// The result record of one sweep point (docs/ARCHITECTURE.md, "The result file") as
// run_point writes it, before the metrics that need other rows (metrics.hpp). A field
// left as nullopt is absent from the JSON; the JSON keys are the constants of
// record_key, sorted as nlohmann orders them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/report/gpu_state.hpp"
#include "bench/report/stats.hpp"

namespace cpb {

// The JSON keys of a point record; readers of records use these too.
namespace record_key {
extern const char* const index;
extern const char* const schedule;
extern const char* const params;
extern const char* const runtime;
extern const char* const git;
extern const char* const options;
extern const char* const status;
extern const char* const reason;
extern const char* const verify;
extern const char* const max_abs_err;  // in verify
extern const char* const tolerance;    // in verify
extern const char* const checked;      // in verify
extern const char* const mode;         // in verify
extern const char* const bitwise_equal_to;  // in verify
extern const char* const bitwise_equal;     // in verify
extern const char* const output_digest;
extern const char* const gradients;  // in verify     // in verify
extern const char* const time_ms;
extern const char* const rounds;
extern const char* const samples;  // in each of rounds
extern const char* const comp_samples;  // in each of rounds
extern const char* const comm_samples;  // in each of rounds
extern const char* const warmup;
extern const char* const comp_ms;
extern const char* const comp_ms_from;
extern const char* const comm_ms;
extern const char* const comm_time_ms;
extern const char* const attn_tflops;
extern const char* const attn_standalone_tflops;
extern const char* const flops_per_rank_max;
extern const char* const comm_bytes_per_rank;
extern const char* const plan_steps;
extern const char* const memory_bytes;
extern const char* const memory_bytes_min;
extern const char* const tflops_per_gpu;
extern const char* const chunks_chosen;
extern const char* const planner;
extern const char* const chunks_fit;
extern const char* const gpu_state;
extern const char* const predicted_ms;
}  // namespace record_key

// The check of one gradient over all ranks (the backward pass).
struct GradientVerify {
  std::string tensor;      // "dq", "dk" or "dv"
  double max_abs_err = 0;  // max over ranks
  double tolerance = 0;    // min over ranks
  double checked = 0;      // summed over ranks
};

// The verified run of a point (docs/METRICS.md, "Verification").
struct VerifyRecord {
  double max_abs_err = 0;  // max over ranks
  double tolerance = 0;    // min over ranks
  double checked = 0;      // elements compared, summed over ranks (a sum of doubles)
  std::string mode;        // the verify mode: "full", "sampled" or "off"
  // The schedule the output must equal bit for bit (hcms: "ulysses"); nullopt for none,
  // and then bitwise_equal is absent too.
  std::optional<std::string> bitwise_equal_to;
  // Whether every rank's output equals the reference's; nullopt (written as null) when the
  // reference cannot run the problem.
  std::optional<bool> bitwise_equal;
  std::string output_digest;  // output_digest.hpp: equal digests, bitwise-equal outputs
  // The backward pass: dq, dk, dv, each against its own tolerance (written as
  // "gradients": {"dq": {...}, ...}); empty, and absent from the JSON, for the forward.
  std::vector<GradientVerify> gradients;
};

// One round of a point (docs/METRICS.md, "Rounds"): the Stats of its timed loop's samples
// and the samples themselves (the intervals of intervals.hpp resample them), then its
// compute-only and comm-only parts, timed alone right after the loop (measure.isolate;
// absent without it, and in files written before the parts were timed every round).
struct RoundRecord {
  Stats stats;                  // summarize(samples) [ms]
  std::vector<double> samples;  // per-run max over ranks [ms], in run order
  std::optional<GpuState> gpu_state;  // the GPUs during this round's loop (none without GPUs)
  // Each part's p50 and its samples (per-run max over ranks) [ms]; an empty part is 0 with
  // no samples. A compute-only time another point of the same round timed
  // (comp_time_cache.hpp) carries that point's samples and names it in comp_ms_from.
  std::optional<double> comp_ms;
  std::vector<double> comp_samples;
  std::optional<int> comp_ms_from;
  std::optional<double> comm_ms;
  std::vector<double> comm_samples;
};

struct PointRecord {
  int index = 0;  // the point's position in the sweep
  std::string schedule;
  nlohmann::json params;  // Point::params()
  std::string runtime;    // Runtime::name()
  // The commit the binary that ran the point was built from (provenance.git), so a
  // resumed file (--resume) never mixes commits unnoticed; "<sha>-dirty" for a build of a
  // changed tree. Set by the point runner (record_commit(), bench/sweep/git_commit.hpp).
  std::string git;
  std::vector<std::string> options;  // the option names the schedule reads (option_axes)
  std::string status;                // "PASS", "FAILED" or "SKIPPED"
  std::optional<std::string> reason;  // why SKIPPED or FAILED

  // The rest is absent from SKIPPED records.
  std::optional<VerifyRecord> verify;
  std::optional<Stats> time_ms;  // summarize_rounds() of the rounds [ms]
  std::optional<std::vector<RoundRecord>> rounds;  // each round's timed loop, in round order
  std::optional<int> warmup;     // warm-up runs done
  // The compute-only and comm-only parts alone (measure.isolate): the median of the rounds'
  // p50s, as time_ms.p50 is of the loops' [ms]. comp_ms_from: the point that timed round
  // 1's compute-only part, present when this point timed none of its rounds' own.
  // comm_time_ms: summarize_rounds() of the rounds' comm samples, when the plan has comm
  // steps [ms].
  std::optional<double> comp_ms;
  std::optional<int> comp_ms_from;
  std::optional<double> comm_ms;
  std::optional<Stats> comm_time_ms;
  std::optional<double> attn_tflops;             // attention inside the plan [TFLOP/s]
  std::optional<double> attn_standalone_tflops;  // its largest step alone [TFLOP/s]
  std::optional<double> flops_per_rank_max;      // [FLOP]
  std::optional<double> comm_bytes_per_rank;     // max over ranks [bytes]
  std::optional<int> plan_steps;
  // The memory a rank's plan holds as its runtime accounts it (Executor::memory_bytes;
  // docs/METRICS.md, "Memory"): the largest over ranks and the smallest [bytes]. Absent when
  // a rank's runtime does not account it, and in files older than the fields.
  std::optional<double> memory_bytes;
  std::optional<double> memory_bytes_min;
  std::optional<double> tflops_per_gpu;  // [TFLOP/s]
  std::optional<int> chunks_chosen;      // chunks "auto": the calibrated count
  std::optional<nlohmann::json> chunks_fit;  // chunks "auto": ChunkCalibration::to_json()
  std::optional<nlohmann::json> planner;     // what planning decided (Schedule::planner), when anything
  std::optional<GpuState> gpu_state;  // the GPUs during the timed loop; absent for a runtime without GPUs
  std::optional<double> predicted_ms;  // `run --machine`: the simulator's time of the point, made before it ran [ms]
};

// nlohmann ADL conversions. from_json throws nlohmann::json::exception on a missing
// required field or a wrong type; keys other than the record's (the metrics of
// metrics.hpp) are ignored. A null where a number belongs (a NaN written by to_json)
// reads as NaN. `options`, `git` and `verify.output_digest` read as empty where a file written
// before they existed lacks them.
void to_json(nlohmann::json& j, const VerifyRecord& v);
void from_json(const nlohmann::json& j, VerifyRecord& v);
// A round: the Stats keys, "samples", "gpu_state", "comp_ms", "comp_samples" (when not
// empty), "comp_ms_from", "comm_ms", "comm_samples" (when not empty).
void to_json(nlohmann::json& j, const RoundRecord& r);
void from_json(const nlohmann::json& j, RoundRecord& r);
void to_json(nlohmann::json& j, const PointRecord& r);
void from_json(const nlohmann::json& j, PointRecord& r);

}  // namespace cpb
