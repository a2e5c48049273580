// The machine file's JSON form: machine_model_from_json with its checks, and to_json.
#include <limits>
#include <map>
#include <tuple>

#include "base/usage_error.hpp"
#include "bench/config/json_file.hpp"
#include "bench/sim/json_field.hpp"
#include "bench/sim/machine_model.hpp"

namespace cpb {
namespace {

using nlohmann::json;

constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kTokensMax = std::numeric_limits<int64_t>::max();

int int_field(const JsonField& f, int64_t lo) { return static_cast<int>(f.integer(lo, kIntMax)); }

KernelSample read_sample(const JsonField& f) {
  f.only_keys({"q_tokens", "k_tokens", "heads", "kv_heads", "head_dim", "causal", "dtype", "ms"});
  KernelSample s;
  s.q_tokens = f["q_tokens"].integer(1, kTokensMax);
  s.k_tokens = f["k_tokens"].integer(1, kTokensMax);
  s.heads = int_field(f["heads"], 1);
  s.kv_heads = int_field(f["kv_heads"], 1);
  s.head_dim = int_field(f["head_dim"], 1);
  s.causal = f["causal"].boolean();
  parse_dtype(f["dtype"].name("a dtype", dtype_names()), &s.dtype);
  s.ms = f["ms"].positive();
  if (s.heads % s.kv_heads != 0)
    f["kv_heads"].fail(std::to_string(s.kv_heads) + " does not divide heads = " + std::to_string(s.heads),
                       "a divisor of heads");
  if (s.causal && s.q_tokens != s.k_tokens)
    f["k_tokens"].fail(std::to_string(s.k_tokens) + " differs from q_tokens = " + std::to_string(s.q_tokens) +
                           " in a causal sample",
                       "k_tokens == q_tokens when causal (the square tile on the diagonal)");
  return s;
}

std::vector<KernelSample> read_samples(const JsonField& f) {
  std::vector<KernelSample> out;
  std::map<std::tuple<int64_t, int64_t, int, int, int, bool, DType>, size_t> seen;
  for (size_t i = 0, n = f.size(); i < n; ++i) {
    const KernelSample s = read_sample(f.item(i));
    const auto key = std::make_tuple(s.q_tokens, s.k_tokens, s.heads, s.kv_heads, s.head_dim, s.causal, s.dtype);
    const auto [it, fresh] = seen.emplace(key, i);
    if (!fresh)
      f.item(i).fail("the same shape as attention[" + std::to_string(it->second) + "]", "one sample per shape");
    out.push_back(s);
  }
  return out;
}

BandwidthModel read_bandwidth(const JsonField& f) {
  f.only_keys({"launch_us", "gbps"});
  return BandwidthModel{f["launch_us"].non_negative(), f["gbps"].positive()};
}

TransportModel read_transport(const JsonField& f) {
  f.only_keys({"transport", "profile", "latency_us", "per_message_us", "gbps", "rate_beside_attention",
               "attention_slowdown", "source"});
  TransportModel t;
  t.transport = *parse_transport(f["transport"].name("a transport", transport_names()));
  t.profile = *parse_profile(f["profile"].name("a profile", profile_names()));
  t.latency_us = f["latency_us"].non_negative();
  t.per_message_us = f["per_message_us"].non_negative();
  t.gbps = f["gbps"].positive();
  t.rate_beside_attention = f["rate_beside_attention"].fraction();
  t.attention_slowdown = f["attention_slowdown"].at_least_one();
  t.source = f["source"].str();
  return t;
}

std::vector<TransportModel> read_transports(const JsonField& f) {
  std::vector<TransportModel> out;
  for (size_t i = 0, n = f.size(); i < n; ++i) {
    const TransportModel t = read_transport(f.item(i));
    for (size_t k = 0; k < out.size(); ++k)
      if (out[k].transport == t.transport && out[k].profile == t.profile)
        f.item(i).fail("the same transport and profile (" + to_string(t.transport) + ", " + to_string(t.profile) +
                           ") as transports[" + std::to_string(k) + "]",
                       "one model per transport and profile");
    out.push_back(t);
  }
  return out;
}

InterNodeModel read_inter_node(const JsonField& f) {
  f.only_keys({"gpus_per_node", "nic_gbps", "latency_us", "rate_beside_attention", "note"});
  InterNodeModel m;
  m.gpus_per_node = int_field(f["gpus_per_node"], 1);
  m.nic_gbps = f["nic_gbps"].positive();
  m.latency_us = f["latency_us"].non_negative();
  m.rate_beside_attention = f["rate_beside_attention"].fraction();
  m.note = f["note"].str();
  return m;
}

json sample_json(const KernelSample& s) {
  return {{"q_tokens", s.q_tokens}, {"k_tokens", s.k_tokens}, {"heads", s.heads},     {"kv_heads", s.kv_heads},
          {"head_dim", s.head_dim}, {"causal", s.causal},     {"dtype", to_string(s.dtype)}, {"ms", s.ms}};
}

json transport_json(const TransportModel& t) {
  return {{"transport", to_string(t.transport)},
          {"profile", to_string(t.profile)},
          {"latency_us", t.latency_us},
          {"per_message_us", t.per_message_us},
          {"gbps", t.gbps},
          {"rate_beside_attention", t.rate_beside_attention},
          {"attention_slowdown", t.attention_slowdown},
          {"source", t.source}};
}

}  // namespace

MachineModel machine_model_from_json(const json& j, const std::string& where) {
  const JsonField root(&j, where);
  root.only_keys({"schema", "schema_version", "name", "provenance", "attention", "copy", "merge", "transports",
                  "inter_node"});
  root["schema"].name("a machine file schema", {kMachineSchema});
  MachineModel m;
  const JsonField version = root["schema_version"];
  if (version.integer(0, kIntMax) != kMachineSchemaVersion)
    version.fail("schema version " + version.value().dump() + " is not supported by this cpbench",
                 std::to_string(kMachineSchemaVersion));
  m.name = root["name"].str();
  const JsonField prov = root["provenance"];
  if (!prov.present()) prov.fail("missing", "a JSON object");
  if (!prov.value().is_object()) prov.fail(prov.value().dump() + " is not an object", "a JSON object");
  m.provenance = prov.value();
  m.attention = read_samples(root["attention"]);
  m.copy = read_bandwidth(root["copy"]);
  m.merge = read_bandwidth(root["merge"]);
  m.transports = read_transports(root["transports"]);
  m.inter_node = read_inter_node(root["inter_node"]);
  return m;
}

MachineModel read_machine_model(const std::string& path) {
  return machine_model_from_json(cfg::read_config_json(path, "machine file"), path);
}

json to_json(const MachineModel& m) {
  json j;
  j["schema"] = kMachineSchema;
  j["schema_version"] = m.version;
  j["name"] = m.name;
  j["provenance"] = m.provenance.is_object() ? m.provenance : json::object();
  j["attention"] = json::array();
  for (const KernelSample& s : m.attention) j["attention"].push_back(sample_json(s));
  j["copy"] = {{"launch_us", m.copy.launch_us}, {"gbps", m.copy.gbps}};
  j["merge"] = {{"launch_us", m.merge.launch_us}, {"gbps", m.merge.gbps}};
  j["transports"] = json::array();
  for (const TransportModel& t : m.transports) j["transports"].push_back(transport_json(t));
  const InterNodeModel& n = m.inter_node;
  j["inter_node"] = {{"gpus_per_node", n.gpus_per_node},
                     {"nic_gbps", n.nic_gbps},
                     {"latency_us", n.latency_us},
                     {"rate_beside_attention", n.rate_beside_attention},
                     {"note", n.note}};
  return j;
}

}  // namespace cpb
