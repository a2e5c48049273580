// expand: a loaded sweep config into numbered points (docs/CONFIG.md, "Expansion").
#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "bench/config/config.hpp"
#include "bench/config/diagnostics.hpp"
#include "bench/config/schema.hpp"
#include "bench/config/skip.hpp"
#include "bench/config/point_filter.hpp"
#include "bench/mask/mask_regions.hpp"
#include "bench/mask_params.hpp"
#include "bench/schedule.hpp"

namespace cpb {
namespace {

using nlohmann::json;

// The values expand() walks for axis `a`: the config's, else its default, else [null]
// (absent with no default: Hkv = H, usp_u = the schedule's default, no chunk_heads).
json axis_values(const SweepConfig& c, const cfg::AxisSpec& a) {
  if (c.axes.contains(a.name)) return c.axes[a.name];
  return json::array({a.default_value});
}

// Calls `emit` with every combination (axis name -> value), outermost axis first in
// axis_specs() order. An option axis the picked schedule does not read, or a mask
// parameter axis the picked mask does not read, takes its default instead of its values
// (folding).
void walk(size_t i, const std::vector<json>& values, json* pick,
          const std::function<void(const json&)>& emit) {
  const std::vector<cfg::AxisSpec>& specs = cfg::axis_specs();
  if (i == specs.size()) {
    emit(*pick);
    return;
  }
  const cfg::AxisSpec& a = specs[i];
  if (cfg::folds(a) && !cfg::point_reads(*pick, a)) {
    (*pick)[a.name] = a.default_value;
    walk(i + 1, values, pick, emit);
    return;
  }
  for (const json& v : values[i]) {
    (*pick)[a.name] = v;
    walk(i + 1, values, pick, emit);
  }
}

// "1,000,000"
std::string with_commas(double n) {
  std::string digits = std::to_string(static_cast<long long>(n));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return digits;
}

size_t axis_index(const char* name) {
  return static_cast<size_t>(std::distance(cfg::axis_specs().data(), cfg::find_axis(name)));
}

// Over the values of axis `r` (schedule or mask), the sum of the products of the lengths
// of the axes each value reads among those that fold by `r` (options, mask parameters).
double readers_sum(size_t r, const std::vector<json>& values) {
  const std::vector<cfg::AxisSpec>& specs = cfg::axis_specs();
  const bool by_schedule = specs[r].name == "schedule";
  double sum = 0;
  for (const json& v : values[r]) {
    const json pick = {{specs[r].name, v}};
    double n = 1;
    for (size_t i = 0; i < specs.size(); ++i) {
      const bool mine = by_schedule ? specs[i].option != nullptr : specs[i].mask_param != nullptr;
      if (mine && cfg::point_reads(pick, specs[i])) n *= static_cast<double>(values[i].size());
    }
    sum += n;
  }
  return sum;
}

// How many combinations walk() visits: the product of the lengths of the axes that do not
// fold, times the schedules' and the masks' readers_sum. Fails with the count, the axis
// lengths and the limit when over kMaxPoints, before anything is expanded.
void check_point_count(const SweepConfig& c, const std::vector<json>& values) {
  const std::vector<cfg::AxisSpec>& specs = cfg::axis_specs();
  const size_t sched = axis_index("schedule"), mask = axis_index("mask");
  // Exact up to 2^53, far above the limit.
  double total = readers_sum(sched, values) * readers_sum(mask, values);
  for (size_t i = 0; i < specs.size(); ++i)
    if (i != sched && i != mask && !cfg::folds(specs[i])) total *= static_cast<double>(values[i].size());
  if (total <= static_cast<double>(kMaxPoints)) return;
  std::string sizes;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (values[i].size() > 1)
      sizes += (sizes.empty() ? "" : " x ") + specs[i].name + " " + std::to_string(values[i].size());
  }
  const std::string count = total < 1e18 ? with_commas(total) : "more than 10^18";
  cfg::fail(c.path + ": axes", "the axes give " + count + " points (" + sizes + "), too many",
            "at most " + with_commas(static_cast<double>(kMaxPoints)) +
                " points; split the sweep into several configs");
}

Point make_point(const json& pick, int P) {
  Point pt;
  pt.schedule = pick["schedule"].get<std::string>();
  // Names the schema checked: "auto" is the one parse_transport does not know.
  pt.transport = parse_transport(pick["transport"].get<std::string>());
  pt.profile = *parse_profile(pick["profile"].get<std::string>());
  for (const LeverSpec& l : lever_specs()) l.set(&pt.levers, pick[l.name]);
  // NCCL CTAs mean nothing to the copy-engine and MPI transports.
  if (pt.transport && *pt.transport != TransportKind::Nccl) pt.levers.nccl_ctas = 0;
  Problem& p = pt.problem;
  p.P = P;
  p.S = pick["S"].get<int64_t>();
  p.H = pick["H"].get<int>();
  p.Hkv = pick["Hkv"].is_null() ? p.H : pick["Hkv"].get<int>();
  p.D = pick["D"].get<int>();
  p.B = pick["B"].get<int>();
  parse_mask(pick["mask"].get<std::string>(), &p.mask);
  parse_dtype(pick["dtype"].get<std::string>(), &p.dtype);
  parse_pass(pick["pass"].get<std::string>(), &p.pass);
  for (const MaskParamSpec& m : mask_param_specs()) m.set(&p.mask_params, pick[m.name]);
  for (const OptionSpec& o : option_specs()) o.set(&p, pick[o.name]);
  // Taper is even below 3 chunks: such points fold into the even ones.
  if (!p.chunks_auto && p.chunks < 3) p.chunk_shape = ChunkShape::Even;
  // An explicit head split fixes the chunk count and shape.
  if (!p.chunk_heads.empty()) {
    p.chunks = static_cast<int>(p.chunk_heads.size());
    p.chunks_auto = false;
    p.chunk_shape = ChunkShape::Even;
  }
  return pt;
}

// Where the value `v` of axis `name` came from: its origin, with the value's position when
// the axis holds several ("<file>: axes.mask_blocks[1]", "-a mask_blocks").
std::string value_where(const SweepConfig& c, const std::string& name, const json& v) {
  const auto o = c.axis_origins.find(name);
  std::string where = o != c.axis_origins.end() ? o->second : c.path + ": axes." + name;
  const json& values = c.axes[name];
  if (values.size() > 1) {
    const auto at = std::find(values.begin(), values.end(), v);
    where += "[" + std::to_string(std::distance(values.begin(), at)) + "]";
  }
  return where;
}

// Throws UsageError when the mask of `pt` cannot be built (mask_error): naming the mask
// parameter whose given value alone makes it fail (set to its default, the mask builds; a
// required one, mask_table, has no default and is always the one), else the point's mask
// with its parameters.
void check_mask(const SweepConfig& c, const Point& pt, const json& pick) {
  const Problem& p = pt.problem;
  const Reason error = mask_error(p);
  if (!error) return;
  const std::string at = "mask " + std::string(to_string(p.mask)) + " at S=" + std::to_string(p.S);
  std::string params;
  for (const MaskParamSpec& m : mask_param_specs()) {
    const json v = mask_param_value(p, m);
    if (v.is_null()) continue;
    params += (params.empty() ? " with " : ", ") + std::string(m.name) + "=" + cfg::show(v);
    if (pick[m.name].is_null()) continue;
    Problem alone = p;
    m.set(&alone.mask_params, nullptr);
    if (m.required_when_read || !mask_error(alone))
      cfg::fail(value_where(c, m.name, pick[m.name]), cfg::show(pick[m.name]) + " does not fit " + at + ": " + *error,
                m.allowed);
  }
  cfg::fail(c.path + ": axes", at + params + ": " + *error,
            "mask parameters that fit S (docs/CONFIG.md, \"Masks\"; cpbench list shows the defaults)");
}

// What skip rules and filters look at: params() plus the schedule, and the pass also at
// fwd (which params leave out), so a rule or filter "pass": "fwd" holds there.
json point_view(const Point& pt) {
  json v = pt.params();
  v["schedule"] = pt.schedule;
  v["pass"] = to_string(pt.problem.pass);
  return v;
}

}  // namespace

json Point::params() const {
  const Problem& p = problem;
  json j = shape_json(p);
  j["transport"] = transport ? to_string(*transport) : "auto";
  j["profile"] = to_string(profile);
  // Levers only when set, so records of sweeps without them keep their params.
  for (const LeverSpec& l : lever_specs()) {
    const json v = l.get(levers);
    if (!v.is_null()) j[l.name] = v;
  }
  const Schedule* s = find_schedule(schedule);
  for (const OptionSpec& o : option_specs()) {
    if (!s || !s->reads(o.option)) continue;
    const json v = o.get(p);
    if (!v.is_null() && !(o.omit_default && v == o.default_value)) j[o.name] = v;
  }
  return j;
}

std::vector<Point> expand(const SweepConfig& c, int P, const std::string& filter) {
  if (!c.world_sizes.empty() &&
      std::find(c.world_sizes.begin(), c.world_sizes.end(), P) == c.world_sizes.end()) {
    std::vector<std::string> sizes;
    for (int w : c.world_sizes) sizes.push_back(std::to_string(w));
    cfg::fail(c.path + ": world_size", std::to_string(P) + " (the MPI world size) is not allowed",
              cfg::join(sizes));
  }
  const cfg::PointFilter keep(filter);

  std::vector<json> values;
  for (const cfg::AxisSpec& a : cfg::axis_specs()) values.push_back(axis_values(c, a));
  for (const json& s : values[std::distance(cfg::axis_specs().data(), cfg::find_axis("schedule"))]) {
    if (!s.is_string() || !find_schedule(s.get<std::string>()))
      cfg::fail_name(c.path + ": axes.schedule", s, "a schedule", schedule_names());
  }

  check_point_count(c, values);

  std::vector<Point> points;
  std::set<std::string> seen;  // schedule + params: folded duplicates run once
  json pick = json::object();
  walk(0, values, &pick, [&](const json& combo) {
    Point pt = make_point(combo, P);
    check_mask(c, pt, combo);
    const json view = point_view(pt);
    if (!seen.insert(view.dump()).second || !keep.matches(view)) return;
    pt.skip_reason = cfg::skip_reason(c.skip, view);
    if (pt.skip_reason.empty()) {
      if (auto why = find_schedule(pt.schedule)->unsupported(pt.problem)) pt.skip_reason = *why;
    }
    pt.index = static_cast<int>(points.size());
    points.push_back(std::move(pt));
  });
  return points;
}

}  // namespace cpb
