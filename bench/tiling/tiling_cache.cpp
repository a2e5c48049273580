#include "bench/tiling/tiling_cache.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "base/atomic_file.hpp"
#include "base/fnv1a.hpp"

namespace cpb {
namespace {

constexpr const char* kSchema = "cpbench-tiling-cache";
constexpr int kVersion = 1;

TilingCacheSettings& settings() {
  static TilingCacheSettings s{"", "", "not configured"};
  return s;
}

nlohmann::json solution_json(const TilingSolution& s) {
  return {{"rank_of", s.rank_of}, {"objective", s.objective}, {"bound", s.bound},  {"gap", s.gap},
          {"solve_s", s.solve_s}, {"solver", s.solver},       {"status", s.status}};
}

// The solution in `j`, or why it is not one for `p`.
std::string read_solution(const nlohmann::json& j, const TilingProblem& p, TilingSolution* s) {
  if (!j.is_object()) return "\"solution\" is not an object";
  try {
    s->rank_of = j.at("rank_of").get<std::vector<int>>();
    s->objective = j.at("objective").get<double>();
    s->bound = j.at("bound").get<double>();
    s->gap = j.at("gap").get<double>();
    s->solve_s = j.at("solve_s").get<double>();
    s->solver = j.at("solver").get<std::string>();
    s->status = j.at("status").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return std::string("solution: ") + e.what();
  }
  if (s->rank_of.size() != p.tiles.size())
    return std::to_string(s->rank_of.size()) + " ranks for " + std::to_string(p.tiles.size()) + " tiles";
  for (const int r : s->rank_of)
    if (r < 0 || r >= p.ranks) return "rank " + std::to_string(r) + " outside [0, " + std::to_string(p.ranks) + ")";
  const double objective = tiling_traffic(p, s->rank_of).max();
  if (!(std::fabs(objective - s->objective) <= 1e-9 * std::max(1.0, objective)))
    return "objective " + std::to_string(s->objective) + " is not the assignment's " + std::to_string(objective);
  if (!(s->bound >= 0 && s->bound <= s->objective)) return "bound outside [0, objective]";
  return "";
}

}  // namespace

void set_tiling_cache(TilingCacheSettings s) { settings() = std::move(s); }
const TilingCacheSettings& tiling_cache() { return settings(); }

nlohmann::json tiling_cache_key(const TilingProblem& p, const std::string& method, const std::string& code) {
  nlohmann::json tiles = nlohmann::json::array();
  for (const TilingTile& t : p.tiles) tiles.push_back({t.q_block, t.k_block, t.work});
  return {{"code", code},           {"method", method},     {"ranks", p.ranks},
          {"balance", p.balance},   {"owner", p.owner},     {"q_bytes", p.q_bytes},
          {"kv_bytes", p.kv_bytes}, {"o_bytes", p.o_bytes}, {"tiles", std::move(tiles)}};
}

std::string tiling_cache_file(const std::string& dir, const nlohmann::json& key) {
  return dir + "/tiling-" + hex16(fnv1a64_text(key.dump())) + ".json";
}

bool load_cached_tiling(const std::string& file, const nlohmann::json& key, const TilingProblem& p, TilingSolution* out,
                        std::string* why) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    *why = "absent";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  try {
    if (doc.is_discarded() || !doc.is_object()) {
      *why = "not valid JSON";
    } else if (doc.value("schema", std::string()) != kSchema || doc.value("version", 0) != kVersion) {
      *why = std::string("not a ") + kSchema + " file of version " + std::to_string(kVersion);
    } else if (!doc.contains("problem") || doc["problem"] != key) {
      *why = "for another problem (a hash collision)";
    } else {
      TilingSolution s;
      *why = doc.contains("solution") ? read_solution(doc["solution"], p, &s) : "no \"solution\"";
      if (why->empty()) {
        *out = std::move(s);
        return true;
      }
    }
  } catch (const nlohmann::json::exception& e) {  // a field of the wrong type
    *why = std::string("not a ") + kSchema + " file: " + e.what();
  }
  return false;
}

std::string store_cached_tiling(const std::string& file, const nlohmann::json& key, const TilingSolution& s) {
  const nlohmann::json doc = {
      {"schema", kSchema}, {"version", kVersion}, {"problem", key}, {"solution", solution_json(s)}};
  try {
    write_file_atomically(file, doc.dump() + "\n");
  } catch (const std::system_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace cpb
