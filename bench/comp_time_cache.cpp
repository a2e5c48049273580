#include "bench/comp_time_cache.hpp"

#include <nlohmann/json.hpp>

#include "bench/plan_io.hpp"

namespace cpb {

std::string CompTimeCache::key(const Problem& p, const Plan& comp, const RunOptions& opt) {
  const nlohmann::json k = {{"P", p.P},
                            {"S", p.S},
                            {"H", p.H},
                            {"Hkv", p.Hkv},
                            {"D", p.D},
                            {"B", p.B},
                            {"mask", to_string(p.mask)},
                            {"dtype", to_string(p.dtype)},
                            {"graph", opt.graph},
                            {"align_start", opt.align_start},
                            {"attn_sms", opt.levers.attn_sms},
                            {"plan", plan_to_json(comp)}};
  return k.dump();
}

const CompTimeCache::Entry* CompTimeCache::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace cpb
