#include "tests/mutations/plan_mutations.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "bench/plan/plan_check.hpp"

namespace cpb::test {
namespace {

std::string equal_weight_merge(Plan& plan) {
  int n = 0;
  for (Step& s : plan.steps)
    if (auto* m = std::get_if<MergeOp>(&s.op); m && !m->init) {
      m->part_lse = m->acc_lse;
      ++n;
    }
  return n > 0 ? "" : "no non-initial merge";
}

std::string scale_1pct(Plan& plan) {
  int n = 0;
  for (Step& s : plan.steps)
    if (auto* a = std::get_if<AttentionOp>(&s.op)) {
      a->scale *= 1.01f;
      ++n;
    }
  return n > 0 ? "" : "no attention";
}

bool same_view(const View& a, const View& b) {
  return a.buf == b.buf && a.offset == b.offset && a.shape == b.shape && a.stride == b.stride;
}

std::string skip_ring_step(Plan& plan) {
  for (const Step& s : plan.steps) {
    const auto* m = std::get_if<MergeOp>(&s.op);
    if (!m || m->init) continue;
    // The latest Attention before this Merge that wrote its partial.
    for (int i = s.id - 1; i >= 0; --i) {
      const auto* a = std::get_if<AttentionOp>(&plan.steps[static_cast<size_t>(i)].op);
      if (!a || !same_view(a->o, m->part_o)) continue;
      const int attn = i, merge = s.id;
      plan = filter_steps(plan, [&](const Step& t) { return t.id != attn && t.id != merge; });
      return "";
    }
  }
  return "no merged attention";
}

// Moves v by `heads` heads (dimension 2 of [B, S, H, D]).
void shift_heads(View& v, int64_t heads) { v.offset += heads * v.stride[2]; }

std::string chunk_head_shift(const Problem& p, Plan& plan) {
  for (Step& s : plan.steps) {
    auto* a = std::get_if<AttentionOp>(&s.op);
    if (!a) continue;
    const AttentionOp keep = *a;
    for (int64_t by : {int64_t{1}, int64_t{-1}}) {
      *a = keep;
      shift_heads(a->q, by);
      shift_heads(a->k, by);
      shift_heads(a->v, by);
      if (a->q.offset >= 0 && a->k.offset >= 0 && check_runnable(plan, p, INT64_MAX).empty()) return "";
    }
    *a = keep;
    return "no head to shift to";
  }
  return "no attention";
}

// Drops the last row of v and starts it one row later (dimension 1 of [B, S, H, D]).
void shift_rows(View& v) {
  v.offset += v.stride[1];
  v.shape[1] -= 1;
}
void drop_last_row(View& v) { v.shape[1] -= 1; }

// Rank 0's last write of O, a Copy pair or an Attention output, lands one row later:
// its rows [0, n - 1) go to rows [1, n) and its last row is not written.
std::string row_offset(Plan& plan) {
  const int o = plan.find_buffer(BufferRole::O);
  for (auto s = plan.steps.rbegin(); s != plan.steps.rend(); ++s) {
    if (auto* c = std::get_if<CopyOp>(&s->op)) {
      for (auto pair = c->pairs.rbegin(); pair != c->pairs.rend(); ++pair)
        if (pair->dst.buf == o && pair->dst.shape[1] > 1) {
          shift_rows(pair->dst);
          drop_last_row(pair->src);
          return "";
        }
    }
    if (auto* a = std::get_if<AttentionOp>(&s->op); a && a->o.buf == o && a->o.shape[1] > 1) {
      shift_rows(a->o);
      drop_last_row(a->q);
      if (a->causal) {  // a causal tile stays square and top-left aligned
        drop_last_row(a->k);
        drop_last_row(a->v);
      }
      if (a->has_lse) a->lse.shape[2] -= 1;
      return "";
    }
  }
    return "no write of O with more than one row";
}

std::string bwd_scale_1pct(Plan& plan) {
  int n = 0;
  for (Step& s : plan.steps)
    if (auto* a = std::get_if<AttentionBackwardOp>(&s.op)) {
      a->scale *= 1.01f;
      ++n;
    }
  return n > 0 ? "" : "no attention backward";
}

// The last pair of the last Reduce into a gradient role buffer is dropped: one partial
// gradient, computed, is never added where it is owned.
std::string bwd_drop_partial(Plan& plan) {
  const int grads[] = {plan.find_buffer(BufferRole::DQ), plan.find_buffer(BufferRole::DK),
                       plan.find_buffer(BufferRole::DV)};
  for (auto s = plan.steps.rbegin(); s != plan.steps.rend(); ++s) {
    auto* r = std::get_if<ReduceOp>(&s->op);
    if (!r) continue;
    for (auto pair = r->pairs.rbegin(); pair != r->pairs.rend(); ++pair)
      if (std::find(std::begin(grads), std::end(grads), pair->dst.buf) != std::end(grads) && r->pairs.size() > 1) {
        r->pairs.erase(std::next(pair).base());
        return "";
      }
  }
  return "no reduce of two or more partials into a gradient";
}

}  // namespace

const std::vector<std::string>& mutation_names() {
  static const std::vector<std::string> names{"equal_weight_merge", "scale_1pct",     "skip_ring_step",
                                              "chunk_head_shift",   "row_offset",     "bwd_scale_1pct",
                                              "bwd_drop_partial"};
  return names;
}

std::string apply_mutation(const std::string& name, const Problem& p, Plan& plan) {
  if (name == "equal_weight_merge") return equal_weight_merge(plan);
  if (name == "scale_1pct") return scale_1pct(plan);
  const std::string other = "planted on another rank";
  // The last rank: under the causal mask it merges a block from every other rank.
  if (name == "skip_ring_step") return plan.rank == plan.world - 1 ? skip_ring_step(plan) : other;
  if (name == "chunk_head_shift") return plan.rank == 0 ? chunk_head_shift(p, plan) : other;
  if (name == "row_offset") return plan.rank == 0 ? row_offset(plan) : other;
  if (name == "bwd_scale_1pct") return bwd_scale_1pct(plan);
  if (name == "bwd_drop_partial") return plan.rank == 0 ? bwd_drop_partial(plan) : other;
  throw std::invalid_argument("unknown mutation '" + name + "'");
}

}  // namespace cpb::test
