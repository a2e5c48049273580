// The schedule plug-in interface and the registry of schedules.
//
// A schedule is one file in bench/schedules/ that defines a Schedule subclass and
// registers it with CPB_REGISTER_SCHEDULE. No schedule-specific code lives elsewhere:
// runtimes execute the Plan a schedule emits, whatever the schedule.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

// What one rank moves and computes for one point, from the schedule's own arithmetic
// (not from its plan: the plan tests check that the two agree).
struct Model {
  double send_bytes = 0;  // [bytes] sent to other ranks
  double recv_bytes = 0;  // [bytes] received from other ranks
  double flops = 0;       // attention FLOPs of this rank (4 * D * Hq * allowed q-k pairs * B)
};

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  // Problem options this schedule reads ("chunks", "ulysses_degree", ...). Sweep
  // expansion folds the other option axes so they do not multiply this schedule's points.
  virtual std::vector<std::string> option_axes() const { return {}; }
  // Why this schedule cannot run `p` (e.g. "S=100 is not divisible by 2P=8"), or nullopt.
  virtual std::optional<std::string> unsupported(const Problem& p) const = 0;
  // Preconditions for model() and plan(): unsupported(p) is nullopt, 0 <= rank < p.P.
  virtual Model model(const Problem& p, int rank) const = 0;
  virtual Plan plan(const Problem& p, int rank) const = 0;
  // A schedule whose output must be bitwise equal to this one's for the same problem and
  // attention kernel (hcms: "ulysses"), checked by the runner; "" for none.
  virtual std::string bitwise_reference() const { return ""; }
  // A short tag of the options that tell this schedule's points of one shape apart, for
  // file names such as traces (hcms: "C4" for 4 chunks); "" for none.
  virtual std::string label(const Problem&) const { return ""; }
};

// Registry. Names are those of DESIGN.md: ulysses, hcms, ring, zigzag_ring, usp, tiled.
void register_schedule(std::unique_ptr<Schedule> s);
// nullptr when unknown.
const Schedule* find_schedule(const std::string& name);
std::vector<const Schedule*> all_schedules();  // sorted by name
std::vector<std::string> schedule_names();

namespace detail {
struct ScheduleRegistrar {
  explicit ScheduleRegistrar(std::unique_ptr<Schedule> s) { register_schedule(std::move(s)); }
};
}  // namespace detail

}  // namespace cpb

// Use once at namespace scope in the schedule's .cpp file. The library is linked whole
// (see CMakeLists.txt) so the registrar objects are kept.
#define CPB_REGISTER_SCHEDULE(Type) \
  static const ::cpb::detail::ScheduleRegistrar cpb_registrar_##Type(std::make_unique<Type>())
