// HCMS (head-chunked multi-stream Ulysses): Ulysses with each rank's query heads cut into
// C chunks. Every chunk is exchanged, attended and returned on its own: chunk c's input
// all-to-all runs on the comm lane while attention of chunk c-1 runs on the compute lane,
// and chunk c's output all-to-all starts as soon as its attention ends. Packs are one Copy
// per chunk at the start (compute lane); the unpack of chunk c follows its output
// exchange on that exchange's lane.
//
// Chunks: Problem::chunk_heads when given, else C = Problem::chunks split by
// Problem::chunk_shape. Even (even_split): the first (h mod C) chunks one head more.
// Taper (taper_split), for C >= 3: the first and last chunks, whose input and output
// exchanges nothing overlaps (fill and drain), get about half the heads of the others:
// e = max(1, floor((h + C - 2) / (2 (C - 1)))) heads each (the integer nearest
// h / (2 (C - 1)), a half rounded down), and the C - 2 middle chunks even_split the other
// h - 2e; 20 heads, C = 6 -> 2 4 4 4 4 2. With C < 3 taper is even. Each rank splits its
// own h, so ranks with uneven head counts get their own sizes, with the same C.
//
// Lanes: Problem::comm_order orders the comm lane: Interleaved (in0, in1, out0, in2,
// out1, ..., out_{C-1}: an output goes out as soon as the next input is posted) or
// InputsFirst (all inputs, then all outputs). Problem::comm_lanes = 2 puts the output
// exchanges and their unpacks on a lane "comm_out" of their own, so an output never
// queues behind an input; each lane then runs its exchanges in chunk order, and
// comm_order only changes the order in which the steps are issued.
// Problem::qkv_layout Packed sends a chunk's Q, K and V to a peer as one transfer
// (head_exchange.hpp).
//
// Attention of a head sees the same inputs as under Ulysses, so with the same kernel the
// output is bitwise equal to Ulysses; C = 1 on one comm lane builds exactly the Ulysses
// plan. Bytes equal Ulysses' except under GQA, where a key/value head shared by two
// chunks is sent twice.
//
// Backward (pass bwd, fwd_bwd; head_gradients.hpp): the pipeline in reverse, from the last
// chunk to the first: chunk c's dO exchange runs on the comm lane beside chunk c+1's
// backward tiles, and chunk c's gradients go back (to be summed into dQ, dK, dV by their
// owners) beside chunk c-1's tiles. The forward keeps each chunk's head-sharded Q, K, V,
// O and its rows' final LSE for it. Per rank and peer it sends dO of the peer's heads and
// dQ, dK, dV of its own: Ulysses' bytes again under MHA. A GQA key/value head shared by
// two chunks returns one partial dK and dV per chunk.
#include "bench/schedule.hpp"
#include "bench/schedules/head_exchange.hpp"
#include "bench/schedules/head_pipeline.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {
namespace {

// Query heads of every rank in chunks: [rank][chunk].
std::vector<std::vector<Range>> chunked_heads(const Problem& p) {
  std::vector<std::vector<Range>> out;
  for (const Range& r : even_split(p.H, p.P)) out.push_back(head_chunks(p, r));
  return out;
}

class Hcms final : public Schedule {
 public:
  std::string name() const override { return "hcms"; }
  std::string description() const override {
    return "Ulysses with heads in C chunks; chunk exchanges overlap attention of other chunks";
  }
  std::vector<Option> options() const override {
    return {Option::Chunks, Option::ChunkHeads, Option::ChunkShape, Option::CommOrder, Option::CommLanes,
            Option::QkvLayout};
  }
  // Chunking changes which heads travel together, never how a head is computed. In the
  // backward pass a chunk boundary inside a GQA group splits the group's dK and dV into one
  // more partial sum than Ulysses adds, which rounds differently: no bitwise reference then.
  std::string bitwise_reference(const Problem& p) const override {
    if (p.backward())
      for (const std::vector<Range>& rank : chunked_heads(p))
        for (size_t c = 1; c < rank.size(); ++c)
          if (rank[c].begin % p.group_size() != 0) return "";
    return "ulysses";
  }
  std::string label(const Problem& p) const override { return "C" + std::to_string(p.chunks); }

  Reason unsupported(const Problem& p) const override {
    if (auto e = head_shard_error(p, "hcms")) return e;
    const OptionSpec& lanes = option_spec(Option::CommLanes);
    if (p.comm_lanes < 1 || p.comm_lanes > lanes.max) {
      std::string allowed = "1";
      for (int64_t n = 2; n <= lanes.max; ++n) allowed += ", " + std::to_string(n);
      return std::string(lanes.name) + "=" + std::to_string(p.comm_lanes) + " is not one of " + allowed + " (hcms)";
    }
    const std::vector<Range> heads = even_split(p.H, p.P);
    for (int r = 0; r < p.P; ++r)
      if (auto e = hcms_split_error(p, heads[r].size, r, "hcms")) return e;
    return std::nullopt;
  }

  Model model(const Problem& p, int rank) const override {
    return head_pipeline_model(p, rank, chunked_heads(p));
  }

  Plan plan(const Problem& p, int rank) const override {
    return head_pipeline_plan(p, rank, name(), chunked_heads(p),
                              PipelineLanes{p.comm_order == CommOrder::InputsFirst, p.comm_lanes == 2});
  }
};

}  // namespace

CPB_REGISTER_SCHEDULE(Hcms);

}  // namespace cpb
