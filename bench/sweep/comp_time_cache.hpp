// The compute-only times the current comparison group has measured, kept by round and by
// what determines them. The compute-only part of a plan (its steps but the exchanges) does
// not depend on the transport or the interconnect profile, so a sweep over transports would
// time the same kernels once per transport. Within one round of one comparison group, a
// point whose compute-only plan, problem and compute options match those of a point timed
// earlier in that round reuses that time; its round names the point it came from
// (`comp_ms_from`, docs/METRICS.md). Each round times the part again, next to that round's
// loops. The sweep clears the cache when a group starts (its rounds count from 1 again), so
// a time is never taken from another group, timed in another stretch of the sweep.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/runtime.hpp"

namespace cpb {

class CompTimeCache {
 public:
  struct Entry {
    double ms = 0;                // the p50 time of the compute-only part [ms]
    std::vector<double> samples;  // its loop's samples (per-run max over ranks) [ms]
    int point = -1;               // index of the point that timed it
  };

  // Everything the compute-only time depends on: the plan (steps, lanes, buffers), the
  // problem's shape, mask and dtype, and the options that change the compute kernels or
  // how a run is timed (graph, align_start, attn_sms). Not the transport or the profile.
  static std::string key(const Problem& p, const Plan& comp, const RunOptions& opt);

  // `round` counts from 1, as the sweep's rounds do.
  const Entry* find(int round, const std::string& key) const;  // null when not measured in that round yet
  void put(int round, const std::string& key, Entry e) { entries_[{round, key}] = std::move(e); }
  void clear() { entries_.clear(); }  // a comparison group starts

 private:
  std::map<std::pair<int, std::string>, Entry> entries_;
};

}  // namespace cpb
