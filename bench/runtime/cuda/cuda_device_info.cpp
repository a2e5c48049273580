#include "bench/runtime/cuda/cuda_device_info.hpp"

#include <cudnn.h>
#include <cudnn_frontend_version.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/nccl_check.hpp"
#include "bench/runtime/gpu_names.hpp"

namespace cpb {
namespace {

// CUDA encodes versions as 1000 * major + 10 * minor.
std::string cuda_version(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// NCCL (>= 2.9) and cuDNN 9 encode versions as 10000 * major + 100 * minor + patch.
std::string dotted(long v) {
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
}

// The kernel driver's version ("580.95.05") from /proc, or "unknown". The line reads
// "NVRM version: NVIDIA UNIX [Open ]Kernel Module [for x86_64]  580.95.05  Release Build
// ...": the first word made of digits and dots is the version.
std::string driver_version() {
  std::ifstream f("/proc/driver/nvidia/version");
  std::string line;
  if (!std::getline(f, line)) return "unknown";
  std::istringstream words(line);
  for (std::string w; words >> w;) {
    const bool version = std::isdigit(static_cast<unsigned char>(w[0])) && w.find('.') != std::string::npos &&
                         w.find_first_not_of("0123456789.") == std::string::npos;
    if (version) return w;
  }
  return "unknown";
}

// Adds `key` = the library's version, and `key`_compiled = the header's where it differs.
void add_version(std::vector<std::pair<std::string, std::string>>& out, const std::string& key,
                 const std::string& loaded, const std::string& compiled) {
  out.emplace_back(key, loaded);
  if (compiled != loaded) out.emplace_back(key + "_compiled", compiled);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describe_cuda(int device, const NvmlLibrary& nvml) {
  std::vector<std::pair<std::string, std::string>> out;
  cudaDeviceProp prop{};
  CPB_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  char mem[32];
  std::snprintf(mem, sizeof(mem), "%.1f", static_cast<double>(prop.totalGlobalMem) / (1 << 30));
  out.emplace_back("gpu", prop.name);
  out.emplace_back("gpu_memory_gib", mem);
  out.emplace_back("sm_count", std::to_string(prop.multiProcessorCount));
  out.emplace_back("compute_capability", std::to_string(prop.major) + "." + std::to_string(prop.minor));
  int count = 0;
  CPB_CUDA_CHECK(cudaGetDeviceCount(&count));
  std::string all;
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p{};
    CPB_CUDA_CHECK(cudaGetDeviceProperties(&p, d));
    all += (d ? ", " : "") + std::string(p.name);
  }
  out.emplace_back("gpus", all);
  int driver = 0, runtime = 0, nccl = 0;
  CPB_CUDA_CHECK(cudaDriverGetVersion(&driver));
  CPB_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  CPB_NCCL_CHECK(ncclGetVersion(&nccl));
  const std::string nvml_driver = nvml.driver_version();
  out.emplace_back("driver", nvml_driver.empty() ? driver_version() : nvml_driver);
  out.emplace_back("cuda_driver", cuda_version(driver));
  add_version(out, "cuda_runtime", cuda_version(runtime), cuda_version(CUDART_VERSION));
  add_version(out, "nccl", dotted(nccl), dotted(NCCL_VERSION_CODE));
  add_version(out, "cudnn", dotted(static_cast<long>(cudnnGetVersion())), dotted(CUDNN_VERSION));
  out.emplace_back("cudnn_frontend", std::to_string(CUDNN_FRONTEND_MAJOR_VERSION) + "." +
                                         std::to_string(CUDNN_FRONTEND_MINOR_VERSION) + "." +
                                         std::to_string(CUDNN_FRONTEND_PATCH_VERSION));
  out.emplace_back("nvml", nvml.available() ? "ok" : nvml.error());
  return out;
}

nlohmann::json cuda_rank_gpu(int device) {
  cudaDeviceProp prop{};
  CPB_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  unsigned char uuid[16];
  std::memcpy(uuid, prop.uuid.bytes, sizeof(uuid));
  char bus[32] = {0};
  CPB_CUDA_CHECK(cudaDeviceGetPCIBusId(bus, sizeof(bus), device));
  return {{"uuid", gpu_uuid_text(uuid)}, {"pci_bus_id", bus}, {"name", prop.name}};
}

nlohmann::json cuda_topology(const NvmlLibrary& nvml, const std::vector<std::string>& uuids) {
  std::vector<NvmlDevice> devices;
  for (const std::string& u : uuids) devices.push_back(nvml.device(u));
  nlohmann::json links = nlohmann::json::array();
  for (size_t i = 0; i < uuids.size(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (size_t j = 0; j < uuids.size(); ++j)
      row.push_back(i == j ? std::string("X") : nvml.link(devices[i], devices[j]));
    links.push_back(row);
  }
  nlohmann::json t = {{"gpus", uuids}, {"links", links}};
  if (!nvml.available()) t["error"] = nvml.error();
  return t;
}

}  // namespace cpb
