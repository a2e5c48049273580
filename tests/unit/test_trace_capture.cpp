// Trace file names: the point's index, schedule and shape, then the schedule's label
// (hcms: its chunk count), so traces of one sweep never share a name.
#include <gtest/gtest.h>

#include "bench/sweep/trace_capture.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

TEST(TraceCapture, FileNameCarriesTheSchedulesLabel) {
  Point pt;
  pt.index = 7;
  pt.schedule = "hcms";
  pt.problem = test::make_problem(2, 256, 8, 8, 16, 1, Mask::Causal);
  pt.problem.chunks = 4;
  EXPECT_EQ(trace_file_name(pt), "7_hcms_P2_S256_H8_C4.trace.json");
  pt.schedule = "ulysses";
  EXPECT_EQ(trace_file_name(pt), "7_ulysses_P2_S256_H8.trace.json");
  pt.schedule = "ring";
  EXPECT_EQ(trace_file_name(pt), "7_ring_P2_S256_H8.trace.json");
}

}  // namespace
}  // namespace cpb
