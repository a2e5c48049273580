// On a GPU: the CUDA executor's GPU state sampler reads clocks, power, temperature and the
// other processes on the GPU through NVML while measure() runs the timed loop, and the
// runtime's provenance facts name the GPU by UUID, its links, and the library versions
// from their runtime calls.
#include <gtest/gtest.h>

#include <signal.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "bench/report/gpu_state.hpp"
#include "bench/runtime/cuda/cuda_runtime.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/measure.hpp"
#include "tests/gpu/gpu_mpi_session.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace cpb {
namespace {

// The GPU state of a timed loop of `iterations` runs of one rank's Ulysses attention on
// its GPU; none when measure() recorded none.
std::optional<GpuState> timed_loop_state(const MpiSession& mpi, int iterations) {
  auto rt = make_cuda_runtime(mpi);
  Problem p;
  p.P = 1;
  p.S = 4096;
  p.H = 8;
  p.Hkv = 8;
  p.D = 128;
  p.dtype = DType::BF16;
  RunOptions opt;
  opt.transport = TransportKind::Nccl;
  auto exec = rt->prepare(p, find_schedule("ulysses")->plan(p, 0), opt);
  MeasureSettings s;
  s.warmup = 2;
  s.iterations = iterations;
  s.min_iterations = iterations;
  return measure(*exec, s, mpi.world()).gpu_state;
}

TEST(CudaGpuState, TheTimedLoopIsSampledThroughNvml) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 1) GTEST_SKIP() << "a one-rank test";
  const std::optional<GpuState> state = timed_loop_state(mpi, 200);
  ASSERT_TRUE(state);
  const GpuState& g = *state;
  std::printf("[gpu state] %s\n", nlohmann::json(g).dump().c_str());
  EXPECT_GE(g.samples, 2);  // one when armed, one when disarmed, more every period
  EXPECT_GT(g.sm_clock_mhz.min, 0);
  EXPECT_GE(g.sm_clock_mhz.max, g.sm_clock_mhz.median);
  EXPECT_GT(g.mem_clock_mhz.median, 0);
  EXPECT_GT(g.power_w.max, 0);
  EXPECT_GT(g.temperature_c.max, 0);
}

// A second process with a CUDA context on this rank's GPU (device 0 of the same
// CUDA_VISIBLE_DEVICES), through the driver API from Python, so no second binary is
// built: prints "ready <pid>" once its context holds memory, then waits to be stopped
// (at most 10 minutes).
constexpr const char* kContextHolder =
    "python3 -c \"import ctypes, os, time; c = ctypes.CDLL('libcuda.so.1'); d = ctypes.c_int(); "
    "x = ctypes.c_void_p(); m = ctypes.c_uint64(); "
    "ok = c.cuInit(0) == 0 and c.cuDeviceGet(ctypes.byref(d), 0) == 0 and "
    "c.cuDevicePrimaryCtxRetain(ctypes.byref(x), d) == 0 and c.cuCtxSetCurrent(x) == 0 and "
    "c.cuMemAlloc_v2(ctypes.byref(m), ctypes.c_size_t(1 << 20)) == 0; "
    "print(f'ready {os.getpid()}' if ok else 'no context', flush=True); time.sleep(600)\"";

TEST(CudaGpuState, AnotherProcessOnTheGpuIsCounted) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 1) GTEST_SKIP() << "a one-rank test";
  const GpuState alone = timed_loop_state(mpi, 100).value_or(GpuState{});
  if (std::isnan(alone.other_processes))
    GTEST_SKIP() << "NVML does not list this process among the GPU's compute processes here";
  // Tests run side by side (sanitize_gpu.sh) share the GPU: then the helper's own count
  // cannot be told apart.
  if (alone.other_processes > 0)
    GTEST_SKIP() << "the GPU already runs " << alone.other_processes << " other process(es)";
  FILE* holder = popen(kContextHolder, "r");
  ASSERT_NE(holder, nullptr);
  char line[64] = {0};
  int pid = 0;
  const bool ready = std::fgets(line, sizeof line, holder) && std::sscanf(line, "ready %d", &pid) == 1 && pid > 0;
  const GpuState shared = ready ? timed_loop_state(mpi, 100).value_or(GpuState{}) : GpuState{};
  if (ready) kill(pid, SIGTERM);
  pclose(holder);  // waits for the helper's end
  ASSERT_TRUE(ready) << "the helper made no CUDA context: " << line;
  std::printf("[gpu state beside another process] %s\n", nlohmann::json(shared).dump().c_str());
  EXPECT_GE(shared.other_processes, 1);
  EXPECT_TRUE(shared_gpu(shared));
}

TEST(CudaGpuState, ProvenanceNamesTheGpuItsLinksAndTheLoadedVersions) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 1) GTEST_SKIP() << "a one-rank test";
  auto rt = make_cuda_runtime(mpi);
  const nlohmann::json gpu = rt->rank_gpu();
  const std::string uuid = gpu.at("uuid").get<std::string>();
  EXPECT_EQ(uuid.rfind("GPU-", 0), 0u) << uuid;
  const nlohmann::json topo = rt->topology({uuid});
  std::printf("[gpu] %s\n[topology] %s\n", gpu.dump().c_str(), topo.dump().c_str());
  EXPECT_EQ(topo.at("links"), nlohmann::json::array({nlohmann::json::array({"X"})}));
  EXPECT_FALSE(topo.contains("error")) << topo.dump();
  bool nvml_ok = false, nccl = false, cudnn = false;
  for (const auto& kv : rt->describe()) {
    nvml_ok |= kv.first == "nvml" && kv.second == "ok";
    nccl |= kv.first == "nccl" && !kv.second.empty();
    cudnn |= kv.first == "cudnn" && !kv.second.empty();
  }
  EXPECT_TRUE(nvml_ok && nccl && cudnn);
}

}  // namespace
}  // namespace cpb
