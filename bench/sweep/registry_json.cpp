#include "bench/sweep/registry_json.hpp"

#include "base/dtype.hpp"
#include "bench/runtime.hpp"
#include "bench/schedule.hpp"

namespace cpb {
namespace {

using nlohmann::json;

const char* kind_name(OptionKind k) {
  switch (k) {
    case OptionKind::Size: return "size";
    case OptionKind::SizeOrAuto: return "size_or_auto";
    case OptionKind::HeadList: return "head_list";
    case OptionKind::Name: return "name";
  }
  return "?";
}

json option_json(const OptionSpec& o) {
  json j = {{"name", o.name}, {"kind", kind_name(o.kind)}, {"allowed", o.allowed}};
  j["max"] = o.kind == OptionKind::Name ? json() : json(o.max);
  j["default"] = o.default_value;
  j["omit_default"] = o.omit_default;
  j["how"] = o.how;
  j["split_tag"] = o.split_tag ? json(o.split_tag) : json();
  j["help"] = o.help;
  return j;
}

// Records leave a lever out at its default.
json lever_json(const LeverSpec& l) {
  json j = {{"name", l.name}, {"values", l.allowed}};
  j["max"] = l.allowed.empty() ? json(l.max) : json();
  j["default"] = l.default_value();
  j["help"] = l.help;
  return j;
}

}  // namespace

json registry_json() {
  json r;
  r["schedules"] = json::array();
  for (const Schedule* s : all_schedules())
    r["schedules"].push_back({{"name", s->name()}, {"description", s->description()}, {"options", s->option_axes()}});
  r["options"] = json::array();
  for (const OptionSpec& o : option_specs()) r["options"].push_back(option_json(o));
  r["levers"] = json::array();
  for (const LeverSpec& l : lever_specs()) r["levers"].push_back(lever_json(l));
  r["transports"] = json::array();
  for (const TransportSpec& t : transport_specs()) r["transports"].push_back({{"name", t.name}, {"help", t.help}});
  r["profiles"] = profile_names();
  r["masks"] = mask_names();
  r["dtypes"] = dtype_names();
  return r;
}

}  // namespace cpb
