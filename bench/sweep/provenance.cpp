#include "bench/sweep/provenance.hpp"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <set>

#include "base/check.hpp"
#include "bench/sweep/registry_json.hpp"

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

std::vector<std::string> gather_hosts(const MpiSession& mpi) {
  constexpr int kLen = 256;
  std::vector<char> mine(kLen, '\0');
  mpi.host().copy(mine.data(), kLen - 1);
  std::vector<char> all(static_cast<size_t>(kLen) * mpi.size());
  CPB_MPI_CHECK(MPI_Allgather(mine.data(), kLen, MPI_CHAR, all.data(), kLen, MPI_CHAR, mpi.world()));
  std::vector<std::string> hosts;
  for (int r = 0; r < mpi.size(); ++r) hosts.emplace_back(all.data() + static_cast<size_t>(r) * kLen);
  return hosts;
}

nlohmann::json environment() {
  nlohmann::json env = nlohmann::json::object();
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    const size_t eq = kv.find('=');
    const std::string k = kv.substr(0, eq);
    for (const char* prefix : {"NCCL_", "CPB_", "CUDA_", "CUDNN_", "OMPI_MCA_"}) {
      if (k.rfind(prefix, 0) == 0) {
        env[k] = eq == std::string::npos ? "" : kv.substr(eq + 1);
        break;
      }
    }
  }
  return env;
}

bool is_version_key(const std::string& k) {
  for (const char* v : {"driver", "cuda_driver", "cuda_runtime", "nccl", "cudnn", "cudnn_frontend"})
    if (k == v) return true;
  return false;
}

}  // namespace

std::string config_hash(const nlohmann::json& resolved) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64 offset basis
  for (const unsigned char c : resolved.dump()) {
    h ^= c;
    h *= 0x100000001b3ull;  // FNV-1a 64 prime
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

nlohmann::json make_provenance(const MpiSession& mpi, const Runtime& runtime,
                               const SweepConfig& cfg, const std::vector<std::string>& argv) {
  nlohmann::json p;
  const std::vector<std::string> hosts = gather_hosts(mpi);
  p["host"] = mpi.host();
  p["hosts"] = std::set<std::string>(hosts.begin(), hosts.end());
  p["world_size"] = mpi.size();
  p["nodes"] = mpi.nodes();
  p["date"] = utc_now();
  p["git"] = CPBENCH_GIT_SHA;
  p["cpbench_version"] = CPBENCH_VERSION;
  p["command"] = argv;
  p["runtime"] = runtime.name();
  nlohmann::json versions = nlohmann::json::object();
  char mpi_version[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int len = 0;
  CPB_MPI_CHECK(MPI_Get_library_version(mpi_version, &len));
  std::string mv(mpi_version, static_cast<size_t>(len));
  if (const size_t nl = mv.find_first_of("\n,"); nl != std::string::npos) mv.resize(nl);
  versions["mpi"] = mv;
  // The runtime's facts: library versions, this rank's device, and the node's GPUs.
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
  p["env"] = environment();
  p["config_path"] = cfg.path;
  p["config"] = cfg.resolved;
  p["config_hash"] = config_hash(cfg.resolved);
  p["registry"] = registry_json();
  return p;
}

}  // namespace cpb
