// The measured communication `cpbench calibrate --from` fits the transports from
// (docs/SIMULATOR.md, "Calibration"), read out of
//  - probe files (schema "cpbench-probe", `cpbench probe`): each OK row gives one
//    exchange instance of bytes_per_rank in comm_ms, and the interference of attention
//    and that exchange (fit_interference; fit_copy_engine_interference for ce and ce_host), under the file's params.profile;
//    rows of one (transport, profile) must share the step the probe posted first
//    (params.first, "attention" when absent: probes before the option): the orders
//    overlap differently, and a mean over both would be neither;
//  - result files of `cpbench run` (a "points" array; bus-bandwidth sweeps such as
//    configs/busbw.json are ordinary ones): each PASS record with comm_ms > 0 and
//    comm_bytes_per_rank > 0 gives its comm-only part, comm_bytes_per_rank in comm_ms
//    over the exchanges of its plan (the schedule's plan of rank 0 rebuilt from the
//    record's params, its Exchange steps counted as instances back to back), under the
//    record's transport and profile.
// Files of more than one node (provenance.nodes > 1) are refused: these fits are of the
// links inside a node.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/runtime.hpp"
#include "bench/sim/calibrate_fit.hpp"
#include "bench/sim/json_field.hpp"
#include "bench/sim/machine_model.hpp"

namespace cpb {

// Everything the files say about one transport under one profile.
struct TransportData {
  TransportKind transport = TransportKind::Nccl;
  Profile profile = Profile::Nvlink;
  std::vector<CommSample> comm;
  std::vector<Interference> interference;  // one per probe row
  std::vector<std::string> files;          // the files the samples came from, each once
  std::string probe_first;                 // the probe rows' params.first ("" before the first row)
  std::string probe_first_file;            // the file that set it
};

// The samples of every --from file, one TransportData per (transport, profile) in
// TransportKind, then Profile order. Throws UsageError naming the file and field for a
// file that cannot be read, is neither kind, or gives no sample at all.
std::vector<TransportData> read_comm_sources(const std::vector<std::string>& paths);

// The same for documents already read (`file` names each in messages; the tests).
void add_probe_doc(const nlohmann::json& doc, const std::string& file, std::vector<TransportData>& out);
void add_result_doc(const nlohmann::json& doc, const std::string& file, std::vector<TransportData>& out);

// The comm-only part of a record as a sample: `record` (params, schedule, comm_ms,
// comm_bytes_per_rank, chunks_chosen for chunks "auto") read with its path for messages.
CommSample record_comm_sample(const JsonField& record);

// One model per data set: latency_us and gbps from fit_alpha_beta over its comm samples,
// per_message_us 0 (folded into the latency: the data do not separate the two), the
// interference as the mean over its probe rows (none: 1 and 1, said in `source`), and
// `source` naming the files and how many samples of each kind.
std::vector<TransportModel> fit_transports(const std::vector<TransportData>& data);

}  // namespace cpb
