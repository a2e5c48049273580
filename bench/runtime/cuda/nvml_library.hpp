// NVML (libnvidia-ml.so.1, the driver's management library) loaded at run time with
// dlopen: cpbench has no link-time dependency on it, and a machine without it still runs,
// only without GPU state. The few functions used are declared here (the CUDA toolkit does
// not always ship nvml.h); their C ABI is NVML's.
#pragma once

#include <string>

#include "base/unique_handle.hpp"
#include "bench/runtime.hpp"

namespace cpb {

struct DlLibraryTraits {  // a dlopen handle
  using Handle = void*;
  static Handle null() { return nullptr; }
  static void destroy(Handle h);
};

using NvmlDevice = void*;  // nvmlDevice_t

// One NVML session: loaded and initialised (nvmlInit_v2) by the constructor, shut down by
// the destructor. When loading or initialising fails, available() is false, error() says
// why, and every query answers "nothing read". Thread-safe (NVML is).
class NvmlLibrary {
 public:
  NvmlLibrary();
  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  bool available() const { return init_ == 0; }
  const std::string& error() const { return error_; }

  // The device of a UUID ("GPU-..."); nullptr when NVML does not know it.
  NvmlDevice device(const std::string& uuid) const;
  // SM and memory clocks [MHz], board power [W], GPU temperature [C], the clock-event
  // reasons and the other compute processes on the GPU now; NaN (reasons 0) where a call
  // fails. The caller must hold a CUDA context on `d`: NVML counts it among the processes,
  // and a count that does not include it (NVML cannot see this process's namespace) is
  // taken as not read.
  GpuSample sample(NvmlDevice d) const;
  // The kernel driver's version ("580.95.05"); "" when unavailable.
  std::string driver_version() const;
  // The link between two devices (gpu_link_name); "unknown" when NVML cannot tell.
  std::string link(NvmlDevice a, NvmlDevice b) const;

 private:
  template <class F>
  F symbol(const char* name) const;  // nullptr when the library lacks it

  UniqueHandle<DlLibraryTraits> lib_;
  int init_ = -1;  // nvmlInit_v2's result; 0: a session to shut down
  std::string error_;
  // The NVML entry points used, null when absent.
  int (*get_handle_by_uuid_)(const char*, NvmlDevice*) = nullptr;
  int (*get_clock_info_)(NvmlDevice, int, unsigned*) = nullptr;
  int (*get_power_usage_)(NvmlDevice, unsigned*) = nullptr;
  int (*get_temperature_)(NvmlDevice, int, unsigned*) = nullptr;
  int (*get_clock_reasons_)(NvmlDevice, unsigned long long*) = nullptr;
  int (*get_compute_processes_)(NvmlDevice, unsigned*, void*) = nullptr;  // count only: infos null
  int (*get_driver_version_)(char*, unsigned) = nullptr;
  int (*get_common_ancestor_)(NvmlDevice, NvmlDevice, int*) = nullptr;
  int (*get_p2p_status_)(NvmlDevice, NvmlDevice, int, int*) = nullptr;
};

}  // namespace cpb
