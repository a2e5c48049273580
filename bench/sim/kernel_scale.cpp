#include "bench/sim/kernel_scale.hpp"

#include <algorithm>
#include <climits>

#include "base/usage_error.hpp"
#include "bench/config/diagnostics.hpp"
#include "bench/config/json_file.hpp"
#include "bench/sim/json_field.hpp"
#include "bench/sim/kernel_table.hpp"

namespace cpb {
namespace {

using nlohmann::json;

bool is_probe(const json& doc) { return doc.is_object() && doc.contains("schema"); }

// The attention call a probe file timed alone, from its params.
TileShape probe_tile(const JsonField& params) {
  TileShape t;
  t.batch = params["B"].integer(1, INT_MAX);
  t.q_tokens = t.k_tokens = params["S"].integer(1, LLONG_MAX);
  t.heads = t.kv_heads = params["heads_per_rank"].integer(1, INT_MAX);
  t.head_dim = params["D"].integer(1, INT_MAX);
  t.causal = params["mask"].name("a probe mask", {"full", "causal"}) == "causal";
  parse_dtype(params["dtype"].name("a dtype", dtype_names()), &t.dtype);
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

KernelScale probe_kernel_scale(const std::vector<KernelSample>& table, const std::vector<json>& docs,
                               const std::vector<std::string>& files) {
  const KernelTable kernels(table);
  KernelScale s;
  for (size_t f = 0; f < docs.size(); ++f) {
    if (!is_probe(docs[f])) continue;
    const JsonField root(&docs[f], files[f]);
    root["schema"].name("a probe file schema", {"cpbench-probe"});
    const TileShape tile = probe_tile(root["params"]);
    double predicted = 0;
    try {
      predicted = kernels.ms(tile);
    } catch (const UsageError& e) {
      throw UsageError(files[f] + ": params: --scale-to-probe cannot price the probe's attention: " + e.what());
    }
    const JsonField rows = root["rows"];
    const size_t before = s.ratios.size();
    for (size_t i = 0, n = rows.size(); i < n; ++i)
      if (rows.item(i)["status"].str() == "OK") s.ratios.push_back(rows.item(i)["attn_ms"].positive() / predicted);
    if (s.ratios.size() > before) s.files.push_back(files[f]);
  }
  if (s.ratios.empty())
    throw UsageError("--scale-to-probe: " +
                     (files.empty() ? std::string("no --from file given")
                                    : "no --from file is a probe file with an OK row (" + cfg::join(files) + ")") +
                     "; allowed: files written by cpbench probe among --from");
  s.factor = median(s.ratios);
  return s;
}

KernelScale probe_kernel_scale(const std::vector<KernelSample>& table, const std::vector<std::string>& paths) {
  std::vector<json> docs;
  for (const std::string& path : paths) docs.push_back(cfg::read_config_json(path, "--from file"));
  return probe_kernel_scale(table, docs, paths);
}

void scale_attention(std::vector<KernelSample>& table, double factor) {
  for (KernelSample& k : table) k.ms *= factor;
}

json to_json(const KernelScale& s) { return {{"factor", s.factor}, {"ratios", s.ratios}, {"files", s.files}}; }

}  // namespace cpb
