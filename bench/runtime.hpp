// Runtimes execute plans. The CPU runtime (fp32, MPI) runs anywhere; the CUDA runtime
// (streams per lane, NCCL/copy-engine transports, cuDNN attention) runs on GPUs. Both
// take the very same Plan.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/levers.hpp"
#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"

namespace cpb {

// Start and end of one step within one run, relative to the run's start [ms].
struct StepTime {
  int step = -1;
  double start_ms = 0;
  double end_ms = 0;
};

// The transports that carry a plan's exchanges (docs/CONFIG.md), each named once in
// transport_specs(). Not to be confused with comm/cuda's Transport, which implements one.
enum class TransportKind { Nccl, Ce, CeHost, Mpi };
struct TransportSpec {
  TransportKind kind;
  const char* name;  // config value, record param
  const char* help;
};
const std::vector<TransportSpec>& transport_specs();  // in TransportKind order
const std::string& to_string(TransportKind t);
std::optional<TransportKind> parse_transport(const std::string& name);  // nullopt when unknown
std::vector<std::string> transport_names();

// Interconnect profiles a runtime can emulate (docs/CONFIG.md).
enum class Profile { Nvlink, Pcie };
const std::string& to_string(Profile p);
std::optional<Profile> parse_profile(const std::string& name);  // nullopt when unknown
std::vector<std::string> profile_names();

// The overlap levers as config axes and record params (docs/CONFIG.md), each defined once.
struct LeverSpec {
  const char* name;  // config axis and record param
  // A named lever: its values, the default (off) first. Empty: a count from 0 (the
  // library's own choice, the default) to `max`.
  std::vector<std::string> allowed;
  int max;
  const char* help;
  nlohmann::json (*get)(const Levers& l);              // the params value; null when off
  void (*set)(Levers* l, const nlohmann::json& v);  // from a checked config value
  bool cuda_only = true;                             // applied by the CUDA runtime alone (Levers::any_cuda)

  // The config value when the axis is absent (off): the first name, or the count 0.
  nlohmann::json default_value() const { return allowed.empty() ? nlohmann::json(0) : nlohmann::json(allowed.front()); }
};
const std::vector<LeverSpec>& lever_specs();

enum class VerifyMode { Off, Full, Sampled };
const char* to_string(VerifyMode m);

// The check of one gradient tensor of this rank (the backward pass).
struct TensorVerify {
  std::string tensor;      // "dq", "dk" or "dv"
  double max_abs_err = 0;  // max |gradient - reference| over the checked elements
  double tolerance = 0;    // its own bound (bench/runtime/verify_gradients.hpp)
  int64_t checked = 0;
  bool nonfinite = false;
};

struct VerifyResult {
  double max_abs_err = 0;  // max |out - reference| over the checked elements of this rank
  double tolerance = 0;    // the bound for this runtime and dtype
  int64_t checked = 0;     // elements compared on this rank
  bool nonfinite = false;  // a NaN or Inf was seen in the output
  // The backward pass (Problem::backward()): dq, dk, dv in that order; empty otherwise.
  std::vector<TensorVerify> gradients;
};

// Runtime settings of one point that are not part of the Problem.
struct RunOptions {
  TransportKind transport = TransportKind::Mpi;  // one the runtime offers (Runtime::transports)
  Profile profile = Profile::Nvlink;
  bool graph = false;              // capture one whole run as a CUDA graph (CUDA runtime only)
  bool align_start = true;         // GPU-side barrier before each run's start (MeasureSettings)
  Levers levers;
};

// One reading of this rank's GPU (NVML); NaN where a reading failed.
struct GpuSample {
  double sm_clock_mhz = 0;
  double mem_clock_mhz = 0;
  double power_w = 0;
  double temperature_c = 0;
  uint64_t reasons = 0;  // NVML's clock-event (throttle) reason bits (bench/report/gpu_state.hpp)
  // Compute processes on this GPU besides this one (another job, a test left running):
  // they share its SMs and memory bandwidth with the timed loop.
  double other_processes = 0;
};

// Samples this rank's GPU on a thread of its own while armed: start() takes a sample and
// arms it, stop() takes a last one, disarms it and returns every sample since start().
// Not collective. Empty from stop() when the GPU cannot be read (no NVML).
class GpuStateSampler {
 public:
  virtual ~GpuStateSampler() = default;
  virtual void start() = 0;
  virtual std::vector<GpuSample> stop() = 0;
};

// A plan made ready to run: buffers allocated, inputs filled, communicators set up.
// Collective: every rank constructs, runs and destroys its executor together.
class Executor {
 public:
  virtual ~Executor() = default;
  // Runs the plan once; returns this rank's elapsed time [ms]. The first call runs the
  // plan's untimed prologue (Plan::timed_from) before it, outside the timing; each call
  // then runs and times steps [timed_from, end). When `steps` is not null, also records
  // every timed step's start and end (this may add a little overhead).
  virtual double run(std::vector<StepTime>* steps) = 0;
  // Compares this rank's output shard with a reference attention computed from the
  // deterministic inputs. Call after run().
  virtual VerifyResult verify(VerifyMode mode) = 0;
  // The raw bytes of this rank's output shard (for bitwise comparisons). After run().
  virtual std::vector<unsigned char> output_bytes() = 0;
  // Runs step `step` of the plan alone (not an exchange, which needs its peers: throws
  // std::logic_error) on this executor's buffers, nothing else queued on this rank's
  // device, and returns its duration [ms]: the same kernel on the same buffers, outside
  // the plan. Call after run(): the step reads what that run left in its input buffers
  // (its own data where no later step overwrote them, as for Ulysses' attention; another
  // block of the same shape where one did, as for Ring's double-buffered K/V) and writes
  // its outputs, which stay unspecified until the next run() (a merging step merges
  // twice). Not collective.
  virtual double step_alone_ms(int step) = 0;
  // The sampler of this rank's GPU, armed around timed loops (measure.hpp); null for a
  // runtime without GPUs. The same on every rank of a runtime.
  virtual GpuStateSampler* gpu_state_sampler() { return nullptr; }
  // The memory this rank's plan holds [bytes], as the runtime accounts it (not measured;
  // docs/METRICS.md, "Memory"): the CPU runtime its buffers, each as fp32; the CUDA
  // runtime its buffers, the cuDNN workspaces and verify()'s scratch (PlanMemory::total,
  // the peak it needs). Nullopt for an executor that does not account it. Not collective.
  // Whether a run gives the same output bits every time (the bitwise checks need it): the
  // CUDA runtime's backward is not where cuDNN's deterministic algorithm needs too much
  // workspace and its default algorithm runs instead.
  virtual bool bitwise_reproducible() const { return true; }
  virtual std::optional<double> memory_bytes() const { return std::nullopt; }
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual std::string name() const = 0;  // "cpu" or "cuda"
  virtual std::vector<TransportKind> transports() const = 0;  // the first is the default
  // Interconnect profiles this runtime can emulate.
  virtual std::vector<Profile> profiles() const { return {Profile::Nvlink}; }
  // Why this runtime cannot run `p` with `opt` (e.g. not enough memory).
  virtual Reason unsupported(const Problem& p, const RunOptions& opt) const = 0;
  // Why this runtime cannot run this very plan (e.g. its buffers and workspaces do not fit
  // in free device memory, or the attention library has no kernel for one of its tiles).
  // Per rank, like unsupported(); call it after plan() and before prepare().
  virtual Reason unsupported_plan(const Problem& p, const Plan& plan, const RunOptions& opt) { return std::nullopt; }
  // Collective. Throws OutOfMemory (base/out_of_memory.hpp) on every rank or on none,
  // before any rank enters a collective the others would miss (comm/oom_agreement.hpp).
  virtual std::unique_ptr<Executor> prepare(const Problem& p, const Plan& plan,
                                            const RunOptions& opt) = 0;
  // Key/value facts for the provenance record (device names, library versions).
  virtual std::vector<std::pair<std::string, std::string>> describe() const = 0;
  // This rank's GPU for the provenance record ({"uuid", "pci_bus_id", "name"}); null for a
  // runtime without GPUs. Not collective.
  virtual nlohmann::json rank_gpu() const { return nullptr; }
  // The links between the GPUs of this node named by `uuids` (rank_gpu()'s), for the
  // provenance record: {"gpus": uuids, "links": matrix of link names}; null for a runtime
  // without GPUs. Not collective.
  virtual nlohmann::json topology(const std::vector<std::string>& uuids) const { return nullptr; }
};

}  // namespace cpb
