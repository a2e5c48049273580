// The problem one sweep point solves: attention shape, mask, dtype and the options a
// schedule reads. Plain data; every rank of a job holds the same Problem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/dtype.hpp"

namespace cpb {

// Why something cannot run (e.g. "S=100 is not divisible by 2P=8"), or nullopt when it
// can: the one answer of Schedule::unsupported, Runtime::unsupported and their helpers.
using Reason = std::optional<std::string>;

// Values of the schedule options that are names. Their names are in the option registry
// (bench/schedule.hpp), which also documents each value.
enum class ChunkShape { Even, Taper };
enum class CommOrder { Interleaved, InputsFirst };
enum class QkvLayout { Separate, Packed };
enum class TileSolver { Greedy, Milp };
enum class TileFuse { Rows, Off, Both };
// Which pass of attention a point runs (docs/METRICS.md, "Backward pass"): Fwd the forward
// alone; Bwd the backward alone, timed after an untimed forward that produced O and the
// LSE statistics; FwdBwd both, timed together.
enum class Pass { Fwd, Bwd, FwdBwd };
const char* to_string(Pass p);
bool parse_pass(const std::string& name, Pass* out);  // false when unknown
std::vector<std::string> pass_names();                // in Pass order

// Half-open range [begin, begin + size).
struct Range {
  int64_t begin = 0;
  int64_t size = 0;
  int64_t end() const { return begin + size; }
};

// The parameters of the mask patterns (bench/mask/mask_regions.hpp); each pattern reads
// some of them (mask_param_specs), the rest keep their defaults. Block tables divide the
// S tokens into `blocks` blocks, block i being tokens [i S / blocks, (i + 1) S / blocks).
// A cell of a table: 0 empty, 1 full, 2 causal (top-left aligned in the cell).
struct MaskParams {
  int blocks = 0;   // strided, global_local, star, streaming: blocks per side (0: the pattern's default)
  int group = 4;    // strided: blocks per diagonal group
  int local = 0;    // strided, global_local, streaming: band width in blocks (0: the pattern's default)
  int global = 1;   // global_local: full leading rows and columns; streaming: sink blocks (full columns)
  int docs = 4;     // document: documents of near-equal length (when doc_tokens is empty)
  std::vector<int64_t> doc_tokens;  // document: the documents' lengths [tokens], summing to S
  int frames = 21;  // block_causal: frames of near-equal length
  int64_t window = 4096;  // sliding_window: keys each query sees, itself included [tokens]
  std::vector<std::vector<int>> table;  // table: the cells, square, rows of queries

  bool operator==(const MaskParams& o) const;
};

struct Problem {
  int P = 1;          // ranks taking part (the MPI world size)
  int64_t S = 0;      // global sequence length [tokens], queries and keys alike
  int H = 0;          // query heads
  int Hkv = 0;        // key/value heads; H % Hkv == 0 (GQA when Hkv < H)
  int D = 0;          // head dimension
  int B = 1;          // batch
  Mask mask = Mask::Full;
  MaskParams mask_params;
  DType dtype = DType::BF16;
  Pass pass = Pass::Fwd;

  // Whether the plan computes the gradients dQ, dK, dV (and verification checks them).
  bool backward() const { return pass != Pass::Fwd; }

  // Schedule options (bench/schedule.hpp, option_specs()). A schedule ignores the ones it
  // does not declare in options().
  int chunks = 1;               // hcms: chunks per rank (C); 1 = Ulysses
  // hcms: C is chosen per point by calibration (bench/schedules/hcms_chunks_auto.hpp); the runner sets
  // `chunks` before it plans, and until then `chunks` is 1.
  bool chunks_auto = false;
  std::vector<int> chunk_heads; // hcms: explicit head count of each chunk (sums to the
                                // heads of every rank); empty = split by `chunks`
  ChunkShape chunk_shape = ChunkShape::Even;  // hcms (layout.hpp: taper_split)
  int usp_u = 0;                // usp: ranks per Ulysses group u (ring degree r = P / u)
  CommOrder comm_order = CommOrder::Interleaved;  // hcms: the order of the comm lane
  int comm_lanes = 1;           // hcms: 1 = every exchange on lane "comm"; 2 = output
                                // exchanges and their unpacks on lane "comm_out"
  // ulysses, hcms: Separate = Q, K and V in buffers of their own, one transfer per
  // tensor and peer; Packed = Q, K and V heads side by side in [B, tokens, hq + 2 hkv, D]
  // tensors (one per chunk and peer in buffer qkv_send, one per chunk in buffer qkv_heads),
  // one transfer per peer, attention reading Q, K, V through strides (head_exchange.hpp).
  QkvLayout qkv_layout = QkvLayout::Separate;
  int tile_blocks = 2;   // tiled: blocks per rank's shard (bench/tiling/tiled_layout.hpp)
  int tile_balance = 5;  // tiled: work per rank within this many percent of the mean
  TileSolver tile_solver = TileSolver::Greedy;  // tiled: how tiles are assigned (tiled_layout.hpp)
  TileFuse tile_fuse = TileFuse::Rows;          // tiled: a rank's adjacent tiles in one call (tiled_plan_builder.hpp)
  int tile_u = 1;        // tiled: Ulysses degree: heads over groups of u ranks, tiles over the P / u groups
  int tile_node = 1;     // tiled: ranks per node of node-level tiling (bench/tiling/tiled_layout.hpp); 1 = off

  int group_size() const { return H / Hkv; }  // query heads per key/value head
  double softmax_scale() const;               // 1 / sqrt(D)
};

// The shape fields of `p` as they appear in a record's params: P, S, H, Hkv, D, B, mask,
// the mask parameters its mask reads, dtype, and pass only when not fwd (so records of
// sweeps before the pass axis keep their params; readers take an absent pass as fwd).
// Names as in the config, without the schedule options.
nlohmann::json shape_json(const Problem& p);

}  // namespace cpb
