#include "bench/schedule.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

namespace cpb {
namespace {

using nlohmann::json;

// The value names of the enum options, in enum order.
const std::vector<std::string> kChunkShapes = {"even", "taper"};
const std::vector<std::string> kCommOrders = {"interleaved", "inputs_first"};
const std::vector<std::string> kQkvLayouts = {"separate", "packed"};
const std::vector<std::string> kTileSolvers = {"greedy", "milp"};
const std::vector<std::string> kTileFuses = {"rows", "off", "both"};

constexpr int64_t kIntMax = std::numeric_limits<int>::max();

template <class E>
E enum_of(const std::vector<std::string>& names, const json& v) {
  const auto it = std::find(names.begin(), names.end(), v.get<std::string>());
  if (it == names.end()) throw std::logic_error("unchecked option value " + v.dump());
  return static_cast<E>(it - names.begin());
}

std::vector<OptionSpec> make_option_specs() {
  std::vector<OptionSpec> v;
  v.push_back({Option::Chunks, "chunks", OptionKind::SizeOrAuto, {}, kIntMax, 1, false, false, "C",
               "hcms: chunks per rank C (1 = Ulysses); \"auto\" calibrates C per point",
               [](const Problem& p) { return p.chunks_auto ? json("auto") : json(p.chunks); },
               [](Problem* p, const json& x) {
                 p->chunks_auto = x == "auto";
                 p->chunks = p->chunks_auto ? 1 : x.get<int>();
               }});
  v.push_back({Option::ChunkHeads, "chunk_heads", OptionKind::HeadList, {}, kIntMax, nullptr, false, false, "heads",
               "hcms: the query heads of each chunk, e.g. [4, 3, 3]; fixes the chunk count",
               [](const Problem& p) { return p.chunk_heads.empty() ? json() : json(p.chunk_heads); },
               [](Problem* p, const json& x) {
                 p->chunk_heads = x.is_null() ? std::vector<int>{} : x.get<std::vector<int>>();
               }});
  v.push_back({Option::ChunkShape, "chunk_shape", OptionKind::Name, kChunkShapes, 0, kChunkShapes[0], true, false, nullptr,
               "hcms: even chunks, or taper (for C >= 3: the first and last chunks about half the others)",
               [](const Problem& p) { return json(to_string(p.chunk_shape)); },
               [](Problem* p, const json& x) { p->chunk_shape = enum_of<ChunkShape>(kChunkShapes, x); }});
  v.push_back({Option::UspU, "usp_u", OptionKind::Size, {}, kIntMax, nullptr, false, false, "u",
               "usp: ranks per Ulysses group u (ring degree P / u); required when usp runs",
               [](const Problem& p) { return json(p.usp_u); },
               [](Problem* p, const json& x) { p->usp_u = x.is_null() ? 0 : x.get<int>(); }});
  v.push_back({Option::CommOrder, "comm_order", OptionKind::Name, kCommOrders, 0, kCommOrders[0], false, false, nullptr,
               "hcms: the comm lane's order: each output after the next input, or all inputs first",
               [](const Problem& p) { return json(to_string(p.comm_order)); },
               [](Problem* p, const json& x) { p->comm_order = enum_of<CommOrder>(kCommOrders, x); }});
  v.push_back({Option::CommLanes, "comm_lanes", OptionKind::Size, {}, 2, 1, true, false, nullptr,
               "hcms: 1 = every exchange on one comm lane; 2 = output exchanges on a lane of their own",
               [](const Problem& p) { return json(p.comm_lanes); },
               [](Problem* p, const json& x) { p->comm_lanes = x.get<int>(); }});
  v.push_back({Option::QkvLayout, "qkv_layout", OptionKind::Name, kQkvLayouts, 0, kQkvLayouts[0], true, true, nullptr,
               "ulysses, hcms: Q, K, V as separate transfers, or packed into one transfer per peer",
               [](const Problem& p) { return json(to_string(p.qkv_layout)); },
               [](Problem* p, const json& x) { p->qkv_layout = enum_of<QkvLayout>(kQkvLayouts, x); }});
  v.push_back({Option::TileBlocks, "tile_blocks", OptionKind::Size, {}, 1024, 2, false, false, "m",
               "tiled: blocks per rank's shard; tiles are pairs of blocks (S must divide into P m blocks)",
               [](const Problem& p) { return json(p.tile_blocks); },
               [](Problem* p, const json& x) { p->tile_blocks = x.get<int>(); }});
  v.push_back({Option::TileBalance, "tile_balance", OptionKind::Size, {}, 100, 5, false, false, nullptr,
               "tiled: each rank's attention work within this many percent of the mean",
               [](const Problem& p) { return json(p.tile_balance); },
               [](Problem* p, const json& x) { p->tile_balance = x.get<int>(); }});
  v.push_back({Option::TileSolver, "tile_solver", OptionKind::Name, kTileSolvers, 0, kTileSolvers[0], false, false,
               nullptr, "tiled: the assignment: greedy, or the MILP (HiGHS) warm-started from it",
               [](const Problem& p) { return json(to_string(p.tile_solver)); },
               [](Problem* p, const json& x) { p->tile_solver = enum_of<TileSolver>(kTileSolvers, x); }});
  v.push_back({Option::TileU, "tile_u", OptionKind::Size, {}, kIntMax, 1, true, false, "u",
               "tiled: Ulysses degree u: query heads over groups of u consecutive ranks, tiles over the P / u groups",
               [](const Problem& p) { return json(p.tile_u); },
               [](Problem* p, const json& x) { p->tile_u = x.get<int>(); }});
  v.push_back({Option::TileNode, "tile_node", OptionKind::Size, {}, kIntMax, 1, true, false, nullptr,
               "tiled: ranks per node g: tiles to nodes of g consecutive ranks first, then each node's tiles to "
               "its ranks; 1 = device-level only",
               [](const Problem& p) { return json(p.tile_node); },
               [](Problem* p, const json& x) { p->tile_node = x.get<int>(); }});
  v.push_back({Option::TileFuse, "tile_fuse", OptionKind::Name, kTileFuses, 0, kTileFuses[0], true, true, nullptr,
               "tiled: rows, a rank's tiles of one query block whose keys adjoin in one buffer and whose union is one "
               "mask region as one attention call (fewer calls and merges, same pairs); both, rows, then its calls of "
               "adjoining query blocks whose bounding box is one mask region, where each writes its rows' only output "
               "(forward only); off, one call per tile",
               [](const Problem& p) { return json(to_string(p.tile_fuse)); },
               [](Problem* p, const json& x) { p->tile_fuse = enum_of<TileFuse>(kTileFuses, x); }});
  return v;
}
std::map<std::string, std::unique_ptr<Schedule>>& registry() {
  static std::map<std::string, std::unique_ptr<Schedule>> r;
  return r;
}
}  // namespace

void register_schedule(std::unique_ptr<Schedule> s) {
  const std::string name = s->name();
  if (!registry().emplace(name, std::move(s)).second)
    throw std::logic_error("schedule registered twice: " + name);
}

const Schedule* find_schedule(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second.get();
}

std::vector<const Schedule*> all_schedules() {
  std::vector<const Schedule*> out;
  for (auto& kv : registry()) out.push_back(kv.second.get());
  return out;
}

const std::vector<OptionSpec>& option_specs() {
  static const std::vector<OptionSpec> specs = make_option_specs();
  return specs;
}

const OptionSpec& option_spec(Option o) { return option_specs()[static_cast<size_t>(o)]; }

const OptionSpec* find_option(const std::string& name) {
  for (const OptionSpec& o : option_specs())
    if (name == o.name) return &o;
  return nullptr;
}

const std::string& to_string(ChunkShape v) { return kChunkShapes[static_cast<size_t>(v)]; }
const std::string& to_string(CommOrder v) { return kCommOrders[static_cast<size_t>(v)]; }
const std::string& to_string(QkvLayout v) { return kQkvLayouts[static_cast<size_t>(v)]; }
const std::string& to_string(TileSolver v) { return kTileSolvers[static_cast<size_t>(v)]; }
const std::string& to_string(TileFuse v) { return kTileFuses[static_cast<size_t>(v)]; }

std::vector<std::string> Schedule::option_axes() const {
  std::vector<std::string> out;
  for (Option o : options()) out.push_back(option_spec(o).name);
  return out;
}

bool Schedule::reads(Option o) const {
  const std::vector<Option> mine = options();
  return std::find(mine.begin(), mine.end(), o) != mine.end();
}

std::vector<std::string> schedule_names() {
  std::vector<std::string> out;
  for (auto& kv : registry()) out.push_back(kv.first);
  return out;
}

}  // namespace cpb
