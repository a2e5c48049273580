// --scale-to-probe's factor (bench/sim/kernel_scale.hpp): the median over probe rows of
// the probe's attention time over the table's prediction, from probe files only.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/usage_error.hpp"
#include "bench/sim/kernel_scale.hpp"

namespace cpb {
namespace {

using nlohmann::json;

// One measured shape: 1024 x 1024 tokens, 8 heads (MHA), D = 64, full bf16, 2 ms. The
// probes below time exactly that call, so the table's prediction is 2 ms.
std::vector<KernelSample> table() {
  KernelSample k;
  k.q_tokens = k.k_tokens = 1024;
  k.heads = k.kv_heads = 8;
  k.head_dim = 64;
  k.ms = 2;
  return {k};
}

json probe(std::vector<json> rows) {
  return {{"schema", "cpbench-probe"},
          {"schema_version", 1},
          {"params",
           {{"profile", "nvlink"}, {"B", 1}, {"S", 1024}, {"heads_per_rank", 8}, {"D", 64}, {"mask", "full"},
            {"dtype", "bf16"}}},
          {"rows", rows}};
}
json ok_row(double attn_ms) { return {{"transport", "nccl"}, {"status", "OK"}, {"attn_ms", attn_ms}}; }

TEST(KernelScale, MedianOverTheOkRowsOfProbeFilesOnly) {
  const json skipped = {{"transport", "mpi"}, {"status", "SKIPPED"}};
  const json result = {{"points", json::array()}};
  // Ratios 1.1, 1.0 (file a), 1.3 (file c), 1.2 (file d): an even count, so the mean of
  // the middle two, 1.15; the result file b and the SKIPPED row count for nothing.
  const KernelScale s = probe_kernel_scale(
      table(), {probe({ok_row(2.2), skipped, ok_row(2.0)}), result, probe({ok_row(2.6)}), probe({ok_row(2.4)})},
      {"a.json", "b.json", "c.json", "d.json"});
  EXPECT_DOUBLE_EQ(s.factor, 1.15);
  EXPECT_EQ(s.ratios.size(), 4u);
  EXPECT_EQ(s.files, (std::vector<std::string>{"a.json", "c.json", "d.json"}));
  // An odd count: the middle ratio.
  EXPECT_DOUBLE_EQ(probe_kernel_scale(table(), {probe({ok_row(3), ok_row(2.2), ok_row(2.4)})}, {"a.json"}).factor,
                   1.2);
}

TEST(KernelScale, ScalesEverySampleAndRecordsTheFactor) {
  std::vector<KernelSample> t = table();
  scale_attention(t, 1.5);
  EXPECT_DOUBLE_EQ(t[0].ms, 3);
  const json j = to_json(KernelScale{1.5, {1.5}, {"a.json"}});
  EXPECT_EQ(j, (json{{"factor", 1.5}, {"ratios", {1.5}}, {"files", {"a.json"}}}));
}

std::string error_of(const std::vector<json>& docs) {
  try {
    probe_kernel_scale(table(), docs, std::vector<std::string>(docs.size(), "p.json"));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(KernelScale, RefusesWhatItCannotUseNamingTheFileAndField) {
  EXPECT_NE(error_of({}).find("--scale-to-probe: no --from file given"), std::string::npos);
  EXPECT_NE(error_of({probe({{{"transport", "mpi"}, {"status", "SKIPPED"}}})})
                .find("no --from file is a probe file with an OK row (p.json)"),
            std::string::npos);
  json d128 = probe({ok_row(2)});
  d128["params"]["D"] = 128;
  EXPECT_NE(error_of({d128}).find("p.json: params: --scale-to-probe cannot price the probe's attention: the machine "
                                  "model has no attention sample of head_dim 128"),
            std::string::npos);
  json sliding = probe({ok_row(2)});
  sliding["params"]["mask"] = "sliding_window";
  EXPECT_NE(error_of({sliding}).find("params.mask: \"sliding_window\" is not a probe mask; allowed: full, causal"),
            std::string::npos);
  json bad_time = probe({ok_row(-1)});
  EXPECT_NE(error_of({bad_time}).find("rows[0].attn_ms: -1"), std::string::npos);
}

}  // namespace
}  // namespace cpb
