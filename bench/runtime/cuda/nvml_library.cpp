#include "bench/runtime/cuda/nvml_library.hpp"

#include <dlfcn.h>

#include <limits>

#include "base/check.hpp"
#include "bench/runtime/gpu_names.hpp"

namespace cpb {
namespace {

// NVML's constants (nvml.h).
constexpr int kSuccess = 0;
constexpr int kInsufficientSize = 7;     // NVML_ERROR_INSUFFICIENT_SIZE
constexpr int kClockSm = 1;              // NVML_CLOCK_SM
constexpr int kClockMem = 2;             // NVML_CLOCK_MEM
constexpr int kTemperatureGpu = 0;       // NVML_TEMPERATURE_GPU
constexpr int kP2pCapsNvlink = 2;        // NVML_P2P_CAPS_INDEX_NVLINK
constexpr int kP2pStatusOk = 0;          // NVML_P2P_STATUS_OK
constexpr unsigned kDriverVersionLen = 80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

void DlLibraryTraits::destroy(Handle h) {
  if (dlclose(h) == 0) return;
  const char* why = dlerror();
  CPB_FATAL(std::string("dlclose: ") + (why ? why : "unknown reason"));
}

template <class F>
F NvmlLibrary::symbol(const char* name) const {
  return reinterpret_cast<F>(dlsym(lib_.get(), name));
}

NvmlLibrary::NvmlLibrary() {
  lib_.reset(dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL));
  if (lib_.empty()) {
    const char* why = dlerror();
    error_ = std::string("libnvidia-ml.so.1 could not be loaded: ") + (why ? why : "unknown reason");
    return;
  }
  const auto init = symbol<int (*)()>("nvmlInit_v2");
  if (!init) {
    error_ = "libnvidia-ml.so.1 has no nvmlInit_v2";
    return;
  }
  init_ = init();
  if (init_ != kSuccess) {
    error_ = "nvmlInit_v2 failed with NVML error " + std::to_string(init_);
    return;
  }
  get_handle_by_uuid_ = symbol<decltype(get_handle_by_uuid_)>("nvmlDeviceGetHandleByUUID");
  get_clock_info_ = symbol<decltype(get_clock_info_)>("nvmlDeviceGetClockInfo");
  get_power_usage_ = symbol<decltype(get_power_usage_)>("nvmlDeviceGetPowerUsage");
  get_temperature_ = symbol<decltype(get_temperature_)>("nvmlDeviceGetTemperature");
  // The clock-event reasons' newer name, else the older one (the same call).
  get_clock_reasons_ = symbol<decltype(get_clock_reasons_)>("nvmlDeviceGetCurrentClocksEventReasons");
  if (!get_clock_reasons_)
    get_clock_reasons_ = symbol<decltype(get_clock_reasons_)>("nvmlDeviceGetCurrentClocksThrottleReasons");
  // Any version: asked for the count alone (infoCount 0, infos null), their layouts of a
  // process's information do not matter.
  for (const char* name : {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2",
                           "nvmlDeviceGetComputeRunningProcesses"})
    if (!get_compute_processes_) get_compute_processes_ = symbol<decltype(get_compute_processes_)>(name);
  get_driver_version_ = symbol<decltype(get_driver_version_)>("nvmlSystemGetDriverVersion");
  get_common_ancestor_ = symbol<decltype(get_common_ancestor_)>("nvmlDeviceGetTopologyCommonAncestor");
  get_p2p_status_ = symbol<decltype(get_p2p_status_)>("nvmlDeviceGetP2PStatus");
}

NvmlLibrary::~NvmlLibrary() {
  if (!available()) return;
  // A failed shutdown leaks NVML's session only; the process is ending or moving on.
  if (const auto shutdown = symbol<int (*)()>("nvmlShutdown")) shutdown();
}

NvmlDevice NvmlLibrary::device(const std::string& uuid) const {
  NvmlDevice d = nullptr;
  if (!available() || !get_handle_by_uuid_ || get_handle_by_uuid_(uuid.c_str(), &d) != kSuccess) return nullptr;
  return d;
}

GpuSample NvmlLibrary::sample(NvmlDevice d) const {
  GpuSample s{kNaN, kNaN, kNaN, kNaN, 0, kNaN};
  if (!available() || !d) return s;
  unsigned v = 0;
  if (get_clock_info_ && get_clock_info_(d, kClockSm, &v) == kSuccess) s.sm_clock_mhz = v;
  if (get_clock_info_ && get_clock_info_(d, kClockMem, &v) == kSuccess) s.mem_clock_mhz = v;
  if (get_power_usage_ && get_power_usage_(d, &v) == kSuccess) s.power_w = v / 1000.0;  // mW
  if (get_temperature_ && get_temperature_(d, kTemperatureGpu, &v) == kSuccess) s.temperature_c = v;
  unsigned long long reasons = 0;
  if (get_clock_reasons_ && get_clock_reasons_(d, &reasons) == kSuccess) s.reasons = reasons;
  // With infoCount 0 NVML answers "insufficient size" and the count, or success when no
  // process runs (then it cannot see this one either).
  unsigned count = 0;
  const int rc = get_compute_processes_ ? get_compute_processes_(d, &count, nullptr) : -1;
  if (rc == kInsufficientSize && count >= 1) s.other_processes = count - 1;
  return s;
}

std::string NvmlLibrary::driver_version() const {
  char buf[kDriverVersionLen] = {0};
  if (!available() || !get_driver_version_ || get_driver_version_(buf, kDriverVersionLen) != kSuccess) return "";
  return buf;
}

std::string NvmlLibrary::link(NvmlDevice a, NvmlDevice b) const {
  if (!available() || !a || !b) return "unknown";
  int status = -1, level = -1;
  const bool nvlink = get_p2p_status_ && get_p2p_status_(a, b, kP2pCapsNvlink, &status) == kSuccess &&
                      status == kP2pStatusOk;
  if (!nvlink && (!get_common_ancestor_ || get_common_ancestor_(a, b, &level) != kSuccess)) return "unknown";
  return gpu_link_name(nvlink, level);
}

}  // namespace cpb
