// On a GPU: the CUDA executor's GPU state sampler reads clocks, power and temperature
// through NVML while measure() runs the timed loop, and the runtime's provenance facts
// name the GPU by UUID, its links, and the library versions from their runtime calls.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "bench/runtime/cuda/cuda_runtime.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/measure.hpp"
#include "tests/gpu/gpu_mpi_session.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace cpb {
namespace {

TEST(CudaGpuState, TheTimedLoopIsSampledThroughNvml) {
  CPB_REQUIRE_GPU();
  const MpiSession& mpi = test::gpu_mpi_session();
  if (mpi.size() != 1) GTEST_SKIP() << "a one-rank test";
  auto rt = make_cuda_runtime(mpi);
  Problem p;
  p.P = 1;
  p.S = 4096;
  p.H = 8;
  p.Hkv = 8;
  p.D = 128;
  p.dtype = DType::BF16;
  const Plan plan = find_schedule("ulysses")->plan(p, 0);
  RunOptions opt;
  opt.transport = TransportKind::Nccl;
  auto exec = rt->prepare(p, plan, opt);
  MeasureSettings s;
  s.warmup = 2;
  s.iterations = 200;
  s.min_iterations = 200;
  const Measurement m = measure(*exec, s, mpi.world());
  ASSERT_TRUE(m.gpu_state);
  const GpuState& g = *m.gpu_state;
  std::printf("[gpu state] %s\n", nlohmann::json(g).dump().c_str());
  EXPECT_GE(g.samples, 2);  // one when armed, one when disarmed, more every period
  EXPECT_GT(g.sm_clock_mhz.min, 0);
  EXPECT_GE(g.sm_clock_mhz.max, g.sm_clock_mhz.median);
  EXPECT_GT(g.mem_clock_mhz.median, 0);
  EXPECT_GT(g.power_w.max, 0);
  EXPECT_GT(g.temperature_c.max, 0);
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
