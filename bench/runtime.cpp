#include "bench/runtime.hpp"

#include <algorithm>

namespace cpb {
namespace {

using nlohmann::json;

const std::vector<TransportSpec> kTransports = {
    {TransportKind::Nccl, "nccl", "NCCL send/recv (cuda runtime; the default there)"},
    {TransportKind::Ce, "ce", "copy engines, GPU to GPU through peer access (cuda runtime)"},
    {TransportKind::CeHost, "ce_host", "copy engines through pinned host memory (cuda runtime)"},
    {TransportKind::Mpi, "mpi", "MPI (the cpu runtime; cuda runtime: CUDA-aware MPI only)"}};
const std::vector<std::string> kProfiles = {"nvlink", "pcie"};  // Profile order

const std::vector<std::string> kCommPriorities = {"normal", "high"};
const std::vector<std::string> kStepOrders = {"plan", "list"};

std::vector<LeverSpec> make_lever_specs() {
  return {{"comm_priority", kCommPriorities, 0,
           "normal, or high: streams of lanes with exchanges at the greatest priority",
           [](const Levers& l) { return l.comm_high_priority ? json(kCommPriorities[1]) : json(); },
           [](Levers* l, const json& v) { l->comm_high_priority = v == kCommPriorities[1]; }},
          {"nccl_ctas", {}, 64, "NCCL communicators with this many CTAs (nccl only); 0 = NCCL's choice",
           [](const Levers& l) { return l.nccl_ctas > 0 ? json(l.nccl_ctas) : json(); },
           [](Levers* l, const json& v) { l->nccl_ctas = v.get<int>(); }},
          {"attn_sms", {}, 4096, "cuDNN attention built for this many SMs; 0 = all of them",
           [](const Levers& l) { return l.attn_sms > 0 ? json(l.attn_sms) : json(); },
           [](Levers* l, const json& v) { l->attn_sms = v.get<int>(); }},
          {"step_order", kStepOrders, 0,
           "plan: the schedule's order of steps on their lanes; list: the list scheduler's order over the cost "
           "model of run's --machine file, kept where it predicts the plan shorter",
           [](const Levers& l) { return l.list_order ? json(kStepOrders[1]) : json(); },
           [](Levers* l, const json& v) { l->list_order = v == kStepOrders[1]; }, false}};
}

}  // namespace

const std::vector<TransportSpec>& transport_specs() { return kTransports; }

const std::string& to_string(TransportKind t) {
  static const std::vector<std::string> names = transport_names();
  return names[static_cast<size_t>(t)];
}

std::optional<TransportKind> parse_transport(const std::string& name) {
  for (const TransportSpec& t : kTransports)
    if (name == t.name) return t.kind;
  return std::nullopt;
}

std::vector<std::string> transport_names() {
  std::vector<std::string> out;
  for (const TransportSpec& t : kTransports) out.push_back(t.name);
  return out;
}

const std::string& to_string(Profile p) { return kProfiles[static_cast<size_t>(p)]; }

std::optional<Profile> parse_profile(const std::string& name) {
  const auto it = std::find(kProfiles.begin(), kProfiles.end(), name);
  if (it == kProfiles.end()) return std::nullopt;
  return static_cast<Profile>(it - kProfiles.begin());
}

std::vector<std::string> profile_names() { return kProfiles; }

const std::vector<LeverSpec>& lever_specs() {
  static const std::vector<LeverSpec> specs = make_lever_specs();
  return specs;
}

const char* to_string(VerifyMode m) {
  switch (m) {
    case VerifyMode::Off: return "off";
    case VerifyMode::Full: return "full";
    case VerifyMode::Sampled: return "sampled";
  }
  return "?";
}

}  // namespace cpb
