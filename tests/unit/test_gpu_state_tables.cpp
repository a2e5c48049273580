// The tables flag a point whose timed loop was throttled for power or temperature: the
// console's note names the reasons, the markdown cell has a "T" and a legend line, the
// CSV has gpu_state.throttled beside the status. A point that shared its GPU with another
// process is flagged alike ("shared GPU", "S", gpu_state.other_processes).
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "bench/report/console_table.hpp"
#include "bench/report/gpu_state.hpp"
#include "bench/report/report.hpp"

namespace cpb {
namespace {

nlohmann::json point(int index, int s, uint64_t reasons, double others = 0) {
  GpuState g = summarize_gpu_samples({GpuSample{1980, 2619, 650, 60, reasons, others}});
  return {{"index", index},
          {"schedule", "ulysses"},
          {"runtime", "cuda"},
          {"status", "PASS"},
          {"params", {{"P", 2}, {"S", s}, {"H", 8}, {"Hkv", 8}, {"D", 64}, {"B", 1}, {"mask", "full"},
                      {"dtype", "bf16"}, {"transport", "nccl"}, {"profile", "nvlink"}}},
          {"time_ms", {{"p50", 2.5}, {"p10", 2.4}, {"p90", 2.6}}},
          {"gpu_state", g}};
}

nlohmann::json doc(uint64_t second_reasons) {
  return {{"points", {point(0, 1024, 0x1), point(1, 2048, second_reasons)}}};
}

TEST(GpuStateTables, TheRecordsThrottleReasonsAreThoseOfPowerAndTemperature) {
  EXPECT_EQ(record_throttle_reasons(point(0, 1024, 0x1 | 0x4 | 0x40)),
            (std::vector<std::string>{"sw_power_cap", "hw_thermal"}));
  EXPECT_TRUE(record_throttle_reasons(point(0, 1024, 0x1 | 0x10)).empty());
  EXPECT_TRUE(record_throttle_reasons({{"schedule", "ring"}}).empty());
  EXPECT_TRUE(record_throttle_reasons({{"gpu_state", {{"clock_event_reasons", "sw_power_cap"}}}}).empty());
}

TEST(GpuStateTables, TheConsoleNoteNamesTheReasons) {
  std::ostringstream calm, hot;
  print_results_row(point(0, 1024, 0x1), calm);
  nlohmann::json failed = point(1, 2048, 0x4);
  failed["status"] = "FAILED";
  failed["reason"] = "max error 1 > tolerance";
  print_results_row(failed, hot);
  EXPECT_EQ(calm.str().find("throttled"), std::string::npos) << calm.str();
  EXPECT_NE(hot.str().find("throttled: sw_power_cap; max error 1 > tolerance"), std::string::npos) << hot.str();
}

TEST(GpuStateTables, MarkdownMarksTheCellAndExplainsTheMark) {
  std::ostringstream calm, hot;
  write_markdown_report(doc(0x1), "calm.json", calm);
  write_markdown_report(doc(0x20), "hot.json", hot);
  EXPECT_EQ(calm.str().find("T:"), std::string::npos) << calm.str();
  EXPECT_EQ(calm.str().find(" · T"), std::string::npos) << calm.str();
  EXPECT_NE(hot.str().find("| 2048 | 2.500 ms · T |"), std::string::npos) << hot.str();
  EXPECT_NE(hot.str().find("\nT: the GPU clocks were throttled"), std::string::npos) << hot.str();
}

TEST(GpuStateTables, ASharedGpuIsFlaggedInEveryTable) {
  EXPECT_EQ(record_other_processes(point(0, 1024, 0, 2)), 2);
  EXPECT_EQ(record_other_processes(point(0, 1024, 0, 0)), 0);
  EXPECT_EQ(record_other_processes({{"schedule", "ring"}}), 0);
  std::ostringstream one, two;
  print_results_row(point(0, 1024, 0x4, 1), one);
  print_results_row(point(0, 1024, 0, 2), two);
  EXPECT_NE(one.str().find("shared GPU: 1 other process; throttled: sw_power_cap"), std::string::npos) << one.str();
  EXPECT_NE(two.str().find("shared GPU: 2 other processes"), std::string::npos) << two.str();
  std::ostringstream calm, shared;
  write_markdown_report(doc(0x1), "calm.json", calm);
  write_markdown_report({{"points", {point(0, 1024, 0x1), point(1, 2048, 0x1, 1)}}}, "shared.json", shared);
  EXPECT_EQ(calm.str().find("\nS:"), std::string::npos) << calm.str();
  EXPECT_NE(shared.str().find("| 2048 | 2.500 ms · S |"), std::string::npos) << shared.str();
  EXPECT_NE(shared.str().find("\nS: another compute process ran on the GPU"), std::string::npos) << shared.str();
  std::ostringstream csv;
  write_csv_report({{"points", {point(0, 1024, 0x1, 3)}}}, csv);
  EXPECT_EQ(csv.str().rfind("index,schedule,runtime,status,gpu_state.throttled,gpu_state.other_processes,", 0), 0u)
      << csv.str();
  EXPECT_NE(csv.str().find("\n0,ulysses,cuda,PASS,false,3,"), std::string::npos) << csv.str();
}

TEST(GpuStateTables, CsvHasTheFlagBesideTheStatus) {
  std::ostringstream out;
  write_csv_report(doc(0x80), out);
  std::istringstream lines(out.str());
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(header.rfind("index,schedule,runtime,status,gpu_state.throttled,", 0), 0u) << header;
  EXPECT_EQ(first.rfind("0,ulysses,cuda,PASS,false,", 0), 0u) << first;
  EXPECT_EQ(second.rfind("1,ulysses,cuda,PASS,true,", 0), 0u) << second;
}

}  // namespace
}  // namespace cpb
