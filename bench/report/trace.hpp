// Chrome trace JSON (the "Trace Event Format", opened by Perfetto and chrome://tracing)
// of one run of one point: one process per rank, one thread per lane, one complete
// event per step, and flow arrows from each send to the matching receive on the peer.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpb {

// One executed step of one rank, as the trace shows it. The driver converts Plan steps
// and their StepTime into these.
struct TraceStep {
  std::string lane;             // thread of the trace: "compute", "comm", ...
  std::string label;            // event name: "a2a_in[c=1]"
  std::string kind;             // event category: "copy", "exchange", "attention", "merge"
  double start_ms = 0;          // relative to the run's start [ms]
  double end_ms = 0;            // [ms], >= start_ms
  double bytes = 0;             // bytes this step sends to other ranks (0: not shown)
  double flops = 0;             // FLOPs this step computes (0: not shown)
  std::vector<int> send_peers;  // ranks this step sends to (an exchange); self ignored
  std::vector<int> recv_peers;  // ranks this step receives from
};

// The trace of one run: ranks[r] holds rank r's steps.
//  - pid = rank, with process_name "rank N" and process_sort_index N metadata;
//  - tid = 1 + the index of the lane among all lane names in order of first appearance
//    (rank 0 first), the same on every rank, with thread_name metadata;
//  - one "X" event per step: ts and dur in microseconds, name = label, cat = kind, args
//    with the step's index on its rank and, where non-zero or non-empty, bytes, flops,
//    send_peers, recv_peers;
//  - flow events: the k-th step of lane L on rank A that sends to B is paired with the
//    k-th step of lane L on rank B that receives from A (the order every plan keeps:
//    plan.hpp); each pair gets an "s" event on the sender and an "f" event (binding
//    point "e") on the receiver, with a common id, cat "exchange", name "send", both at
//    the middle of their step so each binds to its own slice. Unpaired sends or
//    receives get no arrow.
// `meta` (e.g. the point's record) goes into "otherData". displayTimeUnit is "ms".
nlohmann::json make_chrome_trace(const std::vector<std::vector<TraceStep>>& ranks, const nlohmann::json& meta);

// Writes a trace made by make_chrome_trace to `path`, atomically (atomic_file.hpp).
// Throws std::system_error on failure.
void write_chrome_trace(const std::string& path, const nlohmann::json& trace);

}  // namespace cpb
