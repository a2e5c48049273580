// `cpbench plan`: one point's plan for one rank, as text or JSON. Runs nothing and needs
// no MPI: the world size is given on the command line.
#include <cstdio>
#include <iostream>

#include "bench/cli/commands.hpp"
#include "bench/config/config.hpp"
#include "bench/plan/plan_io.hpp"
#include "bench/schedule.hpp"

namespace cpb {

int cmd_plan(const PlanArgs& args) {
  try {
    const SweepConfig cfg = load_config(args.config, args.axes);
    std::vector<Point> points;
    for (const Point& p : expand(cfg, args.world, args.filter))
      if (p.skip_reason.empty()) points.push_back(p);
    if (points.empty()) throw UsageError("--filter: no runnable point of " + args.config + " matches at P=" + std::to_string(args.world));
    if (args.index >= static_cast<int>(points.size()))
      throw UsageError("--index: " + std::to_string(args.index) + " is out of range; allowed: 0.." +
                       std::to_string(points.size() - 1) + " (" + std::to_string(points.size()) + " runnable points)");
    if (args.rank >= args.world)
      throw UsageError("--rank: " + std::to_string(args.rank) + " is out of range; allowed: 0.." + std::to_string(args.world - 1));
    const Point& pt = points[static_cast<size_t>(args.index)];
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
