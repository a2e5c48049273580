// The Ulysses head exchange inside a group of u ranks, the building block of ulysses,
// hcms and usp.
//
// Members of a group hold consecutive token blocks of s_local tokens each. Input side:
// each member packs, for every other member i and chunk c, the query heads i attends to
// in chunk c (and the key/value heads those need) into a send buffer (one Copy step per
// chunk, compute lane); the chunk's AllToAll sends one slice per (tensor, batch, peer)
// straight into the receiver's head-sharded tensors [B, u s_local, h, D], so attention
// reads the receive buffers without an unpack. The member's own part is copied there by
// the pack itself. Output side: attention writes head-sharded O [B, u s_local, h, D]; an
// AllToAll returns each peer's token rows into a staging buffer; an unpack Copy puts
// them (and the member's own rows, straight from the head-sharded O) into O's heads.
// Under GQA the key/value heads of a chunk are [first/g, (last)/g]; one that two chunks
// or two members share is sent to each of them.
// Problem::qkv_layout Separate gives Q, K and V buffers of their own, so a chunk's input
// AllToAll has three transfers per (batch, peer); Packed puts a chunk's Q, K and V heads
// side by side in one [B, tokens, hq + 2 hkv, D] tensor on both sides (send and receive),
// one transfer per (batch, peer), and attention reads Q, K and V through the wider row
// stride. The bytes are the same; the number of NCCL sends and receives drops threefold.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/schedule.hpp"
#include "bench/schedules/layout.hpp"

namespace cpb {

struct HeadGroup {
  int group = -1;            // index into Plan::groups
  std::vector<int> members;  // world ranks, in token order
  int me = 0;                // this rank's position in `members`
  int64_t s_local = 0;       // tokens each member holds
  // q_heads[i][c]: global query heads member i attends to in chunk c; every member has the
  // same number of chunks.
  std::vector<std::vector<Range>> q_heads;

  int size() const { return static_cast<int>(members.size()); }
  int chunks() const { return static_cast<int>(q_heads.at(0).size()); }
};

// `heads` query heads split across `members` as evenly as possible (the first H mod u one
// more), each member's heads in one chunk.
std::vector<std::vector<Range>> even_head_split(int heads, int members);

// Bytes this rank sends and receives in all input and output exchanges of `g` (only
// transfers to and from other members), from head counts alone.
Model head_exchange_model(const Problem& p, const HeadGroup& g);

class HeadExchange {
 public:
  // Adds the send, receive and staging buffers to `plan`, whose Q, K, V, O are `roles`.
  HeadExchange(Plan& plan, const Problem& p, HeadGroup g, const RoleTensors& roles);

  int chunks() const { return g_.chunks(); }
  Range q_heads(int c) const { return g_.q_heads[g_.me][c]; }
  Range kv_heads(int c) const { return kv_heads_for(q_heads(c), p_.group_size()); }
  // This rank's head-sharded tensors of chunk c, [B, u s_local, h, D] over the group's
  // tokens: inputs as received (pitched, not dense, when packed), output as attention
  // writes it.
  const DenseTensor& q(int c) const { return recv_[0][c]; }
  const DenseTensor& k(int c) const { return recv_[1][c]; }
  const DenseTensor& v(int c) const { return recv_[2][c]; }
  const DenseTensor& o(int c) const { return o_heads_[c]; }

  // Each returns the new step id; the exchanges return nullopt when the group has no
  // other member (nothing to send).
  int add_pack(int lane, int c);
  std::optional<int> add_input_exchange(int lane, int c, std::vector<int> deps);
  std::optional<int> add_output_exchange(int lane, int c, std::vector<int> deps);
  int add_unpack(int lane, int c, std::vector<int> deps);

 private:
  Range member_tokens(int i) const { return Range{i * g_.s_local, g_.s_local}; }
  bool packed() const { return p_.qkv_layout == QkvLayout::Packed; }
  std::string label(const char* what, int c) const;
  // An empty AllToAll on the group.
  ExchangeOp all_to_all() const;
  // For every batch: sends rows `send_tokens` of `send` to `peer` and receives rows
  // `recv_tokens` of `recv` from it.
  void add_rows(ExchangeOp& ex, int peer, const DenseTensor& send, Range send_tokens, const DenseTensor& recv,
                Range recv_tokens) const;

  Plan& plan_;
  Problem p_;
  HeadGroup g_;
  RoleTensors roles_;
  // send_[t][c][i]: packed tensor t (q, k, v) of chunk c for member i (i != me).
  std::vector<std::vector<std::vector<DenseTensor>>> send_;
  std::vector<std::vector<DenseTensor>> recv_;   // [t][c]
  // qkv_layout Packed only: the tensors send_ and recv_ are head ranges of.
  std::vector<std::vector<DenseTensor>> qkv_send_;  // [c][i]
  std::vector<DenseTensor> qkv_recv_;               // [c]
  std::vector<DenseTensor> o_heads_;             // [c]
  std::vector<std::vector<DenseTensor>> stage_;  // [c][i]: O rows of member i's heads
};

}  // namespace cpb
