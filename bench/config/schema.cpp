#include "bench/config/schema.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "base/usage_error.hpp"
#include "bench/config/diagnostics.hpp"
#include "bench/schedule.hpp"

namespace cpb::cfg {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// "auto": the runtime's default transport, resolved when the point runs.
std::vector<std::string> transports() {
  std::vector<std::string> out = {"auto"};
  for (const std::string& t : transport_names()) out.push_back(t);
  return out;
}

AxisSpec size_axis(std::string name, int64_t max, bool required, nlohmann::json dflt) {
  AxisSpec a;
  a.name = std::move(name);
  a.kind = AxisKind::Size;
  a.max = max;
  a.required = required;
  a.default_value = std::move(dflt);
  return a;
}

AxisSpec name_axis(std::string name, std::string noun, std::vector<std::string> (*allowed)(), bool required,
                   nlohmann::json dflt) {
  AxisSpec a;
  a.name = std::move(name);
  a.kind = AxisKind::Name;
  a.noun = std::move(noun);
  a.allowed = allowed;
  a.required = required;
  a.default_value = std::move(dflt);
  return a;
}

// The axis of overlap lever `l`: one of its names, or a count (default 0).
AxisSpec lever_axis(const LeverSpec& l) {
  AxisSpec a;
  a.name = l.name;
  a.lever = &l;
  a.default_value = l.default_value();
  if (l.allowed.empty()) {
    a.kind = AxisKind::Count;
    a.max = l.max;
  } else {
    a.kind = AxisKind::Name;
    a.noun = std::string("a ") + l.name;
  }
  return a;
}

// The axis of schedule option `o`. An option of integers with no default must be given
// wherever a swept schedule reads it (usp_u).
AxisSpec option_axis(const OptionSpec& o) {
  AxisSpec a;
  a.name = o.name;
  a.option = &o;
  a.max = o.max;
  a.default_value = o.default_value;
  switch (o.kind) {
    case OptionKind::Size:
      a.kind = AxisKind::Size;
      a.required_when_read = o.default_value.is_null();
      break;
    case OptionKind::SizeOrAuto: a.kind = AxisKind::SizeOrAuto; break;
    case OptionKind::HeadList:
      a.kind = AxisKind::IntList;
      a.noun = "a list of head counts";
      break;
    case OptionKind::Name:
      a.kind = AxisKind::Name;
      a.noun = std::string("a ") + o.name;
      break;
  }
  return a;
}

// The axis of mask parameter `m`, read only by the masks that declare it; absent, each mask
// takes its own default (so no default value here).
AxisSpec mask_param_axis(const MaskParamSpec& m) {
  AxisSpec a;
  a.name = m.name;
  a.mask_param = &m;
  a.max = m.max;
  a.required_when_read = m.required_when_read;
  switch (m.kind) {
    case MaskParamKind::Size: a.kind = AxisKind::Size; break;
    case MaskParamKind::Count: a.kind = AxisKind::Count; break;
    case MaskParamKind::TokenList:
      a.kind = AxisKind::IntList;
      a.noun = "a list of document lengths";
      break;
    case MaskParamKind::Table:
      a.kind = AxisKind::Table;
      a.noun = "a table";
      break;
  }
  return a;
}

std::vector<AxisSpec> make_specs() {
  // Problem axes outermost, so the points of one problem are neighbours; the schedule
  // and its options innermost, so every problem's schedules run one after another.
  std::vector<AxisSpec> v;
  v.push_back(size_axis("S", kInt64Max, true, nullptr));
  v.push_back(size_axis("H", kIntMax, true, nullptr));
  v.push_back(size_axis("Hkv", kIntMax, false, nullptr));
  v.push_back(size_axis("D", kIntMax, true, nullptr));
  v.push_back(size_axis("B", kIntMax, false, 1));
  v.push_back(name_axis("mask", "a mask", mask_names, false, to_string(Mask::Full)));
  for (const MaskParamSpec& m : mask_param_specs()) v.push_back(mask_param_axis(m));
  v.push_back(name_axis("dtype", "a dtype", dtype_names, false, to_string(DType::BF16)));
  // The pass is part of the problem: a point's fwd and bwd rows are separate comparison groups.
  v.push_back(name_axis("pass", "a pass", pass_names, false, to_string(Pass::Fwd)));
  v.push_back(name_axis("profile", "a profile", profile_names, false, profile_names().front()));
  v.push_back(name_axis("transport", "a transport", transports, false, "auto"));
  // Overlap levers (bench/levers.hpp): every schedule has them; nccl_ctas folds to 0
  // under a transport other than nccl.
  for (const LeverSpec& l : lever_specs()) v.push_back(lever_axis(l));
  v.push_back(name_axis("schedule", "a schedule", schedule_names, true, nullptr));
  for (const OptionSpec& o : option_specs()) v.push_back(option_axis(o));
  return v;
}

// A SizeOrAuto value: a Size value, or "auto" (hcms calibrates C per point: bench/schedules/hcms_chunks_auto.hpp).
nlohmann::json check_chunks(const AxisSpec& a, const nlohmann::json& v, const std::string& where) {
  if (v == "auto") return v;
  if (!v.is_number())
    fail(where, show(v) + " is neither an integer nor \"auto\"", range_text(1, a.max) + " or \"auto\"");
  return check_int(v, 1, a.max, where);
}

// An IntList value: a non-empty array of integers from 1 to a.max.
nlohmann::json check_int_list(const AxisSpec& a, const nlohmann::json& v, const std::string& where) {
  const std::string what = "a non-empty array of integers >= 1, e.g. [4, 3, 3]";
  if (!v.is_array()) fail(where, show(v) + " is not " + a.noun, what);
  if (v.empty()) fail(where, show(v) + " is empty", what);
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < v.size(); ++i) out.push_back(check_int(v[i], 1, a.max, where + "[" + std::to_string(i) + "]"));
  return out;
}

// A Table value: rows of cells from 0 to a.max. Whether it is square and every row sees a
// key depends on the mask, which expansion checks (mask_error).
nlohmann::json check_table(const AxisSpec& a, const nlohmann::json& v, const std::string& where) {
  const std::string cells = "0 (empty), 1 (full), 2 (causal)";
  const std::string what = "a square array of rows of cells " + cells + ", e.g. [[1, 0], [1, 2]]";
  if (!v.is_array()) fail(where, show(v) + " is not " + a.noun, what);
  if (v.empty()) fail(where, show(v) + " is empty", what);
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!v[i].is_array()) fail(at, show(v[i]) + " is not a row", "an array of cells " + cells);
    if (v[i].empty()) fail(at, "[] is empty", "a row of cells " + cells);
    nlohmann::json row = nlohmann::json::array();
    for (size_t j = 0; j < v[i].size(); ++j) {
      const std::string cell_at = at + "[" + std::to_string(j) + "]";
      if (!int_error(v[i][j], 0, a.max).empty()) fail(cell_at, show(v[i][j]) + " is not a cell", cells);
      row.push_back(check_int(v[i][j], 0, a.max, cell_at));
    }
    out.push_back(std::move(row));
  }
  return out;
}

// Whether `v` is one value of `a` rather than an array of values: a scalar, an array of
// numbers for an IntList axis, an array of rows for a Table axis.
bool one_value(const AxisSpec& a, const nlohmann::json& v) {
  if (!v.is_array()) return true;
  if (v.empty()) return false;
  const nlohmann::json& first = v.front();
  if (a.kind == AxisKind::IntList) return !first.is_array();
  if (a.kind == AxisKind::Table) return !(first.is_array() && !first.empty() && first.front().is_array());
  return false;
}

}  // namespace

std::string range_text(int64_t lo, int64_t hi) {
  if (hi == kIntMax || hi == kInt64Max) return "integers >= " + std::to_string(lo);
  return "integers from " + std::to_string(lo) + " to " + std::to_string(hi);
}

// For a value over the maximum: the range with its maximum, even when that is INT_MAX.
std::string range_with_max(int64_t lo, int64_t hi) {
  return "integers from " + std::to_string(lo) + " to " + std::to_string(hi);
}

const std::vector<AxisSpec>& axis_specs() {
  static const std::vector<AxisSpec> specs = make_specs();
  return specs;
}

const AxisSpec* find_axis(const std::string& name) {
  for (const AxisSpec& a : axis_specs())
    if (a.name == name) return &a;
  return nullptr;
}

std::vector<std::string> axis_names() {
  std::vector<std::string> out;
  for (const AxisSpec& a : axis_specs()) out.push_back(a.name);
  return out;
}

const AxisSpec& world_size_spec() {
  static const AxisSpec p = size_axis("P", kIntMax, false, nullptr);
  return p;
}

bool schedule_reads(const std::string& schedule, const AxisSpec& a) {
  const Schedule* s = a.option ? find_schedule(schedule) : nullptr;
  return s && s->reads(a.option->option);
}

bool mask_reads(const std::string& mask, const AxisSpec& a) {
  Mask m = Mask::Full;
  return a.mask_param && parse_mask(mask, &m) && cpb::mask_reads(m, *a.mask_param);
}

bool folds(const AxisSpec& a) { return a.option || a.mask_param; }

bool point_reads(const nlohmann::json& pick, const AxisSpec& a) {
  if (a.option) return schedule_reads(pick["schedule"].get<std::string>(), a);
  if (a.mask_param) return mask_reads(pick["mask"].get<std::string>(), a);
  return true;
}

std::vector<std::string> allowed_names(const AxisSpec& a) {
  if (a.option) return a.option->allowed;
  if (a.lever) return a.lever->allowed;
  return a.allowed ? a.allowed() : std::vector<std::string>{};
}

std::string int_error(const nlohmann::json& v, int64_t lo, int64_t hi) {
  int64_t x = 0;
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(kInt64Max))
      return show(v) + " is too large; allowed: " + range_with_max(lo, hi);
    x = static_cast<int64_t>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    x = v.get<int64_t>();
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d))
      return show(v) + " is not an integer; allowed: " + range_text(lo, hi);
    constexpr double kTwo63 = 9223372036854775808.0;  // the doubles from here on are beyond int64
    if (d >= kTwo63) return show(v) + " is too large; allowed: " + range_with_max(lo, hi);
    x = d < -kTwo63 ? std::numeric_limits<int64_t>::min() : static_cast<int64_t>(d);
  } else {
    return show(v) + " is not an integer; allowed: " + range_text(lo, hi);
  }
  if (x < lo) {
    const char* problem = lo == 1 ? " is not positive" : lo == 0 ? " is negative" : " is too small";
    return show(v) + problem + "; allowed: " + range_text(lo, hi);
  }
  if (x > hi) return show(v) + " is too large; allowed: " + range_with_max(lo, hi);
  return "";
}

int64_t check_int(const nlohmann::json& v, int64_t lo, int64_t hi, const std::string& where) {
  const std::string error = int_error(v, lo, hi);
  if (!error.empty()) throw UsageError(where + ": " + error);
  return v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>();
}

nlohmann::json check_axis_value(const AxisSpec& a, const nlohmann::json& v, const std::string& where) {
  switch (a.kind) {
    case AxisKind::Size: return check_int(v, 1, a.max, where);
    case AxisKind::SizeOrAuto: return check_chunks(a, v, where);
    case AxisKind::Count: return check_int(v, 0, a.max, where);
    case AxisKind::Name: {
      const std::vector<std::string> allowed = allowed_names(a);
      if (!v.is_string() || std::find(allowed.begin(), allowed.end(), v.get<std::string>()) == allowed.end())
        fail_name(where, v, a.noun, allowed);
      return v;
    }
    case AxisKind::IntList: return check_int_list(a, v, where);
    case AxisKind::Table: return check_table(a, v, where);
  }
  return v;
}

nlohmann::json check_axis_values(const AxisSpec& a, const nlohmann::json& v, const std::string& where) {
  if (one_value(a, v)) return nlohmann::json::array({check_axis_value(a, v, where)});
  if (v.empty()) fail(where, "[] is empty", "one value or a non-empty array of values");
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < v.size(); ++i)
    out.push_back(check_axis_value(a, v[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace cpb::cfg
