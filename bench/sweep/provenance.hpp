// The provenance record of a result file: where, when, with what and how it was made.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/config/config.hpp"
#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// Collective (gathers host names). host, hosts, world_size, nodes, runtime facts
// (runtime.describe(): GPUs and library versions), MPI library version, cpbench version
// and git SHA, UTC date, the command line, the NCCL_*/CPB_*/CUDA_*/OMPI_MCA_* environment,
// the resolved config and its config_hash(), and the registry of names (registry_json()).
// The hash of a resolved config: 16 hex digits of FNV-1a 64 over its compact JSON (keys
// sorted). Equal hashes: the same axes, overrides and measure settings. --resume keeps
// only the records of a file with this run's hash (bench/sweep/resume.hpp).
std::string config_hash(const nlohmann::json& resolved);

nlohmann::json make_provenance(const MpiSession& mpi, const Runtime& runtime,
                               const SweepConfig& cfg, const std::vector<std::string>& argv);

}  // namespace cpb
