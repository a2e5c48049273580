// The forward and backward of the same problems side by side, for the markdown report.
#pragma once

#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpb {

// When the points hold more than the fwd pass (has_other_pass): one table per problem
// group without the pass (describe_group of problem_group less "pass"), one row per S and
// schedule variant, columns the p50 time [ms] of pass fwd, bwd and fwd_bwd, bwd / fwd and
// fwd_bwd / (fwd + bwd). A cell is empty where the pass did not PASS. Writes nothing for a
// file of forward points only.
void write_pass_tables(const std::vector<nlohmann::json>& points, std::ostream& out);

}  // namespace cpb
