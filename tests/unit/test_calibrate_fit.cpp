// The fits of cpbench calibrate on synthetic data: the planted latency, bandwidth and
// interference come back.
#include <gtest/gtest.h>

#include "bench/sim/calibrate_fit.hpp"
#include "bench/sim/calibrate_sources.hpp"
#include "tests/unit/test_config_util.hpp"

namespace cpb {
namespace {

// ms of `instances` instances of `latency_us` plus `bytes` at `gbps`.
CommSample planted(double bytes, int instances, double latency_us, double gbps) {
  return CommSample{bytes, instances * latency_us * 1e-3 + bytes / (gbps * 1e6), instances};
}

TEST(CalibrateFit, RecoversAPlantedLatencyAndBandwidth) {
  const AlphaBeta f = fit_alpha_beta({planted(1e6, 1, 25, 300), planted(64e6, 1, 25, 300), planted(1e9, 1, 25, 300)},
                                     "planted");
  EXPECT_NEAR(f.latency_us, 25, 1e-6);
  EXPECT_NEAR(f.gbps, 300, 1e-9);
}

TEST(CalibrateFit, CountsTheInstancesOfEachSample) {
  // A probe's single exchange and two-exchange comm-only parts of one line.
  const AlphaBeta f =
      fit_alpha_beta({planted(4e8, 1, 40, 350), planted(3e8, 2, 40, 350), planted(1.2e9, 2, 40, 350)}, "planted");
  EXPECT_NEAR(f.latency_us, 40, 1e-6);
  EXPECT_NEAR(f.gbps, 350, 1e-9);
}

TEST(CalibrateFit, IsTheLeastSquaresLineOfNoisyData) {
  // ms = 0.1 + 0.001 x plus residuals (+e, -2e, +e) that sum to 0 and are orthogonal to x.
  const double e = 0.01;
  const AlphaBeta f = fit_alpha_beta({{1e6, 0.1 + 1.0 + e, 1}, {2e6, 0.1 + 2.0 - 2 * e, 1}, {3e6, 0.1 + 3.0 + e, 1}},
                                     "noisy");
  EXPECT_NEAR(f.latency_us, 100, 1e-6);
  EXPECT_NEAR(f.gbps, 1.0, 1e-12);  // 1e6 bytes per ms
}

TEST(CalibrateFit, GoesThroughTheOriginForOneSizeOrANegativeLatency) {
  AlphaBeta f = fit_alpha_beta({planted(5e8, 1, 30, 200)}, "one");
  EXPECT_EQ(f.latency_us, 0);
  EXPECT_NEAR(f.gbps, 5e8 / (planted(5e8, 1, 30, 200).ms * 1e6), 1e-9);
  // Times that extrapolate below zero at zero bytes.
  f = fit_alpha_beta({{1e6, 0.5, 1}, {2e6, 1.5, 1}}, "negative");
  EXPECT_EQ(f.latency_us, 0);
  EXPECT_NEAR(f.gbps, (1e12 + 4e12) / (1e6 * 0.5 + 2e6 * 1.5) * 1e-6, 1e-9);
}

TEST(CalibrateFit, RefusesTimesThatDoNotGrowAndEmptyData) {
  EXPECT_TRUE(test::contains(test::usage_error([] { fit_alpha_beta({{1e6, 2.0, 1}, {2e6, 1.0, 1}}, "shrinking"); }),
                             "shrinking: the times do not grow with the bytes"));
  EXPECT_TRUE(test::contains(test::usage_error([] { fit_alpha_beta({}, "nothing"); }), "nothing: no timed sample"));
}

TEST(CalibrateFit, BandwidthModelIsTheSameFit) {
  const BandwidthModel b = fit_bandwidth({planted(1e6, 1, 4, 2500), planted(1e8, 1, 4, 2500)}, "copy");
  EXPECT_NEAR(b.launch_us, 4, 1e-6);
  EXPECT_NEAR(b.gbps, 2500, 1e-6);
}

TEST(CalibrateFit, InterferenceFromAProbeRow) {
  // Attention 10 ms slowed by 1.2 (12 ms); the 4 ms exchange ends 1 ms after it: it kept
  // (12 + 4 - 13) / 12 = 1/4 of its speed beside attention.
  Interference i = fit_interference(10, 4, 13, 1.2);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, 0.25);
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 1.2);
  // Fully hidden: the exchange ran at full speed beside attention.
  i = fit_interference(10, 4, 10, 1.0);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, 0.4);
  i = fit_interference(10, 0, 10, 1.0);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, 1);
  // No overlap and worse: clamped to 0; a slowdown below 1 (noise) counts as 1.
  i = fit_interference(10, 4, 20, 1.0);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, 0);
  i = fit_interference(10, 30, 5, 0.98);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, 1);
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 1);
}

TEST(CalibrateFit, CopyEngineInterferenceKeepsTheCopysSpeed) {
  // Attention 10 ms, a 4 ms copy, both 12 ms: attention at 1 / s during the copy's 4 ms
  // and alone after, 4 + (10 - 4 / s) = 12, so s = 2.
  Interference i = fit_copy_engine_interference(10, 4, 12);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, 1);
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 2);
  // Hidden (T = A, or below it by noise): neither slows the other.
  i = fit_copy_engine_interference(10, 4, 10);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, 1);
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 1);
  i = fit_copy_engine_interference(10, 4, 9.9);
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 1);
  // The copy the longer: it ends at 10 with 10 / s of attention done, the rest alone:
  // 10 + (4 - 10 / s) = 12, so s = 5. Ending with the copy (T = C) explains nothing.
  i = fit_copy_engine_interference(4, 10, 12);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, 1);
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 5);
  i = fit_copy_engine_interference(4, 10, 10);
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 1);
  i = fit_copy_engine_interference(4, 10, 14);  // T = A + C: the fallback
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 3.5);
  // No overlap at all (T >= A + C): rate 1 cannot explain it; the SM reading with s = T / A.
  i = fit_copy_engine_interference(10, 4, 15);
  EXPECT_DOUBLE_EQ(i.attention_slowdown, 1.5);
  EXPECT_DOUBLE_EQ(i.rate_beside_attention, (15.0 + 4 - 15) / 15);
}

TEST(CalibrateFit, TransportModelsAverageTheInterferenceAndNameTheirSources) {
  TransportData d;
  d.transport = TransportKind::Ce;
  d.profile = Profile::Nvlink;
  d.comm = {planted(1e8, 1, 10, 250), planted(1e9, 1, 10, 250)};
  d.interference = {Interference{0.5, 1.1}, Interference{0.25, 1.3}};
  d.files = {"a.json", "b.json"};
  TransportData bare = d;
  bare.transport = TransportKind::Mpi;
  bare.interference.clear();
  const std::vector<TransportModel> m = fit_transports({d, bare});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].transport, TransportKind::Ce);
  EXPECT_NEAR(m[0].latency_us, 10, 1e-6);
  EXPECT_NEAR(m[0].gbps, 250, 1e-9);
  EXPECT_EQ(m[0].per_message_us, 0);
  EXPECT_DOUBLE_EQ(m[0].rate_beside_attention, 0.375);
  EXPECT_DOUBLE_EQ(m[0].attention_slowdown, 1.2);
  EXPECT_EQ(m[0].source, "2 exchange timings (2 probe rows) from a.json, b.json");
  EXPECT_EQ(m[1].rate_beside_attention, 1);
  EXPECT_EQ(m[1].attention_slowdown, 1);
  EXPECT_TRUE(test::contains(m[1].source, "no probe row: rate_beside_attention 1 and attention_slowdown 1 assumed"));
}

}  // namespace
}  // namespace cpb
