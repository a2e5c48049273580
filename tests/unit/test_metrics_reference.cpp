// fill_derived_metrics: which Ulysses and Ring rows a row is compared with (the NCCL
// baseline without levers of the same problem and profile, else the row's own way of
// moving bytes), that rho comes from that baseline, and that the isolated parts are
// matched to the serial Ulysses row of the row's transport (comp_scale).
#include <gtest/gtest.h>

#include "bench/report/metrics.hpp"

namespace cpb::test {
namespace {

using nlohmann::json;

json row(const std::string& schedule, const std::string& transport, double t, double comp, double comm,
         json extra_params = json::object(), const std::string& profile = "nvlink") {
  json params = {{"P", 2}, {"S", 1024}, {"H", 8}, {"Hkv", 8}, {"D", 64}, {"B", 1}, {"mask", "full"},
                 {"dtype", "bf16"}, {"transport", transport}, {"profile", profile}};
  for (const auto& [k, v] : extra_params.items()) params[k] = v;
  return {{"schedule", schedule}, {"params", params}, {"status", "PASS"}, {"time_ms", {{"p50", t}}},
          {"comp_ms", comp}, {"comm_ms", comm}};
}

TEST(MetricsReference, EveryTransportIsComparedWithUlyssesOverNccl) {
  std::vector<json> rs = {row("ulysses", "nccl", 12, 10, 2), row("ulysses", "ce", 11, 10, 1),
                          row("hcms", "ce", 10, 10, 1, {{"chunks", 4}}),
                          row("hcms", "nccl", 11, 10, 2, {{"chunks", 4}, {"nccl_ctas", 4}})};
  fill_derived_metrics(rs);
  EXPECT_DOUBLE_EQ(rs[1]["speedup"]["vs_ulysses"].get<double>(), 12.0 / 11);
  EXPECT_DOUBLE_EQ(rs[2]["speedup"]["vs_ulysses"].get<double>(), 12.0 / 10);
  EXPECT_DOUBLE_EQ(rs[3]["speedup"]["vs_ulysses"].get<double>(), 12.0 / 11);
  // rho of the problem, from the NCCL baseline: 2 / 12 for every row.
  for (const json& r : rs) EXPECT_DOUBLE_EQ(r["rho"].get<double>(), 2.0 / 12);
}

TEST(MetricsReference, ALeverRowIsNotTheBaseline) {
  std::vector<json> rs = {row("ulysses", "nccl", 9, 8, 1, {{"attn_sms", 100}}), row("hcms", "nccl", 10, 8, 2)};
  fill_derived_metrics(rs);
  // No lever-free NCCL Ulysses and no Ulysses moving bytes like the hcms row: no speedup.
  EXPECT_FALSE(rs[1]["speedup"].contains("vs_ulysses"));
  EXPECT_EQ(rs[1]["rho_source"], "self");
}

TEST(MetricsReference, APackedQkvRowIsComparedWithTheSeparateBaseline) {
  std::vector<json> rs = {row("ulysses", "nccl", 10, 9, 1, {{"qkv_layout", "packed"}}),
                          row("ulysses", "nccl", 12, 10, 2)};
  fill_derived_metrics(rs);
  EXPECT_DOUBLE_EQ(rs[0]["speedup"]["vs_ulysses"].get<double>(), 12.0 / 10);
  EXPECT_DOUBLE_EQ(rs[0]["rho"].get<double>(), 2.0 / 12);
}

TEST(MetricsReference, WithoutNcclTheSameTransportIsTheReference) {
  std::vector<json> rs = {row("ulysses", "mpi", 20, 10, 10), row("hcms", "mpi", 16, 10, 10, {{"chunks", 2}})};
  fill_derived_metrics(rs);
  EXPECT_DOUBLE_EQ(rs[1]["speedup"]["vs_ulysses"].get<double>(), 20.0 / 16);
}

TEST(MetricsReference, WithoutNcclAPackedRowIsComparedWithTheSeparateRowOfItsTransport) {
  const json packed = {{"qkv_layout", "packed"}};
  std::vector<json> rs = {row("ulysses", "mpi", 18, 10, 8, packed), row("ulysses", "mpi", 20, 10, 10),
                          row("hcms", "mpi", 16, 10, 8, {{"chunks", 2}, {"qkv_layout", "packed"}}),
                          row("ring", "mpi", 25, 10, 15)};
  fill_derived_metrics(rs);
  EXPECT_DOUBLE_EQ(rs[2]["speedup"]["vs_ulysses"].get<double>(), 20.0 / 16);
  EXPECT_DOUBLE_EQ(rs[2]["speedup"]["vs_ring"].get<double>(), 25.0 / 16);
  EXPECT_DOUBLE_EQ(rs[0]["speedup"]["vs_ulysses"].get<double>(), 20.0 / 18);
  EXPECT_DOUBLE_EQ(rs[2]["rho"].get<double>(), 10.0 / 20);
}

TEST(MetricsReference, ProfilesNeverMix) {
  std::vector<json> rs = {row("ulysses", "nccl", 12, 10, 2, json::object(), "nvlink"),
                          row("hcms", "ce_host", 10, 10, 5, {{"chunks", 4}}, "pcie")};
  fill_derived_metrics(rs);
  EXPECT_FALSE(rs[1]["speedup"].contains("vs_ulysses"));
}

// pcie-like numbers: serial Ulysses runs in 18 ms against parts of 10 + 9 ms alone (its
// compute runs faster inside the plan's idle gaps), so its compute counts 18 - 9 = 9 ms:
// scale 0.9, rho 9 / 18, and HCMS's eta from parts 9 + 9: (18 - 12) / (18 - 9).
TEST(MetricsReference, PartsAreMatchedToTheSerialUlyssesOfTheirTransport) {
  std::vector<json> rs = {row("ulysses", "nccl", 18, 10, 9, json::object(), "pcie"),
                          row("hcms", "nccl", 12, 10, 9, {{"chunks", 4}}, "pcie"),
                          row("ulysses", "ce_host", 14, 10, 6, json::object(), "pcie"),
                          row("hcms", "ce_host", 11, 10, 6, {{"chunks", 4}}, "pcie")};
  for (int i = 0; i < 4; ++i) rs[i]["index"] = i;
  fill_derived_metrics(rs);
  EXPECT_DOUBLE_EQ(rs[0]["comp_scale"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(rs[1]["comp_scale"].get<double>(), 0.9);
  EXPECT_EQ(rs[1]["comp_scale_from"], 0);
  EXPECT_DOUBLE_EQ(rs[1]["rho"].get<double>(), 9.0 / 18);
  EXPECT_DOUBLE_EQ(rs[1]["rho_unmatched"].get<double>(), 9.0 / 19);
  EXPECT_DOUBLE_EQ(rs[1]["bound"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(rs[1]["eta"].get<double>(), 6.0 / 9);
  EXPECT_DOUBLE_EQ(rs[1]["eta_unmatched"].get<double>(), 7.0 / 9);
  EXPECT_NEAR(rs[0]["eta"].get<double>(), 0.0, 1e-12);  // serial Ulysses: no overlap by construction
  // ce_host rows take ce_host Ulysses's scale, (14 - 6) / 10, and rho stays the NCCL baseline's.
  EXPECT_DOUBLE_EQ(rs[3]["comp_scale"].get<double>(), 0.8);
  EXPECT_EQ(rs[3]["comp_scale_from"], 2);
  EXPECT_DOUBLE_EQ(rs[3]["rho"].get<double>(), 9.0 / 18);
  EXPECT_DOUBLE_EQ(rs[3]["eta"].get<double>(), (14.0 - 11) / (14 - 8));
}

// Without parts of the NCCL baseline, rho comes from the row's own serial Ulysses, scaled,
// and every row of the problem shows it.
TEST(MetricsReference, WithoutBaselinePartsRhoComesFromTheRowsOwnSerialUlysses) {
  json nccl = row("ulysses", "nccl", 18, 10, 9, json::object(), "pcie");
  nccl.erase("comp_ms");
  nccl.erase("comm_ms");
  std::vector<json> rs = {nccl, row("ulysses", "ce_host", 14, 10, 6, json::object(), "pcie"),
                          row("hcms", "ce_host", 11, 10, 6, {{"chunks", 4}}, "pcie")};
  fill_derived_metrics(rs);
  for (int i : {1, 2}) {
    EXPECT_EQ(rs[i]["rho_source"], "ulysses") << i;
    EXPECT_DOUBLE_EQ(rs[i]["rho"].get<double>(), 6.0 / 14) << i;
    EXPECT_DOUBLE_EQ(rs[i]["rho_unmatched"].get<double>(), 6.0 / 16) << i;
  }
}

// Serial Ulysses with a scale has eta 0 by construction and no interval; the other rows
// keep theirs (from their own rounds and the serial row's, which sets the scale).
TEST(MetricsReference, SerialUlyssesHasNoEtaInterval) {
  const json rounds = json::array({{{"samples", {18.0, 18.2, 17.9}}}, {{"samples", {18.1, 18.0, 18.3}}}});
  std::vector<json> rs = {row("ulysses", "nccl", 18, 10, 9, json::object(), "pcie"),
                          row("hcms", "nccl", 12, 10, 9, {{"chunks", 4}}, "pcie")};
  rs[0]["rounds"] = rounds;
  rs[1]["rounds"] = json::array({{{"samples", {12.0, 12.1, 11.9}}}, {{"samples", {12.2, 12.0, 12.1}}}});
  fill_derived_metrics(rs);
  EXPECT_FALSE(rs[0].contains("eta_ci"));
  EXPECT_TRUE(rs[1].contains("eta_ci"));
}

TEST(MetricsReference, NoSerialUlyssesOfTheTransportMeansUnmatchedParts) {
  std::vector<json> rs = {row("ulysses", "nccl", 18, 10, 9, json::object(), "pcie"),
                          row("hcms", "ce_host", 11, 10, 6, {{"chunks", 4}}, "pcie")};
  fill_derived_metrics(rs);
  EXPECT_FALSE(rs[1].contains("comp_scale"));
  EXPECT_FALSE(rs[1].contains("eta_unmatched"));
  EXPECT_DOUBLE_EQ(rs[1]["eta"].get<double>(), (16.0 - 11) / (16 - 10));
  // A Ulysses row whose comm part alone exceeds its whole time gives no scale.
  std::vector<json> odd = {row("ulysses", "nccl", 8, 10, 9)};
  fill_derived_metrics(odd);
  EXPECT_FALSE(odd[0].contains("comp_scale"));
  EXPECT_DOUBLE_EQ(odd[0]["rho"].get<double>(), 9.0 / 19);
}

}  // namespace
}  // namespace cpb::test
