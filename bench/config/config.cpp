// load_config: reads, checks and resolves a sweep config (docs/CONFIG.md). Expansion into
// points lives in expand.cpp.
#include "bench/config/config.hpp"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <map>
#include <numeric>

#include "bench/config/diagnostics.hpp"
#include "bench/config/json_file.hpp"
#include "bench/config/keys.hpp"
#include "bench/config/measure_settings.hpp"
#include "bench/config/overrides.hpp"
#include "bench/config/schema.hpp"
#include "bench/config/skip.hpp"

namespace cpb {
namespace {

using cfg::fail;
using cfg::show;
using nlohmann::json;

std::string read_string(const json& doc, const char* key, const std::string& file, std::string dflt) {
  if (!doc.contains(key)) return dflt;
  const json& v = doc[key];
  if (!v.is_string()) fail(file + ": " + key, show(v) + " is not a string", "a string");
  return v.get<std::string>();
}

std::vector<int> read_world_sizes(const json& doc, const std::string& file) {
  std::vector<int> out;
  if (!doc.contains("world_size")) return out;
  for (const json& p :
       cfg::check_axis_values(cfg::world_size_spec(), doc["world_size"], file + ": world_size"))
    out.push_back(p.get<int>());
  return out;
}

// Axis name -> where its values came from ("<file>: axes.H" or "-a H"), for messages.
using Origins = std::map<std::string, std::string>;

// The names the axis `name` holds (none when absent).
std::vector<std::string> names_in(const json& axes, const char* name) {
  std::vector<std::string> out;
  if (axes.contains(name))
    for (const json& v : axes[name]) out.push_back(v.get<std::string>());
  return out;
}

json read_axes(const json& doc, const std::string& file, Origins* origins) {
  json axes = json::object();
  if (!doc.contains("axes")) return axes;
  const json& in = doc["axes"];
  if (!in.is_object())
    fail(file + ": axes", show(in) + " is not an object", "an object of axis: value or [values]");
  for (const auto& kv : in.items()) {
    const std::string where = file + ": axes." + kv.key();
    const cfg::AxisSpec* spec = cfg::find_axis(kv.key());
    if (!spec) cfg::fail_name(where, kv.key(), "an axis", cfg::axis_names());
    axes[kv.key()] = cfg::check_axis_values(*spec, kv.value(), where);
    (*origins)[kv.key()] = where;
  }
  return axes;
}

void check_required(const json& axes, const std::string& file) {
  for (const cfg::AxisSpec& a : cfg::axis_specs()) {
    if (a.required && !axes.contains(a.name))
      fail(file + ": axes", "\"" + a.name + "\" is missing",
           "configs that set schedule, S, H and D (in axes or with -a)");
  }
  // Options and mask parameters with no sensible default (usp's Ulysses degree, the table
  // of mask "table") must be given when swept.
  for (const cfg::AxisSpec& a : cfg::axis_specs()) {
    if (!a.required_when_read || axes.contains(a.name)) continue;
    const char* by = a.mask_param ? "mask" : "schedule";
    for (const std::string& s : names_in(axes, by)) {
      if (a.mask_param ? cfg::mask_reads(s, a) : cfg::schedule_reads(s, a))
        fail(file + ": axes", "\"" + a.name + "\" is missing",
             std::string("configs with ") + by + " " + s + " also set " + a.name);
    }
  }
}

// Two exclusive mask parameters (mask_docs, mask_doc_tokens) must not both be given where a
// swept mask reads them.
void check_exclusive(const json& axes, const Origins& origins) {
  for (const cfg::AxisSpec& a : cfg::axis_specs()) {
    if (!a.mask_param || !a.mask_param->exclusive_with || !axes.contains(a.name)) continue;
    const std::string other = a.mask_param->exclusive_with;
    if (!axes.contains(other) || cfg::find_axis(other) > &a) continue;  // reported at the later of the two
    for (const std::string& m : names_in(axes, "mask")) {
      if (!cfg::mask_reads(m, a)) continue;
      const json& given = axes[a.name].size() == 1 ? axes[a.name][0] : axes[a.name];
      fail(origins.at(a.name), cfg::show(given) + " is given with " + other + " (" + origins.at(other) + ")",
           "one of " + other + " and " + a.name + " where mask " + m + " reads them");
    }
  }
}

// Every Hkv must divide every H: the sweep crosses the two axes.
void check_heads(const json& axes, const Origins& origins) {
  if (!axes.contains("Hkv")) return;
  int64_t g = 0;
  for (const json& h : axes["H"]) g = std::gcd(g, h.get<int64_t>());
  std::vector<int64_t> small, large;  // divisors of g up to sqrt(g), and their partners
  for (int64_t d = 1; d * d <= g; ++d) {
    if (g % d != 0) continue;
    small.push_back(d);
    if (d != g / d) large.insert(large.begin(), g / d);
  }
  std::vector<std::string> divisors;
  for (const auto* list : {&small, &large})
    for (int64_t d : *list) divisors.push_back(std::to_string(d));
  for (const json& kv : axes["Hkv"]) {
    for (const json& h : axes["H"]) {
      if (h.get<int64_t>() % kv.get<int64_t>() != 0)
        fail(origins.at("Hkv"), show(kv) + " does not divide H=" + show(h),
             "divisors of every H value: " + cfg::join(divisors));
    }
  }
}

// B * H * S * S of the largest point the axes can make (an upper bound for every point).
double max_scores(const json& axes) {
  auto largest = [&](const char* axis) {
    int64_t m = 0;
    for (const json& v : axes[axis]) m = std::max(m, v.get<int64_t>());
    return static_cast<double>(m);
  };
  const double S = largest("S");
  return largest("B") * largest("H") * S * S;
}

}  // namespace

int default_rounds(const std::string& runtime_name) { return runtime_name == "cuda" ? 3 : 1; }

SweepConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  const json doc = cfg::read_config_json(path);
  if (!doc.is_object())
    fail(path + ": (top level)", show(doc) + " is not an object",
         "an object with keys " + cfg::join(cfg::top_keys()));
  cfg::check_keys(doc, cfg::top_keys(), path + ": ", "a top-level key");

  SweepConfig c;
  c.path = path;
  c.name = read_string(doc, "name", path, std::filesystem::path(path).stem().string());
  c.description = read_string(doc, "description", path, "");
  c.world_sizes = read_world_sizes(doc, path);
  if (doc.contains("ranks_per_node"))
    c.ranks_per_node = static_cast<int>(cfg::check_int(doc["ranks_per_node"], 1, INT_MAX, path + ": ranks_per_node"));

  Origins origins;
  json axes = read_axes(doc, path, &origins);
  for (const std::string& arg : overrides) {
    cfg::AxisOverride o = cfg::parse_override(arg);
    axes[o.axis] = o.values;
    origins[o.axis] = o.where;
  }
  check_required(axes, path);
  check_exclusive(axes, origins);
  check_heads(axes, origins);
  for (const cfg::AxisSpec& a : cfg::axis_specs())
    if (!axes.contains(a.name) && !a.default_value.is_null()) axes[a.name] = json::array({a.default_value});
  c.axes = axes;
  c.axis_origins = origins;
  c.skip = cfg::read_skip_rules(doc.contains("skip") ? doc["skip"] : json(), path);

  json measure;
  c.measure =
      cfg::read_measure(doc.contains("measure") ? doc["measure"] : json(), path, max_scores(axes), &measure);

  c.resolved = {{"name", c.name},
                {"description", c.description},
                {"axes", c.axes},
                {"skip", c.skip},
                {"measure", measure}};
  if (!c.world_sizes.empty()) c.resolved["world_size"] = c.world_sizes;
  if (c.ranks_per_node > 0) c.resolved["ranks_per_node"] = c.ranks_per_node;
  return c;
}

}  // namespace cpb
