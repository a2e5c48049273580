#include "bench/runtime.hpp"

namespace cpb {
namespace {

using nlohmann::json;

const std::vector<std::string> kCommPriorities = {"normal", "high"};

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
           [](Levers* l, const json& v) { l->attn_sms = v.get<int>(); }}};
}

}  // namespace

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
