// The --from files of cpbench calibrate: probe rows and result records read into comm
// samples and interference per (transport, profile), and their bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bench/schedule.hpp"
#include "bench/sim/calibrate_sources.hpp"
#include "tests/unit/test_config_util.hpp"

namespace cpb {
namespace {

using nlohmann::json;
using test::contains;
using test::usage_error;

json probe_row(const char* transport, double attn, double comm, double both, double bytes) {
  return {{"transport", transport}, {"status", "OK"},         {"attn_ms", attn},
          {"comm_ms", comm},        {"both_ms", both},        {"attn_slowdown", both / attn},
          {"bytes_per_rank", bytes}, {"hidden", 0},          {"comm_gbps", 1}};
}

json probe_doc() {
  return {{"schema", "cpbench-probe"},
          {"schema_version", 1},
          {"provenance", {{"nodes", 1}}},
          {"params", {{"profile", "pcie"}, {"P", 2}}},
          {"rows",
           {probe_row("nccl", 10, 4, 12, 4e8), probe_row("ce_host", 10, 2, 10, 4e8),
            {{"transport", "mpi"}, {"status", "SKIPPED"}, {"reason", "not CUDA-aware"}}}}};
}

// A PASS Ulysses record at P = 2 with a comm-only part.
json ulysses_record(int64_t S, double comm_ms, const char* layout = nullptr) {
  json params = {{"P", 2},        {"S", S},          {"H", 8},         {"Hkv", 8},
                 {"D", 64},       {"B", 1},          {"mask", "full"}, {"dtype", "bf16"},
                 {"transport", "nccl"}, {"profile", "nvlink"}};
  if (layout) params["qkv_layout"] = layout;
  return {{"schedule", "ulysses"}, {"params", params},          {"status", "PASS"},
          {"comm_ms", comm_ms},     {"comm_bytes_per_rank", 1e6 * static_cast<double>(S) / 1024}};
}

json result_doc(std::vector<json> points) {
  return {{"schema_version", 1}, {"provenance", {{"nodes", 1}}}, {"points", std::move(points)}};
}

TEST(CalibrateSources, ProbeRowsGiveOneInstanceAndTheInterference) {
  std::vector<TransportData> out;
  add_probe_doc(probe_doc(), "p.json", out);
  ASSERT_EQ(out.size(), 2u);  // the SKIPPED row gives nothing
  EXPECT_EQ(out[0].transport, TransportKind::Nccl);
  EXPECT_EQ(out[0].profile, Profile::Pcie);
  ASSERT_EQ(out[0].comm.size(), 1u);
  EXPECT_EQ(out[0].comm[0].bytes, 4e8);
  EXPECT_EQ(out[0].comm[0].ms, 4);
  EXPECT_EQ(out[0].comm[0].instances, 1);
  ASSERT_EQ(out[0].interference.size(), 1u);
  EXPECT_DOUBLE_EQ(out[0].interference[0].rate_beside_attention, 4.0 / 12.0);
  EXPECT_DOUBLE_EQ(out[0].interference[0].attention_slowdown, 1.2);
  EXPECT_EQ(out[0].files, std::vector<std::string>{"p.json"});
  EXPECT_EQ(out[1].transport, TransportKind::CeHost);
}

TEST(CalibrateSources, AMissingSlowdownIsBothOverAttention) {
  json doc = probe_doc();
  doc["rows"][0]["attn_slowdown"] = nullptr;
  std::vector<TransportData> out;
  add_probe_doc(doc, "p.json", out);
  EXPECT_DOUBLE_EQ(out[0].interference[0].attention_slowdown, 1.2);
}

TEST(CalibrateSources, RecordsCountTheExchangesOfTheirPlan) {
  std::vector<TransportData> out;
  add_result_doc(result_doc({ulysses_record(1024, 0.5), ulysses_record(4096, 1.5, "packed")}), "r.json", out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].comm.size(), 2u);
  Problem p;
  p.P = 2;
  p.S = 1024;
  p.H = p.Hkv = 8;
  p.D = 64;
  int exchanges = 0;
  for (const Step& s : find_schedule("ulysses")->plan(p, 0).steps) exchanges += s.is_comm() ? 1 : 0;
  EXPECT_GE(exchanges, 2);
  EXPECT_EQ(out[0].comm[0].instances, exchanges);
  EXPECT_EQ(out[0].comm[0].ms, 0.5);
  EXPECT_EQ(out[0].comm[0].bytes, 1e6);
  EXPECT_TRUE(out[0].interference.empty());
}

TEST(CalibrateSources, RecordsWithoutACommTimeAreLeftOut) {
  json no_comm = ulysses_record(1024, 0.5);
  no_comm.erase("comm_ms");
  json failed = ulysses_record(2048, 0.7);
  failed["status"] = "FAILED";
  json zero = ulysses_record(2048, 0);
  std::vector<TransportData> out;
  add_result_doc(result_doc({no_comm, failed, zero, ulysses_record(4096, 1.5)}), "r.json", out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].comm.size(), 1u);
  EXPECT_EQ(out[0].comm[0].ms, 1.5);
  EXPECT_TRUE(contains(usage_error([&] {
                         std::vector<TransportData> none;
                         add_result_doc(result_doc({no_comm, failed}), "r.json", none);
                       }),
                       "r.json: points: no PASS record with comm_ms > 0 and comm_bytes_per_rank > 0"));
}

TEST(CalibrateSources, ChunksAutoPlansWithTheChosenCount) {
  json r = ulysses_record(1024, 0.5);
  r["schedule"] = "hcms";
  r["params"]["chunks"] = "auto";
  r["chunks_chosen"] = 4;
  const CommSample s = record_comm_sample(JsonField(&r, "r.json", "points[0]"));
  Problem p;
  p.P = 2;
  p.S = 1024;
  p.H = p.Hkv = 8;
  p.D = 64;
  p.chunks = 4;
  p.chunks_auto = true;
  int exchanges = 0;
  for (const Step& st : find_schedule("hcms")->plan(p, 0).steps) exchanges += st.is_comm() ? 1 : 0;
  EXPECT_EQ(s.instances, exchanges);
  r.erase("chunks_chosen");
  EXPECT_TRUE(contains(usage_error([&] { record_comm_sample(JsonField(&r, "r.json", "points[0]")); }),
                       "r.json: points[0].chunks_chosen: missing"));
}

TEST(CalibrateSources, NamesBadFieldsOfProbeFiles) {
  const auto error = [](const std::function<void(json&)>& edit) {
    json doc = probe_doc();
    edit(doc);
    std::vector<TransportData> out;
    return usage_error([&] { add_probe_doc(doc, "p.json", out); });
  };
  EXPECT_TRUE(contains(error([](json& d) { d["rows"][1]["transport"] = "nvshmem"; }),
                       "p.json: rows[1].transport: \"nvshmem\" is not a transport; allowed: nccl, ce, ce_host, mpi"));
  EXPECT_TRUE(contains(error([](json& d) { d["params"]["profile"] = "nvlnk"; }),
                       "p.json: params.profile: \"nvlnk\" is not a profile"));
  EXPECT_TRUE(contains(error([](json& d) { d["rows"][0]["comm_ms"] = nullptr; }),
                       "p.json: rows[0].comm_ms: null is not a number; allowed: numbers > 0"));
  EXPECT_TRUE(contains(error([](json& d) { d["rows"][0]["bytes_per_rank"] = 0; }),
                       "p.json: rows[0].bytes_per_rank: 0 is not positive"));
  EXPECT_TRUE(contains(error([](json& d) { d["schema_version"] = 7; }), "p.json: schema_version: 7 is not supported"));
  EXPECT_TRUE(contains(error([](json& d) { d["provenance"]["nodes"] = 2; }),
                       "p.json: provenance.nodes: 2 nodes: calibrate fits the links inside one node"));
  EXPECT_TRUE(contains(error([](json& d) { d["rows"] = json::array({d["rows"][2]}); }),
                       "p.json: rows: no row has status \"OK\""));
}

TEST(CalibrateSources, NamesBadFieldsOfRecords) {
  const auto error = [](const std::function<void(json&)>& edit) {
    json r = ulysses_record(1024, 0.5);
    edit(r);
    std::vector<TransportData> out;
    return usage_error([&] { add_result_doc(result_doc({r}), "r.json", out); });
  };
  EXPECT_TRUE(contains(error([](json& r) { r["schedule"] = "ulyses"; }),
                       "r.json: points[0].schedule: \"ulyses\" is not a schedule"));
  EXPECT_TRUE(contains(error([](json& r) { r["params"]["transport"] = "auto"; }),
                       "r.json: points[0].params.transport: \"auto\" is not a transport"));
  EXPECT_TRUE(contains(error([](json& r) { r["params"]["qkv_layout"] = "zipped"; }),
                       "r.json: points[0].params.qkv_layout: \"zipped\" is not a qkv_layout value"));
  EXPECT_TRUE(contains(error([](json& r) { r["params"]["S"] = 1001; }),
                       "r.json: points[0].params: the schedule cannot split this problem"));
}

TEST(CalibrateSources, ReadsFilesByKindAndRefusesOthers) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "cpb_calibrate_sources";
  std::filesystem::create_directories(dir);
  const std::string probe = (dir / "probe.json").string(), result = (dir / "run.json").string(),
                    other = (dir / "other.json").string();
  std::ofstream(probe) << probe_doc().dump();
  json run = result_doc({ulysses_record(1024, 0.5)});
  run["complete"] = true;
  std::ofstream(result) << run.dump();
  std::ofstream(other) << R"({"axes": {}})";
  const std::vector<TransportData> out = read_comm_sources({result, probe});
  ASSERT_EQ(out.size(), 3u);  // nccl nvlink, nccl pcie, ce_host pcie: TransportKind, then Profile order
  EXPECT_EQ(out[0].profile, Profile::Nvlink);
  EXPECT_EQ(out[0].files, std::vector<std::string>{result});
  EXPECT_EQ(out[1].profile, Profile::Pcie);
  EXPECT_EQ(out[2].transport, TransportKind::CeHost);
  EXPECT_TRUE(contains(usage_error([&] { read_comm_sources({other}); }),
                       other + ": neither a probe file (\"schema\": \"cpbench-probe\") nor a result file"));
  EXPECT_TRUE(contains(usage_error([&] { read_comm_sources({(dir / "none.json").string()}); }), "none.json"));
  std::filesystem::remove_all(dir);
}

// The step a probe posted first (params.first; "attention" when absent) must be one per
// (transport, profile): the orders overlap differently. The models say which it was.
TEST(CalibrateSources, ProbeRowsOfOneTransportShareTheirOrder) {
  json exchange_first = probe_doc();
  exchange_first["params"]["first"] = "exchange";
  std::vector<TransportData> out;
  add_probe_doc(exchange_first, "x.json", out);
  add_probe_doc(exchange_first, "x2.json", out);
  EXPECT_EQ(out[0].probe_first, "exchange");
  EXPECT_TRUE(contains(fit_transports(out)[0].source, "2 probe rows, exchange posted first"));
  EXPECT_TRUE(contains(usage_error([&] { add_probe_doc(probe_doc(), "a.json", out); }),
                       "a.json: rows[0].transport: a probe row posted attention first, but x.json posted exchange "
                       "first for transport nccl under profile pcie; allowed: probe files of one order"));
  json bad = probe_doc();
  bad["params"]["first"] = "both";
  std::vector<TransportData> none;
  EXPECT_TRUE(contains(usage_error([&] { add_probe_doc(bad, "b.json", none); }),
                       "b.json: params.first: \"both\" is not a probe order; allowed: attention, exchange"));
}

TEST(CalibrateSources, FitsTheCommittedH200Probe) {
  // One probe row per transport: the bandwidth is the row's bytes over its time.
  const std::string path = std::string(CPB_SOURCE_DIR) + "/results/h200x2/2026-11-22_probe_nvlink.json";
  const std::vector<TransportModel> m = fit_transports(read_comm_sources({path}));
  ASSERT_EQ(m.size(), 3u);  // nccl, ce, ce_host; mpi was SKIPPED
  EXPECT_EQ(m[0].transport, TransportKind::Nccl);
  EXPECT_NEAR(m[0].gbps, 431308800 / 1.2622399926185608e-3 / 1e9, 1e-6);  // the row's comm_gbps
  EXPECT_EQ(m[0].latency_us, 0);
  EXPECT_NEAR(m[0].attention_slowdown, 1.024452845642417, 1e-12);
  EXPECT_GT(m[0].rate_beside_attention, 0);
  EXPECT_LT(m[0].rate_beside_attention, 0.05);  // the probe hid none of it
}

}  // namespace
}  // namespace cpb
