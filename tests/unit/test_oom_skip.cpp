// An out-of-memory during a point: the runner reports that point SKIPPED with the bytes
// needed and free, on every rank, and the next point runs. A test runtime wraps the CPU
// runtime and runs out of memory where told to (in prepare(), or in verify()), on the last
// rank only, so that under mpirun the other ranks take the on_peer() path. The CPU
// runtime's own buffer limit likewise makes a point SKIPPED with the bytes, not a crash.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "base/out_of_memory.hpp"
#include "bench/runtime/cpu_runtime.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/point_runner.hpp"
#include "comm/oom_agreement.hpp"
#include "tests/unit/mpi_test_session.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

constexpr size_t kGiB = size_t{1} << 30;

bool last_rank() { return test::mpi_session().rank() == test::mpi_session().size() - 1; }

// Runs out of memory in verify(), on the last rank; otherwise the wrapped executor.
class VerifyOomExecutor final : public Executor {
 public:
  explicit VerifyOomExecutor(std::unique_ptr<Executor> inner) : inner_(std::move(inner)) {}
  double run(std::vector<StepTime>* steps) override { return inner_->run(steps); }
  VerifyResult verify(VerifyMode mode) override {
    if (last_rank()) throw OutOfMemory("device memory", 3 * kGiB, kGiB);
    return inner_->verify(mode);
  }
  std::vector<unsigned char> output_bytes() override { return inner_->output_bytes(); }
  double step_alone_ms(int step) override { return inner_->step_alone_ms(step); }

 private:
  std::unique_ptr<Executor> inner_;
};

// The CPU runtime, but a problem of `oom_S` tokens runs out of memory on the last rank:
// in prepare() (as the CUDA runtime's allocations, agreed before any collective), or in
// the executor's verify() when `in_verify`.
class OomRuntime final : public Runtime {
 public:
  OomRuntime(int64_t oom_S, bool in_verify)
      : cpu_(make_cpu_runtime(test::mpi_session())), oom_S_(oom_S), in_verify_(in_verify) {}
  std::string name() const override { return cpu_->name(); }
  std::vector<TransportKind> transports() const override { return cpu_->transports(); }
  Reason unsupported(const Problem& p, const RunOptions& opt) const override { return cpu_->unsupported(p, opt); }
  std::unique_ptr<Executor> prepare(const Problem& p, const Plan& plan, const RunOptions& opt) override {
    ++prepares;
    const bool oom = p.S == oom_S_;
    if (oom && in_verify_) return std::make_unique<VerifyOomExecutor>(cpu_->prepare(p, plan, opt));
    agree_on_oom(test::mpi_session().world(), [&] {
      if (oom && last_rank()) throw OutOfMemory("device memory", 2 * kGiB + kGiB / 2, kGiB / 4);
    });
    return cpu_->prepare(p, plan, opt);
  }
  std::vector<std::pair<std::string, std::string>> describe() const override { return cpu_->describe(); }

  int prepares = 0;

 private:
  std::unique_ptr<Runtime> cpu_;
  int64_t oom_S_;
  bool in_verify_;
};

Point ulysses_point(int index, int64_t S) {
  Point pt;
  pt.index = index;
  pt.schedule = "ulysses";
  const int P = test::mpi_session().size();
  pt.problem = test::make_problem(P, S, 2 * P, P, 16, 1, Mask::Causal);
  return pt;
}

class OomSkip : public ::testing::Test {
 protected:
  void SetUp() override {
    m_.warmup = 0;
    m_.warmup_ms = 0;
    m_.iterations = 2;
    m_.min_iterations = 1;
  }
  PointRecord run(Runtime& rt, const Point& pt) {
    PointContext ctx{rt, m_, test::mpi_session(), "", nullptr, {}, {}};
    return run_point(pt, ctx);
  }
  // The reason as rank 0 (which writes the result) has it.
  static std::string expected_reason(const std::string& message) {
    const int last = test::mpi_session().size() - 1;
    return last_rank() ? message : "rank " + std::to_string(last) + ": " + message;
  }
  MeasureSettings m_;
};

TEST(OutOfMemory, MessageNamesBytesNeededAndFree) {
  const OutOfMemory e("device memory", 2 * kGiB + kGiB / 2, kGiB / 4);
  EXPECT_STREQ(e.what(), "out of device memory: needs 2.50 GiB (2684354560 bytes), 0.25 GiB free");
  EXPECT_TRUE(e.on_this_rank());
  EXPECT_EQ(e.requested(), 2 * kGiB + kGiB / 2);
  EXPECT_EQ(e.available(), kGiB / 4);
  EXPECT_FALSE(OutOfMemory::on_peer().on_this_rank());
}

TEST(OutOfMemory, AgreementPassesValuesAndRethrows) {
  const MPI_Comm world = test::mpi_session().world();
  EXPECT_EQ(agree_on_oom(world, [] { return 7; }), 7);
  try {
    agree_on_oom(world, [] {
      if (last_rank()) throw OutOfMemory("pinned host memory", 10, 5);
      return 1;
    });
    FAIL() << "no OutOfMemory";
  } catch (const OutOfMemory& e) {
    EXPECT_EQ(e.on_this_rank(), last_rank());
    if (last_rank()) {
      EXPECT_EQ(e.requested(), 10u);
    }
  }
}

TEST_F(OomSkip, PrepareOutOfMemorySkipsThePointAndTheNextRuns) {
  OomRuntime rt(/*oom_S=*/128, /*in_verify=*/false);
  const PointRecord skipped = run(rt, ulysses_point(0, 128));
  EXPECT_EQ(skipped.status, "SKIPPED");
  EXPECT_EQ(skipped.reason, expected_reason("out of device memory: needs 2.50 GiB (2684354560 bytes), 0.25 GiB free"));
  EXPECT_FALSE(skipped.time_ms.has_value());
  EXPECT_EQ(rt.prepares, 1) << "nothing prepared after the failed one";
  const PointRecord next = run(rt, ulysses_point(1, 64));
  EXPECT_EQ(next.status, "PASS") << next.reason.value_or("");
  EXPECT_TRUE(next.time_ms.has_value());
}

TEST_F(OomSkip, VerifyOutOfMemorySkipsThePointAndTheNextRuns) {
  OomRuntime rt(/*oom_S=*/128, /*in_verify=*/true);
  const PointRecord skipped = run(rt, ulysses_point(0, 128));
  EXPECT_EQ(skipped.status, "SKIPPED");
  EXPECT_EQ(skipped.reason, expected_reason("out of device memory: needs 3.00 GiB (3221225472 bytes), 1.00 GiB free"));
  const PointRecord next = run(rt, ulysses_point(1, 64));
  EXPECT_EQ(next.status, "PASS") << next.reason.value_or("");
}

// "1.50 GiB (1610612736 bytes)", formatted here rather than by the code under test.
std::string bytes_and_gib(size_t bytes) {
  char gib[32];
  std::snprintf(gib, sizeof(gib), "%.2f GiB", static_cast<double>(bytes) / kGiB);
  return std::string(gib) + " (" + std::to_string(bytes) + " bytes)";
}

// This rank's plan of `pt` in bytes, each element as fp32 (the CPU runtime's buffers).
size_t cpu_plan_bytes(const Point& pt) {
  size_t bytes = 0;
  for (const Buffer& b : find_schedule(pt.schedule)->plan(pt.problem, test::mpi_session().rank()).buffers)
    bytes += static_cast<size_t>(b.elems) * 4;
  return bytes;
}

// The CPU runtime's buffer limit one byte below the last rank's plan (the others' limit
// is ample): SKIPPED on every rank with the bytes needed and the limit, not a crash nor
// FAILED; the next point, which fits, runs and reports its memory.
TEST_F(OomSkip, CpuBufferLimitSkipsThePointWithItsBytesOnEveryRank) {
  const Point big = ulysses_point(0, 128);
  const size_t need = cpu_plan_bytes(big);
  const size_t limit = last_rank() ? need - 1 : 100 * need;
  const std::unique_ptr<Runtime> cpu = make_cpu_runtime(test::mpi_session(), static_cast<double>(limit));
  const PointRecord skipped = run(*cpu, big);
  EXPECT_EQ(skipped.status, "SKIPPED");
  const int last = test::mpi_session().size() - 1;
  const size_t last_need = static_cast<size_t>(allreduce_max(last_rank() ? static_cast<double>(need) : 0.0));
  EXPECT_EQ(skipped.reason, expected_reason("the plan's buffers need " + bytes_and_gib(last_need) +
                                            " per rank; the cpu runtime's limit is " + bytes_and_gib(last_need - 1)))
      << "rank " << last << " refuses";
  EXPECT_FALSE(skipped.time_ms.has_value());
  EXPECT_FALSE(skipped.memory_bytes.has_value());
  const Point small = ulysses_point(1, 64);
  ASSERT_LT(cpu_plan_bytes(small), need);
  const PointRecord next = run(*cpu, small);
  EXPECT_EQ(next.status, "PASS") << next.reason.value_or("");
  EXPECT_EQ(next.memory_bytes, allreduce_max(static_cast<double>(cpu_plan_bytes(small))));
}

// prepare() of a plan over the last rank's limit (unsupported_plan() not asked): an
// OutOfMemory on every rank, this rank's own on the last, on_peer() on the others.
TEST_F(OomSkip, CpuPrepareOverTheLimitThrowsOnEveryRank) {
  const Point big = ulysses_point(0, 128);
  const size_t need = cpu_plan_bytes(big);
  const std::unique_ptr<Runtime> cpu =
      make_cpu_runtime(test::mpi_session(), static_cast<double>(last_rank() ? need - 1 : 100 * need));
  const Plan plan = find_schedule(big.schedule)->plan(big.problem, test::mpi_session().rank());
  RunOptions opt;
  opt.transport = TransportKind::Mpi;
  try {
    cpu->prepare(big.problem, plan, opt);
    FAIL() << "no OutOfMemory";
  } catch (const OutOfMemory& e) {
    EXPECT_EQ(e.on_this_rank(), last_rank());
    if (last_rank()) {
      EXPECT_EQ(e.requested(), need);
      EXPECT_EQ(e.available(), need - 1);
    }
  }
}

}  // namespace
}  // namespace cpb
