#include "bench/sweep/registry_json.hpp"

#include "base/dtype.hpp"
#include "bench/mask_params.hpp"
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

const char* kind_name(MaskParamKind k) {
  switch (k) {
    case MaskParamKind::Size: return "size";
    case MaskParamKind::Count: return "count";
    case MaskParamKind::TokenList: return "token_list";
    case MaskParamKind::Table: return "table";
  }
  return "?";
}

json mask_param_json(const MaskParamSpec& m) {
  json j = {{"name", m.name}, {"kind", kind_name(m.kind)}, {"max", m.max}};
  j["required_when_read"] = m.required_when_read;
  j["exclusive_with"] = m.exclusive_with ? json(m.exclusive_with) : json();
  j["allowed"] = m.allowed;
  j["help"] = m.help;
  return j;
}

// A mask with the parameters it reads, in registry order, each with its default there.
json mask_json(Mask mask) {
  json params = json::array();
  for (const MaskParamSpec& m : mask_param_specs())
    if (mask_reads(mask, m)) params.push_back({{"name", m.name}, {"default", mask_param_default(mask, m)}});
  return {{"name", to_string(mask)}, {"help", mask_help(mask)}, {"params", params}};
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
  r["masks"] = json::array();
  for (const std::string& name : mask_names()) {
    Mask m = Mask::Full;
    parse_mask(name, &m);
    r["masks"].push_back(mask_json(m));
  }
  r["mask_params"] = json::array();
  for (const MaskParamSpec& m : mask_param_specs()) r["mask_params"].push_back(mask_param_json(m));
  r["dtypes"] = dtype_names();
  r["passes"] = pass_names();  // the pass axis; a record's params name the pass only when not the first, fwd
  return r;
}

}  // namespace cpb
