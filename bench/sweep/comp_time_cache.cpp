#include "bench/sweep/comp_time_cache.hpp"

#include <nlohmann/json.hpp>

#include "bench/plan/plan_io.hpp"

namespace cpb {

std::string CompTimeCache::key(const Problem& p, const Plan& comp, const RunOptions& opt) {
  nlohmann::json k = shape_json(p);
  k["graph"] = opt.graph;
  k["align_start"] = opt.align_start;
  k["attention_sms"] = opt.levers.attn_sms;  // a key of this cache only, not a record's
  k["plan"] = plan_to_json(comp);
  return k.dump();
}

const CompTimeCache::Entry* CompTimeCache::find(int round, const std::string& key) const {
  const auto it = entries_.find({round, key});
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace cpb
