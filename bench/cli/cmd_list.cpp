// `cpbench list`: what this build can run, as text or as the registries' JSON.
#include <cstdio>

#include <string>

#include "base/dtype.hpp"
#include "bench/cli/commands.hpp"
#include "bench/config/schema.hpp"
#include "bench/mask_params.hpp"
#include "bench/runtime.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/registry_json.hpp"

namespace cpb {
namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// "(a, b)" for a list of names, "" for none.
std::string values_text(const std::vector<std::string>& names) {
  return names.empty() ? "" : " (" + join(names) + ")";
}

// "mask_blocks=16, mask_group=4": the parameters mask `m` reads with their defaults there
// (a parameter with none: "(required)", or "(instead of <the other>)").
std::string mask_params_text(Mask m) {
  std::vector<std::string> items;
  for (const MaskParamSpec& s : mask_param_specs()) {
    if (!mask_reads(m, s)) continue;
    const nlohmann::json d = mask_param_default(m, s);
    std::string item = s.name;
    if (!d.is_null()) item += "=" + d.dump();
    else if (s.required_when_read) item += " (required)";
    else if (s.exclusive_with) item += std::string(" (instead of ") + s.exclusive_with + ")";
    items.push_back(item);
  }
  return items.empty() ? "" : "  [" + join(items) + "]";
}

void print_masks() {
  std::printf("masks (the parameters each reads, with their defaults):\n");
  for (const std::string& name : mask_names()) {
    Mask m = Mask::Full;
    parse_mask(name, &m);
    std::printf("  %-15s %s%s\n", name.c_str(), mask_help(m), mask_params_text(m).c_str());
  }
  std::printf("mask parameters:\n");
  for (const MaskParamSpec& s : mask_param_specs()) std::printf("  %-15s %s\n", s.name, s.help);
}

}  // namespace

int cmd_list(const std::string& format) {
  if (format == "json") {
    std::printf("%s\n", registry_json().dump(2).c_str());
    return 0;
  }
  std::printf("schedules:\n");
  for (const Schedule* s : all_schedules()) {
    const std::string opts = join(s->option_axes());
    std::printf("  %-12s %s%s%s\n", s->name().c_str(), s->description().c_str(),
                opts.empty() ? "" : "  [options: ", opts.empty() ? "" : (opts + "]").c_str());
  }
  std::printf("schedule options:\n");
  for (const OptionSpec& o : option_specs())
    std::printf("  %-12s %s%s\n", o.name, o.help, values_text(o.allowed).c_str());
  std::printf("overlap levers:\n");
  for (const LeverSpec& l : lever_specs())
    std::printf("  %-14s %s\n", l.name, l.help);
  std::printf("axes: %s (docs/CONFIG.md)\n", join(cfg::axis_names()).c_str());
  print_masks();
  std::printf("dtypes: %s (fp32: CPU runtime only)\n", join(dtype_names()).c_str());
  std::printf(
      "passes: %s (fwd: the forward alone; bwd: the backward alone, after an untimed forward; "
      "fwd_bwd: both, timed together)\n",
      join(pass_names()).c_str());
  std::printf("transports (\"auto\": the runtime's default):\n");
  for (const TransportSpec& t : transport_specs()) std::printf("  %-8s %s\n", t.name, t.help);
#if !CPBENCH_HAVE_CUDA
  std::printf("  (the cuda runtime is not built: configure with -DCPBENCH_CUDA=ON)\n");
#endif
  std::printf("profiles: %s (pcie: cuda runtime, nccl with NCCL_P2P_DISABLE=1, or ce_host; "
              "scripts/sweep_profiles.sh runs both)\n",
              join(profile_names()).c_str());
  std::printf("commands: run, plan, list, report, compare, probe\n");
  return 0;
}

}  // namespace cpb
