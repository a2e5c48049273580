// Reading --from files: the dispatch by kind, probe files, and the transport fits.
#include "bench/sim/calibrate_sources.hpp"

#include <algorithm>
#include <climits>

#include "bench/config/diagnostics.hpp"
#include "bench/config/json_file.hpp"
#include "bench/probe/probe_plan.hpp"
#include "bench/report/result_file.hpp"

namespace cpb {
namespace {

using nlohmann::json;

TransportData& data_for(std::vector<TransportData>& out, TransportKind t, Profile p, const std::string& file) {
  auto it = std::find_if(out.begin(), out.end(),
                         [&](const TransportData& d) { return d.transport == t && d.profile == p; });
  if (it == out.end()) {
    out.push_back(TransportData{t, p, {}, {}, {}, {}, {}});
    it = out.end() - 1;
  }
  if (std::find(it->files.begin(), it->files.end(), file) == it->files.end()) it->files.push_back(file);
  return *it;
}

// Refuses a file made on more than one node: the fits are of the links inside a node.
void check_single_node(const JsonField& root) {
  if (!root.has("provenance") || !root["provenance"].has("nodes")) return;
  const JsonField nodes = root["provenance"]["nodes"];
  if (nodes.integer(1, INT_MAX) > 1)
    nodes.fail(nodes.value().dump() + " nodes: calibrate fits the links inside one node", "files of one node");
}

void add_probe_row(const JsonField& row, Profile profile, const std::string& first, const std::string& file,
                   std::vector<TransportData>& out) {
  const TransportKind t = *parse_transport(row["transport"].name("a transport", transport_names()));
  const double attn = row["attn_ms"].positive();
  const double comm = row["comm_ms"].positive();
  const double both = row["both_ms"].positive();
  const double bytes = row["bytes_per_rank"].positive();
  const bool has_s = row.has("attn_slowdown") && !row["attn_slowdown"].value().is_null();
  const double slowdown = has_s ? row["attn_slowdown"].positive() : both / attn;
  TransportData& d = data_for(out, t, profile, file);
  if (d.probe_first.empty()) {
    d.probe_first = first;
    d.probe_first_file = file;
  } else if (d.probe_first != first) {
    row["transport"].fail("a probe row posted " + first + " first, but " + d.probe_first_file + " posted " +
                              d.probe_first + " first for transport " + to_string(t) + " under profile " +
                              to_string(profile),
                          "probe files of one order (params.first) per transport and profile");
  }
  d.comm.push_back(CommSample{bytes, comm, 1});
  const bool copy_engine = t == TransportKind::Ce || t == TransportKind::CeHost;
  d.interference.push_back(copy_engine ? fit_copy_engine_interference(attn, comm, both)
                                       : fit_interference(attn, comm, both, slowdown));
}

std::string count_of(size_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

}  // namespace

void add_probe_doc(const json& doc, const std::string& file, std::vector<TransportData>& out) {
  const JsonField root(&doc, file);
  root["schema"].name("a probe file schema", {"cpbench-probe"});
  const JsonField version = root["schema_version"];
  if (version.integer(0, INT_MAX) != 1) version.fail(version.value().dump() + " is not supported", "1");
  check_single_node(root);
  const Profile profile = *parse_profile(root["params"]["profile"].name("a profile", profile_names()));
  const std::string first =
      root["params"].has("first") ? root["params"]["first"].name("a probe order", probe_first_names()) : "attention";
  const JsonField rows = root["rows"];
  size_t used = 0;
  for (size_t i = 0, n = rows.size(); i < n; ++i) {
    if (rows.item(i)["status"].str() != "OK") continue;
    add_probe_row(rows.item(i), profile, first, file, out);
    ++used;
  }
  if (used == 0) rows.fail("no row has status \"OK\"", "a probe file with a measured row");
}

void add_result_doc(const json& doc, const std::string& file, std::vector<TransportData>& out) {
  const JsonField root(&doc, file);
  check_single_node(root);
  const JsonField points = root["points"];
  size_t used = 0;
  for (size_t i = 0, n = points.size(); i < n; ++i) {
    const JsonField r = points.item(i);
    if (r["status"].str() != "PASS") continue;
    const auto positive = [&](const char* key) {
      return r.has(key) && r[key].value().is_number() && r[key].value().get<double>() > 0;
    };
    if (!positive("comm_ms") || !positive("comm_bytes_per_rank")) continue;
    const JsonField params = r["params"];
    const TransportKind t = *parse_transport(params["transport"].name("a transport", transport_names()));
    const Profile p = *parse_profile(params["profile"].name("a profile", profile_names()));
    const CommSample s = record_comm_sample(r);
    data_for(out, t, p, file).comm.push_back(s);
    ++used;
  }
  if (used == 0)
    points.fail("no PASS record with comm_ms > 0 and comm_bytes_per_rank > 0",
                "a result file with timed comm-only parts (measure.isolate)");
}

std::vector<TransportData> read_comm_sources(const std::vector<std::string>& paths) {
  std::vector<TransportData> out;
  for (const std::string& path : paths) {
    const json doc = cfg::read_config_json(path, "--from file");
    if (doc.is_object() && doc.contains("schema")) {
      add_probe_doc(doc, path, out);
    } else if (doc.is_object() && doc.contains("points")) {
      add_result_doc(load_result_file(path), path, out);
    } else {
      cfg::fail(path, "neither a probe file (\"schema\": \"cpbench-probe\") nor a result file (\"points\")",
                "files written by cpbench probe or cpbench run");
    }
  }
  std::sort(out.begin(), out.end(), [](const TransportData& a, const TransportData& b) {
    return std::make_pair(a.transport, a.profile) < std::make_pair(b.transport, b.profile);
  });
  return out;
}

std::vector<TransportModel> fit_transports(const std::vector<TransportData>& data) {
  std::vector<TransportModel> out;
  for (const TransportData& d : data) {
    const std::string what = "transport " + to_string(d.transport) + " under profile " + to_string(d.profile);
    const AlphaBeta ab = fit_alpha_beta(d.comm, what);
    TransportModel m;
    m.transport = d.transport;
    m.profile = d.profile;
    m.latency_us = ab.latency_us;
    m.gbps = ab.gbps;
    m.source = count_of(d.comm.size(), "exchange timing") + " (" + count_of(d.interference.size(), "probe row") +
               (d.probe_first.empty() ? "" : ", " + d.probe_first + " posted first") + ") from " + cfg::join(d.files);
    if (d.interference.empty()) {
      m.source += "; no probe row: rate_beside_attention 1 and attention_slowdown 1 assumed";
      out.push_back(m);
      continue;
    }
    double r = 0, s = 0;
    for (const Interference& i : d.interference) {
      r += i.rate_beside_attention;
      s += i.attention_slowdown;
    }
    m.rate_beside_attention = r / static_cast<double>(d.interference.size());
    m.attention_slowdown = s / static_cast<double>(d.interference.size());
    out.push_back(m);
  }
  return out;
}

}  // namespace cpb
