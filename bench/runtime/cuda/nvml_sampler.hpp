// The CUDA runtime's GpuStateSampler: one thread that reads this rank's GPU through NVML
// every period while armed (docs/METRICS.md, "GPU state").
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/runtime.hpp"
#include "bench/runtime/cuda/nvml_library.hpp"

namespace cpb {

class NvmlSampler final : public GpuStateSampler {
 public:
  // Often enough for a timed loop of a few hundred milliseconds to give tens of samples;
  // one sample costs a few NVML calls on a thread of its own (docs/METRICS.md).
  static constexpr std::chrono::milliseconds kPeriod{10};

  // Samples the GPU of `uuid` ("GPU-...") through `nvml`, which outlives the sampler. A
  // GPU NVML does not know gives no samples.
  NvmlSampler(const NvmlLibrary& nvml, const std::string& uuid, std::chrono::milliseconds period);
  ~NvmlSampler() override;  // disarms and joins the thread
  NvmlSampler(const NvmlSampler&) = delete;
  NvmlSampler& operator=(const NvmlSampler&) = delete;

  // A sample now, then one every period on the thread. A sampler still armed (a timed
  // loop that threw) is disarmed first and its samples dropped.
  void start() override;
  // Disarms, joins the thread, takes a last sample; every sample since start(), in order.
  std::vector<GpuSample> stop() override;

 private:
  void loop();

  const NvmlLibrary& nvml_;
  const NvmlDevice device_;
  const std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool armed_ = false;              // guarded by mu_
  std::vector<GpuSample> samples_;  // guarded by mu_ while armed
  std::thread thread_;
};

}  // namespace cpb
