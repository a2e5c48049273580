// The markdown report's forward and backward table (bench/report/report_passes.hpp).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/report/report_passes.hpp"

namespace cpb {
namespace {

nlohmann::json point(const char* schedule, const char* pass, double ms, const char* status = "PASS") {
  nlohmann::json params = {{"P", 2}, {"S", 4096}, {"H", 8}, {"Hkv", 8}, {"D", 64}, {"B", 1},
                           {"mask", "causal"}, {"dtype", "bf16"}, {"transport", "nccl"}, {"profile", "nvlink"}};
  if (std::string(pass) != "fwd") params["pass"] = pass;
  return {{"schedule", schedule}, {"params", params}, {"status", status}, {"time_ms", {{"p50", ms}}}};
}

std::string tables(const std::vector<nlohmann::json>& points) {
  std::ostringstream out;
  write_pass_tables(points, out);
  return out.str();
}

TEST(ReportPasses, OneRowPerVariantWithEachPassAndTheRatios) {
  const std::string t = tables({point("ulysses", "fwd", 2.0), point("ulysses", "bwd", 5.0),
                                point("ulysses", "fwd_bwd", 6.3), point("ring", "fwd", 4.0),
                                point("ring", "bwd", 9.0, "FAILED")});
  EXPECT_NE(t.find("## Forward and backward"), std::string::npos) << t;
  EXPECT_NE(t.find("### P=2 H=8 Hkv=8 D=64 B=1 causal bf16 nccl nvlink\n"), std::string::npos) << t;
  EXPECT_NE(t.find("| 4096 | ulysses | 2.000 | 5.000 | 6.300 | 2.50 | 0.900 |"), std::string::npos) << t;
  // A pass that did not PASS leaves its cell and the ratios that need it empty.
  EXPECT_NE(t.find("| 4096 | ring | 4.000 |  |  |  |  |"), std::string::npos) << t;
}

TEST(ReportPasses, NothingForForwardOnlyFiles) {
  EXPECT_EQ(tables({point("ulysses", "fwd", 2.0), point("ring", "fwd", 3.0)}), "");
}

}  // namespace
}  // namespace cpb
