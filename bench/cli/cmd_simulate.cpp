// `cpbench simulate` and `cpbench advise`: a config's points simulated on a machine
// model (bench/sim/), at the config's world sizes or those of --world, with no GPU and no
// MPI. simulate writes the records `run` writes (runtime "sim") and a Chrome trace per
// point; advise ranks, per problem, the schedules, transports and chunk counts by
// predicted time.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "bench/cli/commands.hpp"
#include "bench/report/console_table.hpp"
#include "bench/report/metrics.hpp"
#include "bench/report/output_paths.hpp"
#include "bench/report/progress.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/report/result_file.hpp"
#include "bench/report/text_format.hpp"
#include "bench/sim/sim_point.hpp"
#include "bench/sweep/provenance.hpp"
#include "bench/sweep/trace_capture.hpp"

namespace cpb {
namespace {

// The points of every world size, numbered across them in order. --world replaces the
// config's world_size (a simulation is how a config is taken past the GPUs at hand).
std::vector<Point> all_points(const SimulateArgs& a, SweepConfig cfg) {
  const std::vector<int> worlds = a.worlds.empty() ? cfg.world_sizes : a.worlds;
  cfg.world_sizes.clear();
  if (worlds.empty())
    throw UsageError("--world: required: the config " + cfg.path + " names no world_size (e.g. --world 8,64,512)");
  std::vector<Point> points;
  for (const int w : worlds)
    for (Point p : expand(cfg, w, a.filter)) {
      p.index = static_cast<int>(points.size());
      points.push_back(std::move(p));
    }
  if (points.empty()) throw UsageError("--filter " + a.filter + ": no point of " + cfg.path + " matches");
  return points;
}

void check_outputs(const SimulateArgs& a) {
  if (!a.trace_dir.empty()) check_output_dir("--trace", a.trace_dir);
  if (a.out.empty()) return;
  check_output_file("--out", a.out);
  std::error_code ec;
  if (std::filesystem::exists(a.out, ec) && !a.force)
    throw UsageError("--out: \"" + a.out + "\" exists; pass --force to overwrite it");
}

// GPUs per node: --node-size, else the config's ranks_per_node (as `run` emulates nodes),
// else the machine file's.
int node_size(const SimulateArgs& a, const SweepConfig& cfg, const MachineModel& m) {
  if (a.node_size > 0) return a.node_size;
  return cfg.ranks_per_node > 0 ? cfg.ranks_per_node : m.inter_node.gpus_per_node;
}

nlohmann::json provenance(const SimulateArgs& a, const SweepConfig& cfg, const MachineModel& m,
                          const std::vector<std::string>& argv) {
  nlohmann::json p = make_offline_provenance("sim", argv);
  add_config_provenance(cfg, p);
  p["machine"] = {{"path", a.machine}, {"name", m.name}, {"provenance", m.provenance}};
  p["gpus_per_node"] = node_size(a, cfg, m);
  return p;
}

// Every point simulated, with progress, and its derived figures; the trace of each PASS
// point written as it is made. The caller checked every point (check_costable) first, so
// a point the machine file cannot cost has ended the command before anything is written.
std::vector<nlohmann::json> simulate_all(const SimulateArgs& a, const std::vector<Point>& points,
                                         const MachineModel& m, int node) {
  Progress progress(static_cast<int>(points.size()), progress_wanted(a.quiet), std::cerr);
  std::vector<nlohmann::json> records;
  if (!a.trace_dir.empty()) std::filesystem::create_directories(a.trace_dir);
  for (const Point& p : points) {
    progress.begin(p.index, describe_point({{"schedule", p.schedule}, {"params", p.params()}}));
    std::vector<std::vector<TraceStep>> trace;
    SimPointOptions opt;
    opt.gpus_per_node = node;
    opt.list_order = a.order == "list";
    if (!a.trace_dir.empty()) opt.trace = &trace;
    records.push_back(simulate_point(p, m, opt));
    if (!trace.empty())
      write_chrome_trace(a.trace_dir + "/" + trace_file_name(p),
                         make_chrome_trace(trace, {{"runtime", "sim"}, {"point", records.back()}}));
    progress.end();
  }
  fill_derived_metrics(records);
  return records;
}

// Per problem (problem_key), the timed records ranked by predicted time. Throws
// UsageError when no point is left to rank (every one SKIPPED), with the first reason.
void print_advice(const std::vector<nlohmann::json>& records, std::ostream& out) {
  size_t skipped = 0;
  std::string first_reason;
  for (const auto& r : records)
    if (r.value("status", "") == "SKIPPED" && skipped++ == 0) first_reason = r.value("reason", "");
  if (skipped == records.size())
    throw UsageError("no point to rank: all " + std::to_string(skipped) + " are SKIPPED; the first: " + first_reason);
  if (skipped > 0)
    out << skipped << " of " << records.size() << " points SKIPPED (not ranked); the first: " << first_reason << "\n";
  std::map<std::string, std::vector<const nlohmann::json*>> groups;
  std::vector<std::string> order;
  for (const auto& r : records) {
    if (r.value("status", "") != "PASS") continue;
    const std::string key = problem_key(r).dump();
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  for (const std::string& key : order) {
    auto& rows = groups[key];
    const auto p50 = [](const nlohmann::json* r) { return (*r)["time_ms"]["p50"].get<double>(); };
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const nlohmann::json* x, const nlohmann::json* y) { return p50(x) < p50(y); });
    const nlohmann::json& best = *rows.front();
    out << "\n" << describe_group(problem_key(best));
    if (const auto rho = number_field(best, {"rho"})) out << "  rho " << format_sig(*rho, 3);
    if (const auto bound = number_field(best, {"bound"})) out << "  bound " << format_sig(*bound, 3);
    out << "\n";
    const double t0 = p50(&best);
    for (size_t i = 0; i < rows.size(); ++i) {
      const double t = p50(rows[i]);
      const auto chosen = number_field(*rows[i], {"chunks_chosen"});
      out << "  " << (i + 1) << ". " << variant_label(*rows[i])
          << (chosen ? " (C=" + std::to_string(static_cast<int>(*chosen)) + ")" : std::string()) << " "
          << string_field(*rows[i], {"params", "transport"})
          << "  " << format_sig(t) << " ms  x" << format_sig(t / t0) << "\n";
    }
    if (rows.size() > 1) {
      out << "  margin of the first over the second: " << format_percent(100.0 * (p50(rows[1]) - t0) / t0) << "\n";
    }
  }
}

}  // namespace

int cmd_simulate(const SimulateArgs& a, const std::vector<std::string>& argv) {
  const SweepConfig cfg = load_config(a.config, a.axes);
  const MachineModel machine = read_machine_model(a.machine);
  const std::vector<Point> points = all_points(a, cfg);
  check_outputs(a);
  const int node = node_size(a, cfg, machine);
  for (const Point& p : points) check_costable(p, machine, node);
  const std::vector<nlohmann::json> records = simulate_all(a, points, machine, node);
  if (!a.out.empty()) {
    ResultFile file(a.out, provenance(a, cfg, machine, argv), static_cast<int>(points.size()));
    file.assign(records);
    file.finish();
  }
  if (a.advise) {
    std::cout << "cpbench advise " << cfg.name << " on " << machine.name << ": fastest first (predicted)\n";
    print_advice(records, std::cout);
  } else {
    std::cout << "cpbench simulate " << cfg.name << " on " << machine.name << ": " << points.size() << " points\n";
    print_results_table(records, std::cout);
    std::cout << "\n";
    print_overlap_table(records, std::cout);
  }
  return 0;
}

}  // namespace cpb
