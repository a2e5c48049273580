#include "bench/report/trace.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "base/atomic_file.hpp"

namespace cpb {
namespace {

constexpr double kUsPerMs = 1000.0;

double mid_us(const TraceStep& s) { return (s.start_ms + s.end_ms) / 2 * kUsPerMs; }

nlohmann::json metadata(const char* name, int pid, int tid, const nlohmann::json& args) {
  return {{"ph", "M"}, {"name", name}, {"pid", pid}, {"tid", tid}, {"args", args}};
}

// Where one end of an exchange is: rank, lane id and step index on that rank.
struct End {
  int rank;
  int tid;
  std::size_t step;
};
// (lane id, from, to) -> the sending (or receiving) steps in order.
using EndsByLink = std::map<std::tuple<int, int, int>, std::vector<End>>;

}  // namespace

nlohmann::json make_chrome_trace(const std::vector<std::vector<TraceStep>>& ranks, const nlohmann::json& meta) {
  std::vector<std::string> lanes;
  for (const auto& steps : ranks)
    for (const TraceStep& s : steps)
      if (std::find(lanes.begin(), lanes.end(), s.lane) == lanes.end()) lanes.push_back(s.lane);
  auto tid_of = [&lanes](const std::string& lane) {
    return 1 + static_cast<int>(std::find(lanes.begin(), lanes.end(), lane) - lanes.begin());
  };

  nlohmann::json events = nlohmann::json::array();
  EndsByLink sends, recvs;
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    const int pid = static_cast<int>(r);
    events.push_back(metadata("process_name", pid, 0, {{"name", "rank " + std::to_string(r)}}));
    events.push_back(metadata("process_sort_index", pid, 0, {{"sort_index", pid}}));
    std::vector<int> tids;
    for (const TraceStep& s : ranks[r]) {
      const int tid = tid_of(s.lane);
      if (std::find(tids.begin(), tids.end(), tid) != tids.end()) continue;
      tids.push_back(tid);
      events.push_back(metadata("thread_name", pid, tid, {{"name", s.lane}}));
      events.push_back(metadata("thread_sort_index", pid, tid, {{"sort_index", tid}}));
    }
    for (std::size_t i = 0; i < ranks[r].size(); ++i) {
      const TraceStep& s = ranks[r][i];
      const int tid = tid_of(s.lane);
      nlohmann::json args = {{"step", i}};
      if (s.bytes != 0) args["bytes"] = s.bytes;
      if (s.flops != 0) args["flops"] = s.flops;
      if (!s.send_peers.empty()) args["send_peers"] = s.send_peers;
      if (!s.recv_peers.empty()) args["recv_peers"] = s.recv_peers;
      events.push_back({{"ph", "X"},
                        {"name", s.label},
                        {"cat", s.kind},
                        {"pid", pid},
                        {"tid", tid},
                        {"ts", s.start_ms * kUsPerMs},
                        {"dur", std::max(0.0, s.end_ms - s.start_ms) * kUsPerMs},
                        {"args", args}});
      // A step listing a peer twice still sends to it once.
      std::vector<int> to = s.send_peers, from = s.recv_peers;
      for (auto* peers : {&to, &from}) {
        std::sort(peers->begin(), peers->end());
        peers->erase(std::unique(peers->begin(), peers->end()), peers->end());
      }
      for (int peer : to)
        if (peer != pid) sends[{tid, pid, peer}].push_back({pid, tid, i});
      for (int peer : from)
        if (peer != pid) recvs[{tid, peer, pid}].push_back({pid, tid, i});
    }
  }

  long long flow_id = 0;
  for (const auto& [link, senders] : sends) {
    const auto it = recvs.find(link);
    if (it == recvs.end()) continue;
    const std::vector<End>& receivers = it->second;
    for (std::size_t k = 0; k < std::min(senders.size(), receivers.size()); ++k) {
      const End& a = senders[k];
      const End& b = receivers[k];
      ++flow_id;
      events.push_back({{"ph", "s"}, {"id", flow_id}, {"cat", "exchange"}, {"name", "send"},
                        {"pid", a.rank}, {"tid", a.tid}, {"ts", mid_us(ranks[a.rank][a.step])}});
      events.push_back({{"ph", "f"}, {"bp", "e"}, {"id", flow_id}, {"cat", "exchange"}, {"name", "send"},
                        {"pid", b.rank}, {"tid", b.tid}, {"ts", mid_us(ranks[b.rank][b.step])}});
    }
  }

  return {{"traceEvents", std::move(events)},
          {"displayTimeUnit", "ms"},
          {"otherData", meta.is_null() ? nlohmann::json::object() : meta}};
}

void write_chrome_trace(const std::string& path, const nlohmann::json& trace) {
  write_file_atomically(path, trace.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace cpb
