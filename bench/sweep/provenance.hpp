// The provenance record of a result file: where, when, with what and how it was made.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/config/config.hpp"
#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// The hash of a resolved config: 16 hex digits of FNV-1a 64 over its compact JSON (keys
// sorted) less what does not change a measurement ("name", "description" and
// "measure.timeout", so a rerun with a longer --timeout resumes). Equal hashes: the same
// axes, overrides and measure settings. --resume keeps only the records of a file with
// this run's hash (bench/sweep/resume.hpp).
std::string config_hash(const nlohmann::json& resolved);

// Collective (gathers host names and GPUs). The commit of the binary (git, git_dirty,
// git_source: git_commit.hpp), host, hosts, world_size, nodes, runtime facts
// (runtime.describe(): the node's GPUs and the library versions from their runtime calls),
// every rank's GPU and each node's GPU links (rank_gpus, topology), MPI library version,
// cpbench version, UTC date, the command line, the NCCL_*/CPB_*/CUDA_*/CUDNN_*/OMPI_MCA_*
// environment (less the images' *_VERSION variables), the resolved config and its
// config_hash(), and the registry of names (registry_json()).
nlohmann::json make_provenance(const MpiSession& mpi, const Runtime& runtime,
                               const SweepConfig& cfg, const std::vector<std::string>& argv);

// The config into a provenance `p`: config_path, the resolved config and its config_hash().
void add_config_provenance(const SweepConfig& cfg, nlohmann::json& p);

// Not collective, for the commands that run no ranks (`simulate`, `advise`,
// `calibrate`'s files): the commit of the binary, host, UTC date, cpbench version, the
// command line, `runtime` and the registry of names.
nlohmann::json make_offline_provenance(const std::string& runtime, const std::vector<std::string>& argv);

}  // namespace cpb
