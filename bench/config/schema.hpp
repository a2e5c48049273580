// The axes of a sweep config: their names, value kinds, allowed names and defaults, in
// expansion order, and the checks that config files, "-a" overrides and skip rules share.
// Schedule options (bench/schedule.hpp) and mask parameters (bench/mask_params.hpp) are
// axes read only by the schedules, or masks, that declare them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/mask_params.hpp"
#include "bench/runtime.hpp"
#include "bench/schedule.hpp"

namespace cpb::cfg {

enum class AxisKind {
  Size,        // an integer >= 1
  SizeOrAuto,  // an integer >= 1 or "auto" (chunks)
  Count,       // an integer >= 0 (a lever's 0: the library's own choice)
  Name,        // a string from AxisSpec::allowed()
  IntList,     // a non-empty array of integers >= 1 (chunk_heads, mask_doc_tokens)
  Table,       // a non-empty array of non-empty rows of integers 0 to AxisSpec::max (mask_table)
};

struct AxisSpec {
  std::string name;  // as written in "axes", e.g. usp_u
  AxisKind kind = AxisKind::Size;
  std::string noun;                                 // reads after "is not", e.g. "a mask"
  std::vector<std::string> (*allowed)() = nullptr;  // Name axes but options: the accepted names
  int64_t max = 0;                                  // Size, Count, IntList: largest value; Table: largest cell
  const OptionSpec* option = nullptr;               // a schedule option, else nullptr
  const LeverSpec* lever = nullptr;                 // an overlap lever, else nullptr
  const MaskParamSpec* mask_param = nullptr;        // a mask parameter, else nullptr
  bool required = false;
  bool required_when_read = false;  // required when a swept schedule (mask) reads it (usp_u, mask_table)
  // Value when the axis is absent; null = none (Hkv: equal to H; usp_u: the schedule's
  // default; chunk_heads: split by chunks; mask parameters: the mask's defaults).
  nlohmann::json default_value;
};

// All axes, outermost first: the order in which expand() nests them.
const std::vector<AxisSpec>& axis_specs();
const AxisSpec* find_axis(const std::string& name);
std::vector<std::string> axis_names();
// "P", the world size: not an axis, but skip rules and filters may test it like one.
const AxisSpec& world_size_spec();

// Whether the schedule named `schedule` reads the option axis `a` (false for problem axes).
bool schedule_reads(const std::string& schedule, const AxisSpec& a);
// Whether the mask named `mask` reads the mask parameter axis `a` (false for other axes).
bool mask_reads(const std::string& mask, const AxisSpec& a);
// Whether axis `a` is read only by some schedules or masks (an option or a mask parameter),
// and so folds at points whose schedule or mask does not read it.
bool folds(const AxisSpec& a);
// Whether `a` is read by the point `pick` (axis name -> value; schedule and mask picked).
bool point_reads(const nlohmann::json& pick, const AxisSpec& a);

// The accepted names of a Name axis (from the option registry for option axes).
std::vector<std::string> allowed_names(const AxisSpec& a);

// The integers from lo to hi as the errors' "allowed" part: "integers >= lo" when hi is
// the type's maximum, else "integers from lo to hi". range_with_max always states hi (for
// a value over it).
std::string range_text(int64_t lo, int64_t hi);
std::string range_with_max(int64_t lo, int64_t hi);

// An integer in [lo, hi]: a JSON number with an integral value (256, 256.0 and 2.56e2 are
// all 256; docs/CONFIG.md, "Numbers"). int_error returns "" for one, else
// "<value> <problem>; allowed: <range>"; check_int returns it, or throws
// UsageError("<where>: " + int_error(...)).
std::string int_error(const nlohmann::json& v, int64_t lo, int64_t hi);
int64_t check_int(const nlohmann::json& v, int64_t lo, int64_t hi, const std::string& where);

// One value of axis `a`, checked; returns it normalized (integers as JSON integers).
nlohmann::json check_axis_value(const AxisSpec& a, const nlohmann::json& v, const std::string& where);

// An axis entry, one value or a non-empty array of values (for chunk_heads and
// mask_doc_tokens: one array of integers, or an array of such arrays; for mask_table: one
// table, an array of rows, or an array of tables), checked; returns the array of values.
nlohmann::json check_axis_values(const AxisSpec& a, const nlohmann::json& v, const std::string& where);

}  // namespace cpb::cfg
