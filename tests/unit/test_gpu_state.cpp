// GPU state of a timed loop: one rank's samples summarised, ranks combined, the packed
// form for collectives, reason names, the throttle rule, the record's JSON, and measure()
// arming an executor's sampler around the timed runs only.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "bench/report/gpu_state.hpp"
#include "bench/report/point_record.hpp"
#include "bench/sweep/measure.hpp"
#include "mpi_test_session.hpp"

namespace cpb::test {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

GpuSample sample(double sm, double power, uint64_t reasons = 0, double others = 0) {
  return {sm, 2619, power, 40, reasons, others};
}

TEST(GpuState, OneRanksSamplesGiveMinMedianMaxAndTheUnionOfReasons) {
  const GpuState s = summarize_gpu_samples({sample(1980, 300), sample(1755, 690, 0x4), sample(1830, 500, 0x1),
                                            sample(1900, 450)});
  EXPECT_EQ(s.samples, 4);
  EXPECT_EQ(s.ranks, 1);
  EXPECT_EQ(s.sm_clock_mhz.min, 1755);
  EXPECT_EQ(s.sm_clock_mhz.median, (1830 + 1900) / 2.0);
  EXPECT_EQ(s.sm_clock_mhz.max, 1980);
  EXPECT_EQ(s.power_w.median, 475);
  EXPECT_EQ(s.mem_clock_mhz.min, 2619);
  EXPECT_EQ(s.reasons, 0x5u);
  EXPECT_EQ(s.throttled_fraction, 0.25);  // gpu_idle (0x1) is not a throttle reason
  EXPECT_TRUE(throttled(s));
}

TEST(GpuState, FailedReadingsAreLeftOutAndNoReadingIsNaN) {
  GpuSample no_power = sample(1500, kNaN);
  const GpuState s = summarize_gpu_samples({no_power, sample(1600, 400), sample(kNaN, kNaN)});
  EXPECT_EQ(s.samples, 3);
  EXPECT_EQ(s.power_w.min, 400);
  EXPECT_EQ(s.power_w.median, 400);
  EXPECT_EQ(s.sm_clock_mhz.median, 1550);
  const GpuState none = summarize_gpu_samples({});
  EXPECT_EQ(none.samples, 0);
  EXPECT_TRUE(std::isnan(none.sm_clock_mhz.min) && std::isnan(none.temperature_c.max));
  EXPECT_FALSE(throttled(none));
}

TEST(GpuState, RanksCombineAsMinOfMinsMedianOfMediansMaxOfMaxes) {
  const GpuState a = summarize_gpu_samples({sample(1700, 500, 0x20), sample(1800, 600)});
  const GpuState b = summarize_gpu_samples({sample(1900, 400), sample(1950, 450), sample(1980, 420)});
  const GpuState c = summarize_gpu_samples({sample(1600, 700, 0x1)});
  const GpuState all = combine_gpu_states({a, b, c});
  EXPECT_EQ(all.ranks, 3);
  EXPECT_EQ(all.samples, 1);
  EXPECT_EQ(all.sm_clock_mhz.min, 1600);
  EXPECT_EQ(all.sm_clock_mhz.max, 1980);
  EXPECT_EQ(all.sm_clock_mhz.median, 1750);  // medians 1750, 1950, 1600
  EXPECT_EQ(all.reasons, 0x21u);
  EXPECT_EQ(all.throttled_fraction, 0.5);
  EXPECT_TRUE(throttled(all));
  EXPECT_FALSE(throttled(combine_gpu_states({b, c})));
  EXPECT_EQ(combine_gpu_states({combine_gpu_states({a, b}), c}).ranks, 3);
}

TEST(GpuState, OtherProcessesAreTheMostSeenInOneSampleOfOneRank) {
  const GpuState alone = summarize_gpu_samples({sample(1700, 500), sample(1750, 500)});
  EXPECT_EQ(alone.other_processes, 0);
  EXPECT_FALSE(shared_gpu(alone));
  // A process that came and went between samples of the loop still flags it.
  const GpuState visited = summarize_gpu_samples({sample(1700, 500), sample(1600, 500, 0, 2), sample(1700, 500, 0, kNaN)});
  EXPECT_EQ(visited.other_processes, 2);
  EXPECT_TRUE(shared_gpu(visited));
  const GpuState unread = summarize_gpu_samples({sample(1700, 500, 0, kNaN)});
  EXPECT_TRUE(std::isnan(unread.other_processes));
  EXPECT_FALSE(shared_gpu(unread));
  EXPECT_TRUE(std::isnan(summarize_gpu_samples({}).other_processes));
  EXPECT_EQ(combine_gpu_states({alone, visited, unread}).other_processes, 2);
  EXPECT_EQ(combine_gpu_states({unread, alone}).other_processes, 0);
  EXPECT_TRUE(std::isnan(combine_gpu_states({unread, unread}).other_processes));
}

TEST(GpuState, ThePackedFormRoundTripsHighReasonBits) {
  GpuState s = summarize_gpu_samples({sample(1700, 500, 0x40), sample(1800, kNaN, 0, 3)});
  s.reasons |= uint64_t{1} << 60;
  const std::vector<double> p = pack_gpu_state(s);
  ASSERT_EQ(p.size(), static_cast<size_t>(kPackedGpuStateSize));
  const GpuState back = unpack_gpu_state(p.data());
  EXPECT_EQ(back.reasons, s.reasons);
  EXPECT_EQ(back.samples, 2);
  EXPECT_EQ(back.sm_clock_mhz.median, 1750);
  EXPECT_EQ(back.power_w.max, 500);
  EXPECT_EQ(back.throttled_fraction, 0.5);
  EXPECT_EQ(back.other_processes, 3);
}

TEST(GpuState, ReasonsAreNamedInBitOrderAndUnknownBitsInHex) {
  EXPECT_EQ(reason_names(0x4 | 0x40 | 0x1), (std::vector<std::string>{"gpu_idle", "sw_power_cap", "hw_thermal"}));
  EXPECT_EQ(reason_names(0x1000), (std::vector<std::string>{"0x1000"}));
  EXPECT_EQ(reason_bits({"hw_power_brake", "0x1000", "sw_thermal"}), 0x10a0u);
  EXPECT_THROW(reason_bits({"too_hot"}), std::invalid_argument);
  EXPECT_THROW(reason_bits({"0x"}), std::invalid_argument);
  for (const ClockEventReason& r : clock_event_reasons()) EXPECT_EQ(reason_bits({r.name}), r.bit);
}

TEST(GpuState, OnlyThermalAndPowerReasonsThrottle) {
  EXPECT_EQ(throttle_reason_bits(), 0x4u | 0x8u | 0x20u | 0x40u | 0x80u);
  GpuState s;
  for (const char* benign : {"gpu_idle", "applications_clocks", "sync_boost", "display_clock"}) {
    s.reasons = reason_bits({benign});
    EXPECT_FALSE(throttled(s)) << benign;
  }
  for (const char* hot : {"sw_power_cap", "hw_slowdown", "sw_thermal", "hw_thermal", "hw_power_brake"}) {
    s.reasons = reason_bits({hot});
    EXPECT_TRUE(throttled(s)) << hot;
  }
}

TEST(GpuState, JsonRoundTripsAndNamesTheFlag) {
  const GpuState s = combine_gpu_states({summarize_gpu_samples({sample(1700, 500, 0x4), sample(1800, kNaN)}),
                                         summarize_gpu_samples({sample(1750, 510)})});
  const nlohmann::json j = s;
  EXPECT_EQ(j["clock_event_reasons"], nlohmann::json({"sw_power_cap"}));
  EXPECT_EQ(j["throttled"], true);
  EXPECT_EQ(j["sm_clock_mhz"]["min"], 1700);
  EXPECT_EQ(j["ranks"], 2);
  const GpuState back = nlohmann::json::parse(j.dump()).get<GpuState>();
  EXPECT_EQ(nlohmann::json(back), j);
  nlohmann::json unread = j;
  unread["power_w"]["max"] = nullptr;  // how a NaN is written
  EXPECT_TRUE(std::isnan(unread.get<GpuState>().power_w.max));
  EXPECT_EQ(j["other_processes"], 0);
  nlohmann::json older = j;  // written before the field existed: not read
  older.erase("other_processes");
  EXPECT_TRUE(std::isnan(older.get<GpuState>().other_processes));
  unread.erase("samples");
  EXPECT_THROW(unread.get<GpuState>(), nlohmann::json::exception);
}

TEST(GpuState, ThePointRecordCarriesItOnlyWhenMeasured) {
  PointRecord r;
  r.schedule = "ulysses";
  r.status = "PASS";
  EXPECT_FALSE(nlohmann::json(r).contains(record_key::gpu_state));
  r.gpu_state = summarize_gpu_samples({sample(1700, 500, 0x40)});
  const nlohmann::json j = r;
  ASSERT_TRUE(j.contains(record_key::gpu_state));
  EXPECT_EQ(j[record_key::gpu_state]["clock_event_reasons"], nlohmann::json({"hw_thermal"}));
  const PointRecord back = j.get<PointRecord>();
  ASSERT_TRUE(back.gpu_state);
  EXPECT_EQ(back.gpu_state->reasons, 0x40u);
}

// Counts the runs made while armed; gives one sample per run made while armed.
class SampledExecutor final : public Executor, public GpuStateSampler {
 public:
  double run(std::vector<StepTime>*) override {
    ++(armed ? armed_runs : unarmed_runs);
    return 1;
  }
  VerifyResult verify(VerifyMode) override { return {}; }
  std::vector<unsigned char> output_bytes() override { return {}; }
  double step_alone_ms(int) override { return 0; }
  GpuStateSampler* gpu_state_sampler() override { return this; }
  void start() override { armed = true; }
  std::vector<GpuSample> stop() override {
    armed = false;
    return std::vector<GpuSample>(static_cast<size_t>(armed_runs), sample(1900, 600, 0x8));
  }
  bool armed = false;
  int armed_runs = 0, unarmed_runs = 0;
};

TEST(GpuState, MeasureArmsTheSamplerAroundTheTimedRunsOnly) {
  const MpiSession& mpi = mpi_session();
  MeasureSettings s;
  s.warmup = 3;
  s.warmup_ms = 0;
  s.iterations = 5;
  s.min_iterations = 1;
  SampledExecutor exec;
  const Measurement m = measure(exec, s, mpi.world());
  EXPECT_EQ(exec.unarmed_runs, 3);
  EXPECT_EQ(exec.armed_runs, 5);
  EXPECT_FALSE(exec.armed);
  ASSERT_TRUE(m.gpu_state);
  EXPECT_EQ(m.gpu_state->samples, 5);
  EXPECT_EQ(m.gpu_state->ranks, mpi.size());
  EXPECT_TRUE(throttled(*m.gpu_state));  // hw_slowdown
  struct NoSampler final : Executor {
    double run(std::vector<StepTime>*) override { return 1; }
    VerifyResult verify(VerifyMode) override { return {}; }
    std::vector<unsigned char> output_bytes() override { return {}; }
    double step_alone_ms(int) override { return 0; }
  } plain;
  EXPECT_FALSE(measure(plain, s, mpi.world()).gpu_state);
}

}  // namespace
}  // namespace cpb::test
