// The machine model file: to_json and machine_model_from_json round trip, and every bad
// input is a UsageError naming the field, the value and what is allowed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "bench/sim/machine_model.hpp"
#include "tests/unit/test_config_util.hpp"
#include "tests/unit/test_machine_model_util.hpp"

namespace cpb {
namespace {

using nlohmann::json;
using test::contains;
using test::usage_error;

std::string error_of(const std::function<void(json&)>& edit) {
  json j = to_json(test::sample_machine());
  edit(j);
  return usage_error([&] { machine_model_from_json(j, "m.json"); });
}

TEST(MachineModelFile, RoundTripsExactly) {
  const MachineModel m = test::sample_machine();
  const json j = to_json(m);
  EXPECT_EQ(j["schema"], "cpbench-machine");
  EXPECT_EQ(j["schema_version"], 1);
  const MachineModel back = machine_model_from_json(json::parse(j.dump(2)), "m.json");
  EXPECT_EQ(to_json(back), j);
  EXPECT_EQ(back.name, "test");
  ASSERT_EQ(back.attention.size(), 2u);
  EXPECT_EQ(back.attention[1].q_tokens, 2048);
  EXPECT_EQ(back.attention[1].kv_heads, 8);
  EXPECT_EQ(back.attention[1].head_dim, 64);
  EXPECT_TRUE(back.attention[1].causal);
  EXPECT_EQ(back.attention[1].ms, 0.3);
  EXPECT_EQ(back.copy.launch_us, 4.5);
  EXPECT_EQ(back.merge.gbps, 1200.75);
  ASSERT_EQ(back.transports.size(), 2u);
  EXPECT_EQ(back.transports[1].transport, TransportKind::CeHost);
  EXPECT_EQ(back.transports[1].profile, Profile::Pcie);
  EXPECT_EQ(back.transports[0].per_message_us, 1.25);
  EXPECT_EQ(back.transports[0].rate_beside_attention, 0.375);
  EXPECT_EQ(back.transports[0].attention_slowdown, 1.0625);
  EXPECT_EQ(back.inter_node.gpus_per_node, 4);
  EXPECT_EQ(back.inter_node.note, "stated");
  EXPECT_EQ(back.provenance["git"], "abc");
}

TEST(MachineModelFile, NumbersSurviveTheTextForm) {
  MachineModel m = test::sample_machine();
  m.attention[0].ms = 0.1 + 0.2;  // not a short decimal
  m.transports[0].gbps = 1.0 / 3.0;
  const MachineModel back = machine_model_from_json(json::parse(to_json(m).dump()), "m.json");
  EXPECT_EQ(back.attention[0].ms, m.attention[0].ms);
  EXPECT_EQ(back.transports[0].gbps, m.transports[0].gbps);
}

TEST(MachineModelFile, ReadsAFileAndNamesItInErrors) {
  const std::string path = (std::filesystem::temp_directory_path() / "cpb_machine_model_io.json").string();
  std::ofstream(path) << to_json(test::sample_machine()).dump(2);
  EXPECT_EQ(to_json(read_machine_model(path)), to_json(test::sample_machine()));
  std::ofstream(path) << R"({"schema": "cpbench-machine", "schema_version": 1})";
  EXPECT_TRUE(contains(usage_error([&] { read_machine_model(path); }), path + ": name: missing"));
  std::filesystem::remove(path);
  EXPECT_TRUE(contains(usage_error([&] { read_machine_model(path); }), path));
}

TEST(MachineModelFile, RefusesOtherSchemasAndVersions) {
  EXPECT_TRUE(contains(error_of([](json& j) { j["schema"] = "cpbench-probe"; }),
                       "m.json: schema: \"cpbench-probe\" is not a machine file schema; allowed: cpbench-machine"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["schema_version"] = 2; }),
                       "m.json: schema_version: schema version 2 is not supported by this cpbench; allowed: 1"));
  EXPECT_TRUE(contains(error_of([](json& j) { j.erase("schema"); }), "m.json: schema: missing"));
}

TEST(MachineModelFile, NamesMissingAndMistypedFields) {
  EXPECT_TRUE(contains(error_of([](json& j) { j["copy"].erase("gbps"); }),
                       "m.json: copy.gbps: missing; allowed: numbers > 0"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["attention"][1]["causal"] = "yes"; }),
                       "m.json: attention[1].causal: \"yes\" is not true or false"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["attention"][0]["heads"] = 8.5; }),
                       "m.json: attention[0].heads: 8.5 is not an integer"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["transports"] = json::object(); }),
                       "m.json: transports: {} is not an array"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["provenance"] = 3; }), "m.json: provenance: 3 is not an object"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["inter_node"]["note"] = 1; }),
                       "m.json: inter_node.note: 1 is not a string"));
}

TEST(MachineModelFile, RefusesUnknownKeysWithASuggestion) {
  const std::string e = error_of([](json& j) { j["merge"]["gbs"] = 1; });
  EXPECT_TRUE(contains(e, "m.json: merge.gbs: \"gbs\" is not a field here; allowed: launch_us, gbps"));
  EXPECT_TRUE(contains(e, "did you mean \"gbps\""));
}

TEST(MachineModelFile, ChecksRanges) {
  EXPECT_TRUE(contains(error_of([](json& j) { j["transports"][0]["gbps"] = 0; }),
                       "m.json: transports[0].gbps: 0 is not positive; allowed: numbers > 0"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["merge"]["gbps"] = -3; }), "merge.gbps: -3 is not positive"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["copy"]["launch_us"] = -1; }),
                       "copy.launch_us: -1 is not non-negative; allowed: numbers >= 0"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["transports"][1]["rate_beside_attention"] = 1.5; }),
                       "transports[1].rate_beside_attention: 1.5 is not in [0, 1]; allowed: numbers from 0 to 1"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["inter_node"]["rate_beside_attention"] = -0.5; }),
                       "inter_node.rate_beside_attention: -0.5 is not in [0, 1]"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["transports"][0]["attention_slowdown"] = 0.9; }),
                       "transports[0].attention_slowdown: 0.9 is not at least 1; allowed: numbers >= 1"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["attention"][0]["ms"] = 0; }),
                       "attention[0].ms: 0 is not positive"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["attention"][0]["q_tokens"] = 0; }),
                       "attention[0].q_tokens: 0 is out of range; allowed: integers from 1 to"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["inter_node"]["gpus_per_node"] = 0; }),
                       "inter_node.gpus_per_node: 0 is out of range"));
}

TEST(MachineModelFile, NamesUnknownNamesWithTheAllowedOnes) {
  EXPECT_TRUE(contains(error_of([](json& j) { j["transports"][0]["transport"] = "nvshmem"; }),
                       "transports[0].transport: \"nvshmem\" is not a transport; allowed: nccl, ce, ce_host, mpi"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["transports"][0]["profile"] = "nvlnk"; }),
                       "transports[0].profile: \"nvlnk\" is not a profile; allowed: nvlink, pcie"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["attention"][1]["dtype"] = "fp8"; }),
                       "attention[1].dtype: \"fp8\" is not a dtype; allowed: bf16, fp16, fp32"));
}

TEST(MachineModelFile, RefusesInconsistentSamplesAndDuplicates) {
  EXPECT_TRUE(contains(error_of([](json& j) { j["attention"][0]["kv_heads"] = 3; }),
                       "attention[0].kv_heads: 3 does not divide heads = 8"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["attention"][1]["k_tokens"] = 4096; }),
                       "attention[1].k_tokens: 4096 differs from q_tokens = 2048 in a causal sample"));
  EXPECT_TRUE(contains(error_of([](json& j) { j["attention"].push_back(j["attention"][0]); }),
                       "attention[2]: the same shape as attention[0]; allowed: one sample per shape"));
  EXPECT_TRUE(contains(error_of([](json& j) {
                         j["transports"][1]["transport"] = "nccl";
                         j["transports"][1]["profile"] = "nvlink";
                       }),
                       "transports[1]: the same transport and profile (nccl, nvlink) as transports[0]"));
}

TEST(MachineModelFile, FindsTransportsByKindAndProfile) {
  const MachineModel m = test::sample_machine();
  ASSERT_TRUE(find_transport(m, TransportKind::CeHost, Profile::Pcie));
  EXPECT_EQ(find_transport(m, TransportKind::CeHost, Profile::Pcie)->gbps, 38.5);
  EXPECT_FALSE(find_transport(m, TransportKind::CeHost, Profile::Nvlink));
  EXPECT_FALSE(find_transport(m, TransportKind::Mpi, Profile::Nvlink));
}

TEST(MachineModelFile, BandwidthTimeIsLaunchPlusBytesOverRate) {
  EXPECT_DOUBLE_EQ(bandwidth_ms(BandwidthModel{5, 2}, 4e6), 0.005 + 2.0);  // 4 MB at 2 GB/s: 2 ms
  EXPECT_DOUBLE_EQ(bandwidth_ms(BandwidthModel{0, 1000}, 0), 0);
}

}  // namespace
}  // namespace cpb
