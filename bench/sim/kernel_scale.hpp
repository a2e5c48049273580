// Carrying a kernel table to the machine its transports were probed on (`cpbench
// calibrate --scale-to-probe`, docs/SIMULATOR.md "Calibration"). GPUs of one model differ
// in the clock they hold at their power limit (cooling, power delivery, neighbours), and
// a table measured on one GPU prices attention for that GPU. `cpbench probe` times the
// attention step alone on the machine it probes: one attention call [B, S, heads_per_rank,
// D] over the whole sequence (H = Hkv = heads_per_rank, the params' mask and dtype). The
// ratio of that time to the table's prediction of the same call is the factor by which the
// probed machine's attention is slower (> 1) or faster (< 1) than the table's GPU.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/sim/machine_model.hpp"

namespace cpb {

struct KernelScale {
  double factor = 1;           // median of `ratios`
  std::vector<double> ratios;  // per OK probe row: its attn_ms over the table's prediction
  std::vector<std::string> files;
};

// The factor from the probe files among `paths` (result files of `cpbench run` are
// skipped: their attention ran beside other steps). Each OK row counts once. Throws
// UsageError naming the file and field when a probe file's shape cannot be read or the
// table has no sample of its class, and when no path is a probe file with an OK row.
KernelScale probe_kernel_scale(const std::vector<KernelSample>& table, const std::vector<std::string>& paths);

// The same for probe documents already read (`files` names each in messages; the tests).
KernelScale probe_kernel_scale(const std::vector<KernelSample>& table, const std::vector<nlohmann::json>& docs,
                               const std::vector<std::string>& files);

// Every sample's time multiplied by `factor` (> 0): the table of the probed machine.
void scale_attention(std::vector<KernelSample>& table, double factor);

// The record of a scale for the machine file's provenance config: factor, ratios, files.
nlohmann::json to_json(const KernelScale& s);

}  // namespace cpb
