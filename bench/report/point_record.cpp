#include "bench/report/point_record.hpp"

#include <type_traits>

namespace cpb {

namespace record_key {
const char* const index = "index";
const char* const schedule = "schedule";
const char* const params = "params";
const char* const runtime = "runtime";
const char* const git = "git";
const char* const options = "options";
const char* const status = "status";
const char* const reason = "reason";
const char* const verify = "verify";
const char* const max_abs_err = "max_abs_err";
const char* const tolerance = "tolerance";
const char* const checked = "checked";
const char* const mode = "mode";
const char* const bitwise_equal_to = "bitwise_equal_to";
const char* const bitwise_equal = "bitwise_equal";
const char* const output_digest = "output_digest";
const char* const gradients = "gradients";
const char* const time_ms = "time_ms";
const char* const rounds = "rounds";
const char* const samples = "samples";
const char* const comp_samples = "comp_samples";
const char* const comm_samples = "comm_samples";
const char* const warmup = "warmup";
const char* const comp_ms = "comp_ms";
const char* const comp_ms_from = "comp_ms_from";
const char* const comm_ms = "comm_ms";
const char* const comm_time_ms = "comm_time_ms";
const char* const attn_tflops = "attn_tflops";
const char* const attn_standalone_tflops = "attn_standalone_tflops";
const char* const flops_per_rank_max = "flops_per_rank_max";
const char* const comm_bytes_per_rank = "comm_bytes_per_rank";
const char* const plan_steps = "plan_steps";
const char* const memory_bytes = "memory_bytes";
const char* const memory_bytes_min = "memory_bytes_min";
const char* const tflops_per_gpu = "tflops_per_gpu";
const char* const chunks_chosen = "chunks_chosen";
const char* const planner = "planner";
const char* const chunks_fit = "chunks_fit";
const char* const gpu_state = "gpu_state";
const char* const predicted_ms = "predicted_ms";
}  // namespace record_key

namespace {

template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

template <typename T>
void get(const nlohmann::json& j, const char* key, std::optional<T>& v) {
  const auto it = j.find(key);
  if (it == j.end()) {
    v.reset();
  } else if constexpr (std::is_same_v<T, double>) {
    v = json_number(*it);
  } else {
    v = it->template get<T>();
  }
}

}  // namespace

void to_json(nlohmann::json& j, const VerifyRecord& v) {
  namespace k = record_key;
  j = nlohmann::json::object();
  j[k::max_abs_err] = v.max_abs_err;
  j[k::tolerance] = v.tolerance;
  j[k::checked] = v.checked;
  j[k::mode] = v.mode;
  if (v.bitwise_equal_to) {
    j[k::bitwise_equal_to] = *v.bitwise_equal_to;
    j[k::bitwise_equal] = v.bitwise_equal ? nlohmann::json(*v.bitwise_equal) : nlohmann::json(nullptr);
  }
  j[k::output_digest] = v.output_digest;
  if (!v.gradients.empty()) {
    nlohmann::json g = nlohmann::json::object();
    for (const GradientVerify& t : v.gradients)
      g[t.tensor] = {{k::max_abs_err, t.max_abs_err}, {k::tolerance, t.tolerance}, {k::checked, t.checked}};
    j[k::gradients] = g;
  }
}

void from_json(const nlohmann::json& j, VerifyRecord& v) {
  namespace k = record_key;
  v.max_abs_err = json_number(j.at(k::max_abs_err));
  v.tolerance = json_number(j.at(k::tolerance));
  v.checked = json_number(j.at(k::checked));
  v.mode = j.at(k::mode).get<std::string>();
  get(j, k::bitwise_equal_to, v.bitwise_equal_to);
  v.bitwise_equal.reset();
  if (v.bitwise_equal_to && !j.at(k::bitwise_equal).is_null()) v.bitwise_equal = j[k::bitwise_equal].get<bool>();
  v.output_digest = j.value(k::output_digest, std::string());  // absent in files older than the field
  v.gradients.clear();
  if (const auto it = j.find(k::gradients); it != j.end())
    for (const char* name : {"dq", "dk", "dv"}) {
      const nlohmann::json& t = it->at(name);
      v.gradients.push_back(GradientVerify{name, json_number(t.at(k::max_abs_err)), json_number(t.at(k::tolerance)),
                                           json_number(t.at(k::checked))});
    }
}

void to_json(nlohmann::json& j, const RoundRecord& r) {
  namespace k = record_key;
  j = to_json(r.stats);
  j[k::samples] = r.samples;
  if (r.gpu_state) j[k::gpu_state] = *r.gpu_state;
  put(j, k::comp_ms, r.comp_ms);
  if (!r.comp_samples.empty()) j[k::comp_samples] = r.comp_samples;
  put(j, k::comp_ms_from, r.comp_ms_from);
  put(j, k::comm_ms, r.comm_ms);
  if (!r.comm_samples.empty()) j[k::comm_samples] = r.comm_samples;
}

void from_json(const nlohmann::json& j, RoundRecord& r) {
  namespace k = record_key;
  const auto numbers = [&j](const char* key) {
    std::vector<double> v;
    if (const auto it = j.find(key); it != j.end())
      for (const auto& x : *it) v.push_back(json_number(x));
    return v;
  };
  r.stats = j.get<Stats>();
  r.samples.clear();
  for (const auto& x : j.at(k::samples)) r.samples.push_back(json_number(x));
  r.gpu_state.reset();
  if (j.contains(k::gpu_state) && !j[k::gpu_state].is_null()) r.gpu_state = j[k::gpu_state].get<GpuState>();
  get(j, k::comp_ms, r.comp_ms);
  r.comp_samples = numbers(k::comp_samples);
  get(j, k::comp_ms_from, r.comp_ms_from);
  get(j, k::comm_ms, r.comm_ms);
  r.comm_samples = numbers(k::comm_samples);
}

void to_json(nlohmann::json& j, const PointRecord& r) {
  namespace k = record_key;
  j = nlohmann::json::object();
  j[k::index] = r.index;
  j[k::schedule] = r.schedule;
  j[k::params] = r.params;
  j[k::runtime] = r.runtime;
  j[k::git] = r.git;
  j[k::options] = r.options;
  j[k::status] = r.status;
  put(j, k::reason, r.reason);
  put(j, k::verify, r.verify);
  put(j, k::time_ms, r.time_ms);
  put(j, k::rounds, r.rounds);
  put(j, k::warmup, r.warmup);
  put(j, k::comp_ms, r.comp_ms);
  put(j, k::comp_ms_from, r.comp_ms_from);
  put(j, k::comm_ms, r.comm_ms);
  put(j, k::comm_time_ms, r.comm_time_ms);
  put(j, k::attn_tflops, r.attn_tflops);
  put(j, k::attn_standalone_tflops, r.attn_standalone_tflops);
  put(j, k::flops_per_rank_max, r.flops_per_rank_max);
  put(j, k::comm_bytes_per_rank, r.comm_bytes_per_rank);
  put(j, k::plan_steps, r.plan_steps);
  put(j, k::memory_bytes, r.memory_bytes);
  put(j, k::memory_bytes_min, r.memory_bytes_min);
  put(j, k::tflops_per_gpu, r.tflops_per_gpu);
  put(j, k::chunks_chosen, r.chunks_chosen);
  put(j, k::chunks_fit, r.chunks_fit);
  put(j, k::planner, r.planner);
  put(j, k::gpu_state, r.gpu_state);
  put(j, k::predicted_ms, r.predicted_ms);
}

void from_json(const nlohmann::json& j, PointRecord& r) {
  namespace k = record_key;
  r.index = j.at(k::index).get<int>();
  r.schedule = j.at(k::schedule).get<std::string>();
  r.params = j.at(k::params);
  r.runtime = j.at(k::runtime).get<std::string>();
  r.git = j.value(k::git, std::string());  // absent in files older than the field
  r.options = j.value(k::options, std::vector<std::string>());  // absent in files older than the field
  r.status = j.at(k::status).get<std::string>();
  get(j, k::reason, r.reason);
  get(j, k::verify, r.verify);
  get(j, k::time_ms, r.time_ms);
  get(j, k::rounds, r.rounds);
  get(j, k::warmup, r.warmup);
  get(j, k::comp_ms, r.comp_ms);
  get(j, k::comp_ms_from, r.comp_ms_from);
  get(j, k::comm_ms, r.comm_ms);
  get(j, k::comm_time_ms, r.comm_time_ms);
  get(j, k::attn_tflops, r.attn_tflops);
  get(j, k::attn_standalone_tflops, r.attn_standalone_tflops);
  get(j, k::flops_per_rank_max, r.flops_per_rank_max);
  get(j, k::comm_bytes_per_rank, r.comm_bytes_per_rank);
  get(j, k::plan_steps, r.plan_steps);
  get(j, k::memory_bytes, r.memory_bytes);
  get(j, k::memory_bytes_min, r.memory_bytes_min);
  get(j, k::tflops_per_gpu, r.tflops_per_gpu);
  get(j, k::chunks_chosen, r.chunks_chosen);
  get(j, k::chunks_fit, r.chunks_fit);
  get(j, k::planner, r.planner);
  get(j, k::gpu_state, r.gpu_state);
  get(j, k::predicted_ms, r.predicted_ms);
}

}  // namespace cpb
