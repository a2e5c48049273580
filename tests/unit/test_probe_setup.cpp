// cpbench probe: its options checked before anything runs (bench/probe/probe_setup.hpp).
#include <gtest/gtest.h>

#include <cmath>

#include "bench/probe/probe_setup.hpp"

namespace cpb {
namespace {

// A runtime that offers some transports and runs nothing.
class NamesOnly final : public Runtime {
 public:
  std::string name() const override { return "fake"; }
  std::vector<TransportKind> transports() const override {
    return {TransportKind::Nccl, TransportKind::Ce, TransportKind::Mpi};
  }
  Reason unsupported(const Problem&, const RunOptions&) const override { return std::nullopt; }
  std::unique_ptr<Executor> prepare(const Problem&, const Plan&, const RunOptions&) override { return nullptr; }
  std::vector<std::pair<std::string, std::string>> describe() const override { return {}; }
};

// The UsageError message of probe_setup(args, world), or "" when it accepts them.
std::string error_of(const ProbeArgs& args, int world = 2) {
  try {
    probe_setup(args, world);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(ProbeSetup, DefaultsAreTheWanShapeAtTwoRanks) {
  const ProbeSetup s = probe_setup(ProbeArgs{}, 2);
  EXPECT_EQ(s.shape.S, 56160);
  EXPECT_EQ(s.problem.H, 20);
  EXPECT_EQ(s.shape.D, 128);
  EXPECT_EQ(s.shape.dtype, DType::BF16);
  EXPECT_EQ(s.profile, "nvlink");
  EXPECT_FALSE(s.bytes_given);
  EXPECT_EQ(s.bytes_per_rank(), int64_t{431308800});
  EXPECT_DOUBLE_EQ(s.measure.max_seconds, MeasureSettings{}.max_seconds);
  EXPECT_EQ(s.measure.iterations, MeasureSettings{}.iterations);
}

TEST(ProbeSetup, ExplicitBytesAndSeconds) {
  ProbeArgs a;
  a.H = 6;
  a.bytes = 1000;
  a.bytes_given = true;
  a.seconds = 2.5;
  const ProbeSetup s = probe_setup(a, 3);
  EXPECT_EQ(s.peer_elems, 125);  // 1000 bytes over 2 peers, 4 bytes each
  EXPECT_EQ(s.bytes_per_rank(), 1000);
  EXPECT_DOUBLE_EQ(s.measure.max_seconds, 2.5);
  EXPECT_EQ(probe_params(s, {"mpi"}, "cpu")["bytes_source"], "--bytes");
}

TEST(ProbeSetup, BadOptionsNameTheOptionTheValueAndWhatIsAllowed) {
  ProbeArgs a;
  a.dtype = "bf17";
  const std::string dtype = error_of(a);
  EXPECT_TRUE(contains(dtype, "--dtype") && contains(dtype, "bf17") && contains(dtype, "allowed: bf16")) << dtype;

  a = ProbeArgs{};
  a.S = 0;
  const std::string s = error_of(a);
  EXPECT_TRUE(contains(s, "--S: 0 is not positive") && contains(s, "allowed")) << s;

  a = ProbeArgs{};
  a.transports = {"nccl", "nvshmem"};
  const std::string t = error_of(a);
  EXPECT_TRUE(contains(t, "--transports") && contains(t, "nvshmem") && contains(t, "ce_host")) << t;

  a = ProbeArgs{};
  a.profile = "infiniband";
  EXPECT_TRUE(contains(error_of(a), "--profile")) << error_of(a);

  a = ProbeArgs{};
  a.seconds = 0;
  EXPECT_TRUE(contains(error_of(a), "--seconds")) << error_of(a);

  a = ProbeArgs{};
  a.H = 6;
  a.bytes = 4;  // 4 bytes over 2 peers
  a.bytes_given = true;
  const std::string b = error_of(a, 3);
  EXPECT_TRUE(contains(b, "--bytes") && contains(b, "at least 8")) << b;

  a = ProbeArgs{};
  a.bytes = -1;
  a.bytes_given = true;
  EXPECT_TRUE(contains(error_of(a), "--bytes: -1")) << error_of(a);
}

TEST(ProbeSetup, WorldSizeMustSplitTheHeadsAndHavePeers) {
  const std::string one = error_of(ProbeArgs{}, 1);
  EXPECT_TRUE(contains(one, "world size 1") && contains(one, "2 or more ranks")) << one;
  const std::string three = error_of(ProbeArgs{}, 3);  // H = 40
  EXPECT_TRUE(contains(three, "--H: 40") && contains(three, "multiple of 3")) << three;
  ProbeArgs a;
  a.S = 3;
  const std::string tiny = error_of(a, 4);  // S < P: a Ulysses all-to-all of 0 bytes
  EXPECT_TRUE(contains(tiny, "--S: 3") && contains(tiny, "--bytes")) << tiny;
}

TEST(ProbeSetup, TransportsResolveOnTheRuntime) {
  NamesOnly rt;
  ProbeSetup s = probe_setup(ProbeArgs{}, 2);
  EXPECT_EQ(probe_transports(s, rt), (std::vector<std::string>{"nccl", "ce", "mpi"}));
  ProbeArgs a;
  a.transports = {"mpi", "auto", "ce_host", "nccl"};
  s = probe_setup(a, 2);
  // "auto" is the runtime's default; a transport named twice is measured once; one the
  // runtime does not offer stays, to be reported SKIPPED.
  EXPECT_EQ(probe_transports(s, rt), (std::vector<std::string>{"mpi", "nccl", "ce_host"}));
}

TEST(ProbeSetup, ParamsDescribeTheRun) {
  const ProbeSetup s = probe_setup(ProbeArgs{}, 2);
  const nlohmann::json p = probe_params(s, {"nccl", "ce"}, "cuda");
  EXPECT_EQ(p["P"], 2);
  EXPECT_EQ(p["S"], 56160);
  EXPECT_EQ(p["H"], 40);
  EXPECT_EQ(p["heads_per_rank"], 20);
  EXPECT_EQ(p["dtype"], "bf16");
  EXPECT_EQ(p["bytes_per_rank"], 431308800);
  EXPECT_EQ(p["bytes_source"], "ulysses_input");
  EXPECT_EQ(p["transports"], nlohmann::json({"nccl", "ce"}));
  EXPECT_EQ(p["runtime"], "cuda");
  EXPECT_EQ(p["measure"]["iterations"], MeasureSettings{}.iterations);
}

}  // namespace
}  // namespace cpb
