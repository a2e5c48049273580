// The schedule plug-in interface and the registry of schedules.
//
// A schedule is one file in bench/schedules/ that defines a Schedule subclass and
// registers it with CPB_REGISTER_SCHEDULE. Runtimes execute the Plan a schedule emits,
// whatever the schedule. The one schedule-specific call outside bench/schedules/ is the
// point runner's resolve_auto_chunks (HCMS's `chunks: auto`, bench/schedules/
// hcms_chunks_auto.hpp), which times candidate plans and so needs a runtime.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

// Schedule options: the Problem fields a schedule may read beyond the shape. Each is
// defined once, in option_specs(); the config schema, sweep expansion, record params,
// `cpbench list` and the metrics read it from there.
enum class Option {
  Chunks, ChunkHeads, ChunkShape, UspU, CommOrder, CommLanes, QkvLayout,  // hcms, usp, ulysses
  TileBlocks, TileBalance, TileSolver, TileU, TileNode, TileFuse          // tiled
};

enum class OptionKind {
  Size,        // an integer from 1 to OptionSpec::max
  SizeOrAuto,  // the same, or "auto" (hcms chunks: calibrated per point)
  HeadList,    // a non-empty array of integers >= 1
  Name,        // one of OptionSpec::allowed, the enum's values in order
};

struct OptionSpec {
  Option option;
  const char* name;  // config axis, record param and option_axes() name
  OptionKind kind;
  std::vector<std::string> allowed;  // Name: the value names, in enum order
  int64_t max;                       // Size, SizeOrAuto: largest value (fits the Problem field)
  // Config value when the axis is absent; null = none (usp_u: required when read;
  // chunk_heads: split by chunks).
  nlohmann::json default_value;
  // Left out of a record's params at its default, so records of sweeps older than the
  // option keep their params.
  bool omit_default;
  // Changes how the bytes move, not which: a row that sets it is not a metrics reference row.
  bool how;
  // For an option that sizes the split of the work (chunk count, head split, USP degree):
  // the tag reports write before its value ("C" for C=4); nullptr for the other options,
  // which reports show as name=value.
  const char* split_tag;
  const char* help;
  // The params value of the option in `p`; null = absent (chunk_heads when not given).
  nlohmann::json (*get)(const Problem& p);
  // Sets the option in `p` from a checked config value (null: absent).
  void (*set)(Problem* p, const nlohmann::json& v);
};

// All options, in Option order.
const std::vector<OptionSpec>& option_specs();
const OptionSpec& option_spec(Option o);
const OptionSpec* find_option(const std::string& name);  // nullptr when unknown

const std::string& to_string(ChunkShape v);
const std::string& to_string(CommOrder v);
const std::string& to_string(QkvLayout v);
const std::string& to_string(TileSolver v);
const std::string& to_string(TileFuse v);

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
  // Problem options this schedule reads. Sweep expansion folds the other option axes so
  // they do not multiply this schedule's points.
  virtual std::vector<Option> options() const { return {}; }
  std::vector<std::string> option_axes() const;  // the names of options()
  bool reads(Option o) const;
  // Why this schedule cannot run `p` (e.g. "S=100 is not divisible by 2P=8").
  virtual Reason unsupported(const Problem& p) const = 0;
  // Preconditions for model() and plan(): unsupported(p) is nullopt, 0 <= rank < p.P.
  virtual Model model(const Problem& p, int rank) const = 0;
  virtual Plan plan(const Problem& p, int rank) const = 0;
  // A schedule whose outputs (O, and the gradients in the backward pass) must be bitwise
  // equal to this one's for `p` and the same attention kernel (hcms: "ulysses"), checked
  // by the runner; "" for none.
  virtual std::string bitwise_reference(const Problem&) const { return ""; }
  // A short tag of the options that tell this schedule's points of one shape apart, for
  // file names such as traces (hcms: "C4" for 4 chunks); "" for none.
  virtual std::string label(const Problem&) const { return ""; }
  // What planning `p` decided that a reader of the record needs (tiled: the assignment's
  // solver, objective, bound, gap, time and load), the record's "planner"; null for none.
  // Precondition: unsupported(p) is nullopt.
  virtual nlohmann::json planner(const Problem&) const { return nullptr; }
};

// Registry of schedules by name (ulysses, hcms, ring, zigzag_ring, usp, tiled).
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
