#include "bench/runtime/cuda/nvml_sampler.hpp"

namespace cpb {

NvmlSampler::NvmlSampler(const NvmlLibrary& nvml, const std::string& uuid, std::chrono::milliseconds period)
    : nvml_(nvml), device_(nvml.device(uuid)), period_(period) {}

NvmlSampler::~NvmlSampler() { stop(); }

void NvmlSampler::start() {
  stop();
  if (!device_) return;
  std::lock_guard<std::mutex> lock(mu_);
  samples_.clear();
  samples_.push_back(nvml_.sample(device_));
  armed_ = true;
  thread_ = std::thread([this] { loop(); });
}

std::vector<GpuSample> NvmlSampler::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!armed_) return {};
    armed_ = false;
  }
  wake_.notify_all();
  thread_.join();
  samples_.push_back(nvml_.sample(device_));
  return std::move(samples_);
}

void NvmlSampler::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, period_, [this] { return !armed_; })) {
    lock.unlock();
    const GpuSample s = nvml_.sample(device_);
    lock.lock();
    samples_.push_back(s);
  }
}

}  // namespace cpb
