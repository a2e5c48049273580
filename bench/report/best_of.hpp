// "Best of N variants" without the selection bias of picking the fastest of N noisy
// measurements and reporting that same measurement (docs/METRICS.md, "Best of N"): among
// candidate records, the one with the highest speedup vs Ulysses is chosen on the odd
// rounds (1, 3, ...) and its speedup reported on the even rounds (2, 4, ...), with a 95%
// interval from those rounds alone (R >= 4: two rounds or more on each side); else the
// choice and the figure come from the same rounds and say so.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/report/intervals.hpp"

namespace cpb {

struct BestOf {
  const nlohmann::json* chosen = nullptr;  // one of the candidates
  int variants = 0;                        // N: the candidates with a Ulysses reference
  // Chosen on the odd rounds and `speedup`, `ci` from the even ones; false: both from all
  // rounds (then `ci` is the record's speedup_ci.vs_ulysses, when it has one).
  bool held_out = false;
  double speedup = 0;  // vs Ulysses
  std::optional<Interval> ci;
};

// The best of `candidates` (timed PASS records among `all`) by speedup vs Ulysses, their
// reference found in `all` (metrics.hpp speedup_reference). held_out when every candidate
// and its reference have the same round count R >= 4. nullopt when fewer than two
// candidates have a reference.
std::optional<BestOf> best_of(const std::vector<const nlohmann::json*>& candidates,
                              const std::vector<nlohmann::json>& all);

}  // namespace cpb
