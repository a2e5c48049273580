#include "bench/sweep/provenance.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <set>
#include <utility>

#include "base/check.hpp"
#include "base/fnv1a.hpp"
#include "bench/sweep/git_commit.hpp"
#include "bench/sweep/registry_json.hpp"
#include "comm/watchdog.hpp"

extern char** environ;

namespace cpb {
namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Collective: every rank's string, in rank order, on every rank.
std::vector<std::string> allgather_strings(const std::string& mine, MPI_Comm comm) {
  int size = 1;
  CPB_MPI_CHECK(MPI_Comm_size(comm, &size));
  const int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<size_t>(size)), offsets(static_cast<size_t>(size));
  CPB_MPI_WAIT(MPI_Allgather, &len, 1, MPI_INT, lens.data(), 1, MPI_INT, comm);
  int total = 0;
  for (int r = 0; r < size; ++r) {
    offsets[static_cast<size_t>(r)] = total;
    total += lens[static_cast<size_t>(r)];
  }
  std::vector<char> all(static_cast<size_t>(total) + 1);
  CPB_MPI_WAIT(MPI_Allgatherv, mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR, comm);
  std::vector<std::string> out;
  for (int r = 0; r < size; ++r)
    out.emplace_back(all.data() + offsets[static_cast<size_t>(r)], static_cast<size_t>(lens[static_cast<size_t>(r)]));
  return out;
}

// The NVIDIA images' NCCL_VERSION, CUDA_VERSION and CUDNN_VERSION name what the image
// installed, not what this process loaded; the versions come from the libraries' own
// calls (provenance "versions"), so these are left out rather than recorded twice.
bool is_image_version_variable(const std::string& k) {
  return k == "NCCL_VERSION" || k == "CUDA_VERSION" || k == "CUDNN_VERSION";
}

nlohmann::json environment() {
  nlohmann::json env = nlohmann::json::object();
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    const size_t eq = kv.find('=');
    const std::string k = kv.substr(0, eq);
    if (is_image_version_variable(k)) continue;
    for (const char* prefix : {"NCCL_", "CPB_", "CUDA_", "CUDNN_", "OMPI_MCA_"}) {
      if (k.rfind(prefix, 0) == 0) {
        env[k] = eq == std::string::npos ? "" : kv.substr(eq + 1);
        break;
      }
    }
  }
  return env;
}

// The Slurm job the ranks run in, from the writing rank's environment; null outside one.
// step_id: the job step that rank runs in (srun's; absent where mpirun started it on the
// allocation's first node).
nlohmann::json slurm_job() {
  if (!std::getenv("SLURM_JOB_ID")) return nullptr;
  nlohmann::json job = nlohmann::json::object();
  for (const auto& [key, var] : {std::pair{"job_id", "SLURM_JOB_ID"}, std::pair{"job_name", "SLURM_JOB_NAME"},
                                 std::pair{"nodelist", "SLURM_JOB_NODELIST"}, std::pair{"step_id", "SLURM_STEP_ID"},
                                 std::pair{"ntasks", "SLURM_NTASKS"}, std::pair{"partition", "SLURM_JOB_PARTITION"},
                                 std::pair{"cluster", "SLURM_CLUSTER_NAME"}})
    if (const char* v = std::getenv(var)) job[key] = v;
  return job;
}

bool is_version_key(const std::string& k) {
  for (const char* v : {"driver", "cuda_driver", "cuda_runtime", "nccl", "cudnn", "cudnn_frontend"})
    if (k == v || k == std::string(v) + "_compiled") return true;
  return false;
}

std::string mpi_library_version() {
  char mpi_version[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int len = 0;
  CPB_MPI_CHECK(MPI_Get_library_version(mpi_version, &len));
  std::string mv(mpi_version, static_cast<size_t>(len));
  if (const size_t nl = mv.find_first_of("\n,"); nl != std::string::npos) mv.resize(nl);
  return mv;
}

// The runtime's facts into `p`: "versions" (with MPI's), "device" (this rank's) and "gpus"
// (the node's visible devices).
void add_runtime_facts(const Runtime& runtime, nlohmann::json& p) {
  nlohmann::json versions = {{"mpi", mpi_library_version()}};
  nlohmann::json device = nlohmann::json::object();
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& kv : runtime.describe()) {
    if (kv.first == "gpus") {
      for (size_t start = 0; start <= kv.second.size();) {
        const size_t comma = kv.second.find(", ", start);
        gpus.push_back(kv.second.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 2;
      }
    } else if (is_version_key(kv.first)) {
      versions[kv.first] = kv.second;
    } else {
      device[kv.first] = kv.second;
    }
  }
  p["gpus"] = gpus;
  p["device"] = device;
  p["versions"] = versions;
}

// Collective. "rank_gpus": every rank's GPU (rank_gpu() with its rank and host), and
// "topology": per host, the links between the GPUs its ranks use (in rank order). Neither
// for a runtime without GPUs.
void add_gpu_topology(const MpiSession& mpi, const Runtime& runtime, const std::vector<std::string>& hosts,
                      nlohmann::json& p) {
  const std::vector<std::string> gpus = allgather_strings(runtime.rank_gpu().dump(), mpi.world());
  nlohmann::json rank_gpus = nlohmann::json::array();
  std::vector<std::string> my_node_uuids;
  for (int r = 0; r < mpi.size(); ++r) {
    nlohmann::json g = nlohmann::json::parse(gpus[static_cast<size_t>(r)]);
    if (g.is_null()) continue;
    const std::string uuid = g.value("uuid", "");
    if (hosts[static_cast<size_t>(r)] == mpi.host() &&
        std::find(my_node_uuids.begin(), my_node_uuids.end(), uuid) == my_node_uuids.end())
      my_node_uuids.push_back(uuid);
    g["rank"] = r;
    g["host"] = hosts[static_cast<size_t>(r)];
    rank_gpus.push_back(g);
  }
  const std::vector<std::string> topos = allgather_strings(runtime.topology(my_node_uuids).dump(), mpi.world());
  if (rank_gpus.empty()) return;
  nlohmann::json topology = nlohmann::json::object();
  for (int r = 0; r < mpi.size(); ++r)
    if (!topology.contains(hosts[static_cast<size_t>(r)]))
      topology[hosts[static_cast<size_t>(r)]] = nlohmann::json::parse(topos[static_cast<size_t>(r)]);
  p["rank_gpus"] = rank_gpus;
  p["topology"] = topology;
}

}  // namespace

std::string config_hash(const nlohmann::json& resolved) {
  nlohmann::json measured = resolved;  // what changes the numbers: not the names, not the timeout
  if (measured.is_object()) {
    measured.erase("name");
    measured.erase("description");
    if (measured.contains("measure") && measured["measure"].is_object()) measured["measure"].erase("timeout");
  }
  return hex16(fnv1a64_text(measured.dump()));
}

nlohmann::json make_provenance(const MpiSession& mpi, const Runtime& runtime,
                               const SweepConfig& cfg, const std::vector<std::string>& argv) {
  nlohmann::json p = make_offline_provenance(runtime.name(), argv);
  const std::vector<std::string> hosts = allgather_strings(mpi.host(), mpi.world());
  p["host"] = mpi.host();
  p["hosts"] = std::set<std::string>(hosts.begin(), hosts.end());
  p["world_size"] = mpi.size();
  p["nodes"] = mpi.nodes();
  add_runtime_facts(runtime, p);
  add_gpu_topology(mpi, runtime, hosts, p);
  p["env"] = environment();
  if (nlohmann::json job = slurm_job(); !job.is_null()) p["slurm"] = std::move(job);
  add_config_provenance(cfg, p);
  return p;
}

void add_config_provenance(const SweepConfig& cfg, nlohmann::json& p) {
  p["config_path"] = cfg.path;
  p["config"] = cfg.resolved;
  p["config_hash"] = config_hash(cfg.resolved);
}

nlohmann::json make_offline_provenance(const std::string& runtime, const std::vector<std::string>& argv) {
  nlohmann::json p = commit_json(build_commit());
  char host[256] = {0};
  p["host"] = gethostname(host, sizeof(host) - 1) == 0 ? std::string(host) : std::string("unknown");
  p["date"] = utc_now();
  p["cpbench_version"] = CPBENCH_VERSION;
  p["command"] = argv;
  p["runtime"] = runtime;
  p["registry"] = registry_json();
  return p;
}

}  // namespace cpb
