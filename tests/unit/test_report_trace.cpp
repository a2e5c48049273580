// Chrome trace JSON of one point (bench/report/trace.hpp).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <utility>

#include "bench/report/trace.hpp"

namespace cpb {
namespace {

TraceStep step(const std::string& lane, const std::string& label, const std::string& kind, double t0, double t1,
               std::vector<int> send = {}, std::vector<int> recv = {}) {
  TraceStep s;
  s.lane = lane;
  s.label = label;
  s.kind = kind;
  s.start_ms = t0;
  s.end_ms = t1;
  s.send_peers = std::move(send);
  s.recv_peers = std::move(recv);
  return s;
}

// Two ranks, HCMS-like with 2 chunks: each chunk's all-to-all on "comm" (to and from the
// other rank, plus a self transfer that must not get an arrow), attention on "compute".
std::vector<std::vector<TraceStep>> two_ranks() {
  std::vector<std::vector<TraceStep>> ranks(2);
  for (int r = 0; r < 2; ++r) {
    const int peer = 1 - r;
    auto& s = ranks[r];
    s.push_back(step("comm", "a2a_in[c=0]", "exchange", 0.0, 1.0, {peer, r}, {peer, r}));
    s.push_back(step("comm", "a2a_in[c=1]", "exchange", 1.0, 2.0, {peer}, {peer}));
    s.push_back(step("compute", "attn[c=0]", "attention", 1.0, 3.0));
    s.push_back(step("compute", "attn[c=1]", "attention", 3.0, 5.0));
    s.back().flops = 1e9;
    s[0].bytes = 4096;
  }
  return ranks;
}

std::vector<nlohmann::json> events_with(const nlohmann::json& trace, const std::string& ph) {
  std::vector<nlohmann::json> out;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == ph) out.push_back(e);
  return out;
}

TEST(ReportTrace, OneCompleteEventPerStepInMicroseconds) {
  const nlohmann::json t = make_chrome_trace(two_ranks(), {{"schedule", "hcms"}});
  const auto xs = events_with(t, "X");
  ASSERT_EQ(xs.size(), 8u);
  EXPECT_EQ(t["displayTimeUnit"], "ms");
  EXPECT_EQ(t["otherData"]["schedule"], "hcms");
  const nlohmann::json& attn = xs[3];  // rank 0, attn[c=1]
  EXPECT_EQ(attn["name"], "attn[c=1]");
  EXPECT_EQ(attn["cat"], "attention");
  EXPECT_DOUBLE_EQ(attn["ts"].get<double>(), 3000.0);
  EXPECT_DOUBLE_EQ(attn["dur"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(attn["args"]["flops"].get<double>(), 1e9);
  EXPECT_EQ(attn["args"]["step"], 3);
  EXPECT_FALSE(attn["args"].contains("bytes"));
  EXPECT_DOUBLE_EQ(xs[0]["args"]["bytes"].get<double>(), 4096.0);
}

TEST(ReportTrace, OneProcessPerRankOneThreadPerLane) {
  const nlohmann::json t = make_chrome_trace(two_ranks(), nullptr);
  EXPECT_TRUE(t["otherData"].is_object());
  std::map<int, std::string> processes;
  std::map<std::pair<int, int>, std::string> threads;
  for (const auto& e : events_with(t, "M")) {
    if (e["name"] == "process_name") processes[e["pid"]] = e["args"]["name"];
    if (e["name"] == "thread_name") threads[{e["pid"], e["tid"]}] = e["args"]["name"];
  }
  EXPECT_EQ(processes, (std::map<int, std::string>{{0, "rank 0"}, {1, "rank 1"}}));
  // Lanes numbered by first appearance, the same on every rank.
  const std::map<std::pair<int, int>, std::string> want = {
      {{0, 1}, "comm"}, {{0, 2}, "compute"}, {{1, 1}, "comm"}, {{1, 2}, "compute"}};
  EXPECT_EQ(threads, want);
  for (const auto& e : events_with(t, "X"))
    EXPECT_EQ(threads.at({e["pid"], e["tid"]}), e["cat"] == "exchange" ? "comm" : "compute");
}

TEST(ReportTrace, FlowsPairTheKthSendWithTheKthReceive) {
  const auto ranks = two_ranks();
  const nlohmann::json t = make_chrome_trace(ranks, nullptr);
  const auto starts = events_with(t, "s");
  const auto finishes = events_with(t, "f");
  // 2 exchanges x 2 directions; the self transfer gets none.
  ASSERT_EQ(starts.size(), 4u);
  ASSERT_EQ(finishes.size(), 4u);
  std::map<long long, nlohmann::json> by_id;
  for (const auto& s : starts) by_id[s["id"]] = s;
  std::set<std::pair<double, double>> pairs;
  for (const auto& f : finishes) {
    EXPECT_EQ(f["bp"], "e");
    const nlohmann::json& s = by_id.at(f["id"]);
    EXPECT_EQ(s["cat"], f["cat"]);
    EXPECT_EQ(s["name"], f["name"]);
    EXPECT_NE(s["pid"], f["pid"]);
    EXPECT_EQ(s["tid"], 1);
    EXPECT_EQ(f["tid"], 1);
    // Both ends at the middle of the k-th exchange of their rank: the same k.
    EXPECT_DOUBLE_EQ(s["ts"].get<double>(), f["ts"].get<double>());
    pairs.insert({s["ts"].get<double>(), f["ts"].get<double>()});
  }
  EXPECT_EQ(pairs, (std::set<std::pair<double, double>>{{500, 500}, {1500, 1500}}));
}

TEST(ReportTrace, UnmatchedSendsGetNoArrow) {
  auto ranks = two_ranks();
  ranks[1][1].recv_peers.clear();  // rank 1 does not receive the second chunk
  const nlohmann::json t = make_chrome_trace(ranks, nullptr);
  EXPECT_EQ(events_with(t, "s").size(), 3u);
  EXPECT_EQ(events_with(t, "f").size(), 3u);
}

}  // namespace
}  // namespace cpb
