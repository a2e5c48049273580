// Names of GPU facts for the provenance record, compiled without CUDA (unit-tested
// anywhere): a GPU's UUID as text, and the link between two GPUs as `nvidia-smi topo -m`
// names it.
#pragma once

#include <string>

namespace cpb {

// "GPU-" and the 16 bytes as 8-4-4-4-12 lower-case hex digits, the form NVML and
// nvidia-smi print (NVML finds a device by it).
std::string gpu_uuid_text(const unsigned char (&bytes)[16]);

// The link between two distinct GPUs: "NV" when NVML reports NVLink peer-to-peer between
// them, else the closest common ancestor of their PCIe paths, from NVML's topology level
// (nvmlGpuTopologyLevel_t): 0 "internal" (one board), 10 "PIX" (one PCIe switch), 20
// "PXB" (several switches), 30 "PHB" (a host bridge), 40 "NODE" (host bridges of one NUMA
// node), 50 "SYS" (across NUMA nodes); any other level "unknown".
std::string gpu_link_name(bool nvlink, int topology_level);

}  // namespace cpb
