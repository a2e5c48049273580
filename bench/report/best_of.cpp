#include "bench/report/best_of.hpp"

#include <utility>

#include "bench/report/metrics.hpp"
#include "bench/report/record_fields.hpp"

namespace cpb {
namespace {

struct Candidate {
  const nlohmann::json* record;
  RoundSamples own, ref;  // the record's rounds and its Ulysses reference's
  double speedup;         // speedup.vs_ulysses over all rounds
};

// Rounds 1, 3, ... (`parity` 0) or 2, 4, ... (parity 1), counted from 1.
RoundSamples every_other(const RoundSamples& rounds, size_t parity) {
  RoundSamples kept;
  for (size_t i = parity; i < rounds.size(); i += 2) kept.push_back(rounds[i]);
  return kept;
}

double subset_speedup(const Candidate& c, size_t parity) {
  const double t = median_of_rounds(every_other(c.own, parity));
  return t > 0 ? median_of_rounds(every_other(c.ref, parity)) / t : 0;
}

}  // namespace

std::optional<BestOf> best_of(const std::vector<const nlohmann::json*>& candidates,
                              const std::vector<nlohmann::json>& all) {
  std::vector<Candidate> cs;
  bool split = true;
  for (const nlohmann::json* r : candidates) {
    const nlohmann::json* u = speedup_reference(all, *r, "ulysses");
    const auto s = number_field(*r, {"speedup", "vs_ulysses"});
    if (!u || !s) continue;
    Candidate c{r, round_samples(*r), round_samples(*u), *s};
    // Held out only with two rounds or more on each side: one round's interval would rest
    // on the iterations of one loop, which understates the between-round spread.
    split = split && c.own.size() >= 4 && c.own.size() == c.ref.size();
    cs.push_back(std::move(c));
  }
  if (cs.size() < 2) return std::nullopt;
  BestOf b;
  b.variants = static_cast<int>(cs.size());
  b.held_out = split;
  const Candidate* best = &cs.front();
  for (const Candidate& c : cs)
    if ((split ? subset_speedup(c, 0) : c.speedup) > (split ? subset_speedup(*best, 0) : best->speedup)) best = &c;
  b.chosen = best->record;
  if (split) {
    b.speedup = subset_speedup(*best, 1);
    b.ci = ratio_interval(every_other(best->ref, 1), every_other(best->own, 1));
  } else {
    b.speedup = best->speedup;
    b.ci = read_interval(find_field(*best->record, {"speedup_ci", "vs_ulysses"}));
  }
  return b;
}

}  // namespace cpb
