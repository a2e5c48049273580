// `cpbench plan`: one point's plan for one rank, as text or JSON. Runs nothing and needs
// no MPI: the world size is given on the command line.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bench/cli/commands.hpp"
#include "bench/config/config.hpp"
#include "bench/plan/plan_io.hpp"
#include "bench/schedule.hpp"

namespace cpb {
namespace {

// Why no point is left to plan: --filter matched none, or every point (matched) is
// SKIPPED at this world size, which the message blames on --world with the first reason.
std::string no_runnable_point(const PlanArgs& args, const std::vector<Point>& all) {
  const std::string at = " of " + args.config + " at P=" + std::to_string(args.world);
  if (all.empty()) return "--filter " + args.filter + ": no point" + at + " matches";
  const std::string where = args.filter.empty() ? "--world " + std::to_string(args.world) : "--filter " + args.filter;
  const std::string reason = all.front().skip_reason;
  if (all.size() == 1) return where + ": no runnable point" + at + ": its one point is SKIPPED: " + reason;
  return where + ": no runnable point" + at + ": all its " + std::to_string(all.size()) +
         " points are SKIPPED; the first: " + reason;
}

}  // namespace

int cmd_plan(const PlanArgs& args) {
  try {
    const SweepConfig cfg = load_config(args.config, args.axes);
    const std::vector<Point> all = expand(cfg, args.world, args.filter);
    std::vector<Point> points;
    for (const Point& p : all)
      if (p.skip_reason.empty()) points.push_back(p);
    if (points.empty()) throw UsageError(no_runnable_point(args, all));
    if (args.index >= static_cast<int>(points.size()))
      throw UsageError("--index: " + std::to_string(args.index) + " is out of range; allowed: 0.." +
                       std::to_string(points.size() - 1) + " (" + std::to_string(points.size()) + " runnable points)");
    if (args.rank >= args.world)
      throw UsageError("--rank: " + std::to_string(args.rank) + " is out of range; allowed: 0.." + std::to_string(args.world - 1));
    const Point& pt = points[static_cast<size_t>(args.index)];
    if (pt.levers.list_order)
      throw UsageError("step_order \"list\": `cpbench plan` prints the schedule's order; the list scheduler's "
                       "needs a machine file (`cpbench simulate --order list --trace DIR` shows it); allowed here: "
                       "\"plan\"");
    const Plan plan = find_schedule(pt.schedule)->plan(pt.problem, args.rank);
    if (args.format == "json") {
      std::cout << plan_to_json(plan).dump(2) << "\n";
    } else {
      std::cout << "# " << pt.schedule << " " << pt.params().dump() << "\n" << plan_to_text(plan, pt.problem);
    }
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "cpbench: error: %s\n", e.what());
    return 2;
  }
}

}  // namespace cpb
