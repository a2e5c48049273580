#include "bench/sweep/round_summary.hpp"

#include <optional>
#include <utility>
#include <vector>

#include "bench/report/stats.hpp"

namespace cpb {
namespace {

// The GPUs over every round's loop: the rounds' states combined at once, as ranks' are
// (median of the rounds' medians, union of reasons), over the same ranks. None when no
// round has one.
std::optional<GpuState> rounds_gpu_state(const std::vector<RoundRecord>& rounds) {
  std::vector<GpuState> states;
  for (const RoundRecord& r : rounds)
    if (r.gpu_state) states.push_back(*r.gpu_state);
  if (states.empty()) return std::nullopt;
  GpuState all = combine_gpu_states(states);
  all.ranks = states.front().ranks;
  return all;
}

// The median of the values `part` gives of the rounds that have one; none when none does.
std::optional<double> median_over_rounds(const std::vector<RoundRecord>& rounds,
                                         std::optional<double> RoundRecord::*part) {
  std::vector<double> values;
  for (const RoundRecord& r : rounds)
    if (r.*part) values.push_back(*(r.*part));
  if (values.empty()) return std::nullopt;
  return summarize(values).p50;
}

// The parts' figures of the record from its rounds (add_round).
void summarize_parts(PointRecord& r) {
  const std::vector<RoundRecord>& rounds = *r.rounds;
  r.comp_ms = median_over_rounds(rounds, &RoundRecord::comp_ms);
  r.comm_ms = median_over_rounds(rounds, &RoundRecord::comm_ms);
  r.comp_ms_from.reset();
  const RoundRecord* first = nullptr;  // the first round with a compute-only part
  bool timed_own = false;
  for (const RoundRecord& round : rounds) {
    if (!round.comp_ms) continue;
    if (!first) first = &round;
    timed_own = timed_own || !round.comp_ms_from;
  }
  if (first && !timed_own) r.comp_ms_from = first->comp_ms_from;
  std::vector<std::vector<double>> comm;
  for (const RoundRecord& round : rounds)
    if (!round.comm_samples.empty()) comm.push_back(round.comm_samples);
  r.comm_time_ms.reset();
  if (!comm.empty()) r.comm_time_ms = summarize_rounds(comm);
}

}  // namespace

void add_round(PointRecord& r, RoundRecord round) {
  if (!r.rounds) r.rounds.emplace();
  r.rounds->push_back(std::move(round));
  r.gpu_state = rounds_gpu_state(*r.rounds);
  const double before = r.time_ms ? r.time_ms->p50 : 0;
  std::vector<std::vector<double>> samples;
  for (const RoundRecord& k : *r.rounds) samples.push_back(k.samples);
  r.time_ms = summarize_rounds(samples);
  // FLOPs per GPU over the time: the same FLOPs over the new time.
  if (r.tflops_per_gpu && before > 0 && r.time_ms->p50 > 0) *r.tflops_per_gpu *= before / r.time_ms->p50;
  summarize_parts(r);
}

}  // namespace cpb
