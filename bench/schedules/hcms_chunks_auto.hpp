// chunks "auto" (hcms): the chunk count C of a point chosen by a short calibration.
//
// Model: T(C) = A + X / C + beta C [ms]. With C chunks, the one input exchange before the
// first attention and the one output exchange after the last (fill and drain) are 1/C of
// the exchanges and nothing overlaps them: X is that exposed communication at C = 1;
// beta is what each chunk adds (launches, smaller and less efficient kernels and
// messages); A is the rest. The runner times the point's plan at a few chunk counts
// (chunk_candidates) with short timed loops and the comm-only part of the C = 1 plan
// (T_comm), fits the model, times the even splits around the model's best count too, then
// times the two fastest counts again with the point's own loop and runs the point at the
// faster of those two (calibrate_chunks).
#pragma once

#include <mpi.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/problem.hpp"
#include "bench/runtime.hpp"
#include "bench/schedule.hpp"

namespace cpb {

struct ChunkSample {
  int chunks = 0;
  double time_ms = 0;  // p50 of the count's timed loop, each sample the max over ranks [ms]
  // p10 and p90 of the same loop [ms]: a count whose runs fall into two modes (NCCL
  // through host memory beside attention at small C) shows here, not in time_ms.
  double p10_ms = 0, p90_ms = 0;
};

struct ChunkFit {
  double A_ms = 0, X_ms = 0, beta_ms = 0;
  double at(int chunks) const { return A_ms + X_ms / chunks + beta_ms * chunks; }  // T(C) [ms]
};

// Least squares of T(C) over `samples` (distinct chunk counts, at least one). With three
// or more counts, A, X and beta are all fitted. With fewer the system is underdetermined,
// so X is fixed to `t_comm_ms`, the comm-only time of the C = 1 plan (at C = 1 every
// exchange is exposed), and A and beta are fitted (two counts) or beta = 0 (one count).
ChunkFit fit_chunk_model(const std::vector<ChunkSample>& samples, double t_comm_ms);

// The C in [1, max_chunks] the fit predicts fastest: with X > 0 and beta > 0, sqrt(X / beta)
// rounded to whichever of its floor and ceiling (each clamped to the range) the model
// finds faster, the smaller on a tie; with beta <= 0 < X, max_chunks; with X <= 0 < beta,
// 1; with both <= 0 the model is concave in C, so the faster of 1 and max_chunks.
int best_chunks(const ChunkFit& fit, int max_chunks);

// The counts the calibration times: 1, 2, 4 and max_chunks, those <= max_chunks,
// ascending and distinct (max_chunks >= 1).
std::vector<int> chunk_candidates(int max_chunks);

// The largest C every rank can split its heads into: the fewest query heads a rank holds
// (floor(H / P), the ranks holding even_split(H, P)).
int max_auto_chunks(const Problem& p);

// The point's measure settings for one calibration loop: at most 1 warm-up run, the
// point's timed runs but never fewer than 5 (or all of them when it has fewer), and a
// third of its time budget (max_seconds). The differences the fit must separate are a
// percent or two of the step, about the run-to-run spread, so a loop needs its 5+ runs:
// the first round (up to seven loops: comm-only, four candidates, two neighbours) takes
// about 7 times max(max_seconds / 3, 5 runs), or 7 times the point's timed loop when that
// is shorter, plus their warm-ups; the final round runs two of the point's own loops.
MeasureSettings calibration_settings(const MeasureSettings& point);

// The divisors of `heads` (the chunk counts that split a rank's heads evenly) nearest to
// `c` from below and from above; one value when `c` divides `heads`. 1 <= c <= heads.
std::vector<int> even_split_neighbours(int c, int heads);

struct ChunkCalibration {
  std::vector<ChunkSample> samples;  // the candidates that ran, ascending
  double t_comm_ms = 0;              // comm-only time of the C = 1 plan [ms]; 0 with P = 1
  ChunkFit fit;
  int model_chunks = 1;  // best_chunks() of the fit
  // The two counts of `samples` with the lowest time_ms, timed again with the point's own
  // measure settings, the faster first; empty when fewer than two counts ran.
  std::vector<ChunkSample> final_round;
  int chosen = 1;  // the faster count of final_round, else the one count that ran
  // The record's "chunks_fit": {"A_ms", "X_ms", "beta_ms", "t_comm_ms", "model_chunks",
  // "candidates": [{"chunks", "time_ms", "p10_ms", "p90_ms"}, ...], "final_round": [...]
  // (same fields)}.
  nlohmann::json to_json() const;
};

// Collective over `comm`; every rank passes the same `p` (with chunks_auto) and gets the
// same result, since every time is a maximum over ranks. Times the plan of `schedule` at
// each chunk_candidates(max_auto_chunks(p)) that the schedule supports and that
// runtime.unsupported_plan() accepts on every rank, and the comm-only part of the C = 1
// plan, each with calibration_settings(settings); then fits, takes the model's count
// best_chunks(fit, the largest count that ran), times its even_split_neighbours() as
// well. Final round: the two fastest counts of that first round are timed again, each with
// `settings` itself (the point's warm-up and timed runs), and the faster is chosen; a tie
// keeps the first round's leader. A count whose runs fall into two modes (NCCL through host
// memory beside attention at small C: fast in a few runs, often the first of a loop, slow
// in most) can lead a short loop and still lose the point's long one; the final round
// sees what the point will see. When C = 1 cannot run, nothing is timed and the choice is
// 1 (the point's own checks then skip it).
ChunkCalibration calibrate_chunks(Runtime& runtime, const Schedule& schedule, const Problem& p,
                                  const RunOptions& opt, const MeasureSettings& settings, MPI_Comm comm, int rank);

// The runner's hook, called for every point before it plans. Collective over `comm` when
// p.chunks_auto: calibrate_chunks() as above, sets p.chunks to its choice and returns the
// calibration. Otherwise nullopt, p unchanged and no collective.
std::optional<ChunkCalibration> resolve_auto_chunks(Runtime& runtime, const Schedule& schedule, Problem& p,
                                                    const RunOptions& opt, const MeasureSettings& settings,
                                                    MPI_Comm comm, int rank);

}  // namespace cpb
