#include "bench/plan/plan_io.hpp"

#include <limits>
#include <utility>

#include "base/usage_error.hpp"

namespace cpb {
namespace {

using nlohmann::json;

const std::pair<const char*, Storage> kStorages[] = {{"act", Storage::Act}, {"f32", Storage::F32}};
const std::pair<const char*, BufferRole> kRoles[] = {{"q", BufferRole::Q},
                                                     {"k", BufferRole::K},
                                                     {"v", BufferRole::V},
                                                     {"o", BufferRole::O},
                                                     {"scratch", BufferRole::Scratch},
                                                     {"do", BufferRole::DO},
                                                     {"dq", BufferRole::DQ},
                                                     {"dk", BufferRole::DK},
                                                     {"dv", BufferRole::DV}};
const std::pair<const char*, ExchangeOp::Pattern> kPatterns[] = {{"all_to_all", ExchangeOp::Pattern::AllToAll},
                                                                 {"send_recv", ExchangeOp::Pattern::SendRecv}};
const std::pair<const char*, OpKind> kKinds[] = {{"copy", OpKind::Copy},
                                                 {"exchange", OpKind::Exchange},
                                                 {"attention", OpKind::Attention},
                                                 {"merge", OpKind::Merge},
                                                 {"attention_backward", OpKind::AttentionBackward},
                                                 {"reduce", OpKind::Reduce},
                                                 {"zero", OpKind::Zero}};

template <class T, size_t N>
const char* name_of(const std::pair<const char*, T> (&table)[N], T value) {
  for (const auto& e : table)
    if (e.second == value) return e.first;
  return "?";
}

// ---- writing ---------------------------------------------------------------------------

json range_json(Range r) { return json::array({r.begin, r.size}); }

json view_json(const View& v) {
  return {{"buf", v.buf}, {"offset", v.offset}, {"shape", v.shape}, {"stride", v.stride}};
}

json transfers_json(const std::vector<Transfer>& ts) {
  json out = json::array();
  for (const Transfer& t : ts)
    out.push_back({{"peer", t.peer}, {"buf", t.slice.buf}, {"offset", t.slice.offset}, {"count", t.slice.count}});
  return out;
}

json pairs_json(const std::vector<CopyOp::Pair>& pairs) {
  json out = json::array();
  for (const CopyOp::Pair& p : pairs) out.push_back({{"src", view_json(p.src)}, {"dst", view_json(p.dst)}});
  return out;
}

// The mask, scale and coverage fields AttentionOp and AttentionBackwardOp share.
template <class Op>
void tile_json(const Op& a, json& j) {
  j["causal"] = a.causal;
  j["diag"] = a.diag;
  j["window"] = a.window;
  j["scale"] = a.scale;
  j["heads"] = range_json(a.heads);
  j["q_tokens"] = range_json(a.q_tokens);
  j["k_tokens"] = range_json(a.k_tokens);
}

json backward_json(const AttentionBackwardOp& a) {
  json j = {{"q", view_json(a.q)},   {"k", view_json(a.k)},       {"v", view_json(a.v)},
            {"o", view_json(a.o)},   {"dout", view_json(a.dout)}, {"lse", view_json(a.lse)},
            {"dq", view_json(a.dq)}, {"dk", view_json(a.dk)},     {"dv", view_json(a.dv)}};
  tile_json(a, j);
  return j;
}

json op_json(const Step& s) {
  json j = {{"kind", to_string(s.kind())}};
  switch (s.kind()) {
    case OpKind::Copy:
      j["pairs"] = pairs_json(std::get<CopyOp>(s.op).pairs);
      break;
    case OpKind::Reduce:
      j["pairs"] = pairs_json(std::get<ReduceOp>(s.op).pairs);
      break;
    case OpKind::Zero: {
      json slices = json::array();
      for (const Slice& z : std::get<ZeroOp>(s.op).slices)
        slices.push_back({{"buf", z.buf}, {"offset", z.offset}, {"count", z.count}});
      j["slices"] = slices;
      break;
    }
    case OpKind::AttentionBackward:
      j.update(backward_json(std::get<AttentionBackwardOp>(s.op)));
      break;
    case OpKind::Exchange: {
      const ExchangeOp& e = std::get<ExchangeOp>(s.op);
      j["pattern"] = name_of(kPatterns, e.pattern);
      j["group"] = e.group;
      j["sends"] = transfers_json(e.sends);
      j["recvs"] = transfers_json(e.recvs);
      break;
    }
    case OpKind::Attention: {
      const AttentionOp& a = std::get<AttentionOp>(s.op);
      j["q"] = view_json(a.q);
      j["k"] = view_json(a.k);
      j["v"] = view_json(a.v);
      j["o"] = view_json(a.o);
      j["has_lse"] = a.has_lse;
      j["lse"] = view_json(a.lse);
      tile_json(a, j);
      break;
    }
    case OpKind::Merge: {
      const MergeOp& m = std::get<MergeOp>(s.op);
      j["part_o"] = view_json(m.part_o);
      j["part_lse"] = view_json(m.part_lse);
      j["acc_o"] = view_json(m.acc_o);
      j["acc_lse"] = view_json(m.acc_lse);
      j["init"] = m.init;
      break;
    }
  }
  return j;
}

// ---- reading ---------------------------------------------------------------------------

// A JSON value and its path from the document root, for error messages.
class Field {
 public:
  Field(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  Field operator[](const char* key) const {
    if (!j_.is_object()) fail("must be an object");
    auto it = j_.find(key);
    if (it == j_.end()) throw UsageError(path_ + "." + key + ": missing");
    return Field(*it, path_ + "." + key);
  }
  bool has(const char* key) const { return j_.is_object() && j_.contains(key); }
  Field item(size_t i) const { return Field(j_.at(i), path_ + "[" + std::to_string(i) + "]"); }
  size_t size(size_t want = 0) const {
    if (!j_.is_array()) fail("must be an array");
    if (want && j_.size() != want) fail("must have " + std::to_string(want) + " elements");
    return j_.size();
  }
  int64_t int64() const {
    if (!j_.is_number_integer()) fail("must be an integer");
    return j_.get<int64_t>();
  }
  int integer() const {
    const int64_t v = int64();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) fail("is out of range");
    return static_cast<int>(v);
  }
  bool boolean() const {
    if (!j_.is_boolean()) fail("must be true or false");
    return j_.get<bool>();
  }
  double number() const {
    if (!j_.is_number()) fail("must be a number");
    return j_.get<double>();
  }
  std::string str() const {
    if (!j_.is_string()) fail("must be a string");
    return j_.get<std::string>();
  }
  template <class T, size_t N>
  T choice(const std::pair<const char*, T> (&table)[N], const char* what) const {
    const std::string s = str();
    std::string allowed;
    for (const auto& e : table) {
      if (s == e.first) return e.second;
      allowed += std::string(allowed.empty() ? "" : ", ") + e.first;
    }
    fail("\"" + s + "\" is not " + what + "; allowed: " + allowed);
  }
  [[noreturn]] void fail(const std::string& what) const { throw UsageError(path_ + ": " + what); }

 private:
  const json& j_;
  std::string path_;
};

Range read_range(const Field& f) {
  f.size(2);
  return Range{f.item(0).int64(), f.item(1).int64()};
}

View read_view(const Field& f) {
  View v;
  v.buf = f["buf"].integer();
  v.offset = f["offset"].int64();
  const Field shape = f["shape"], stride = f["stride"];
  shape.size(4);
  stride.size(4);
  for (size_t i = 0; i < 4; ++i) {
    v.shape[i] = shape.item(i).int64();
    v.stride[i] = stride.item(i).int64();
  }
  return v;
}

std::vector<Transfer> read_transfers(const Field& f) {
  std::vector<Transfer> out;
  for (size_t i = 0, n = f.size(); i < n; ++i) {
    const Field t = f.item(i);
    out.push_back(Transfer{t["peer"].integer(), Slice{t["buf"].integer(), t["offset"].int64(), t["count"].int64()}});
  }
  return out;
}

std::vector<CopyOp::Pair> read_pairs(const Field& pairs) {
  std::vector<CopyOp::Pair> out;
  for (size_t i = 0, n = pairs.size(); i < n; ++i)
    out.push_back(CopyOp::Pair{read_view(pairs.item(i)["src"]), read_view(pairs.item(i)["dst"])});
  return out;
}

template <class Op>
void read_tile(const Field& f, Op& a) {
  a.causal = f["causal"].boolean();
  // Optional, 0 when absent (a full or top-left causal tile).
  if (f.has("diag")) a.diag = f["diag"].int64();
  if (f.has("window")) a.window = f["window"].int64();
  a.scale = static_cast<float>(f["scale"].number());
  a.heads = read_range(f["heads"]);
  a.q_tokens = read_range(f["q_tokens"]);
  a.k_tokens = read_range(f["k_tokens"]);
}

AttentionBackwardOp read_backward(const Field& f) {
  AttentionBackwardOp a;
  a.q = read_view(f["q"]);
  a.k = read_view(f["k"]);
  a.v = read_view(f["v"]);
  a.o = read_view(f["o"]);
  a.dout = read_view(f["dout"]);
  a.lse = read_view(f["lse"]);
  a.dq = read_view(f["dq"]);
  a.dk = read_view(f["dk"]);
  a.dv = read_view(f["dv"]);
  read_tile(f, a);
  return a;
}

StepOp read_op(const Field& f) {
  switch (f["kind"].choice(kKinds, "an op kind")) {
    case OpKind::Copy:
      return CopyOp{read_pairs(f["pairs"])};
    case OpKind::Reduce:
      return ReduceOp{read_pairs(f["pairs"])};
    case OpKind::Zero: {
      ZeroOp z;
      const Field slices = f["slices"];
      for (size_t i = 0, n = slices.size(); i < n; ++i) {
        const Field t = slices.item(i);
        z.slices.push_back(Slice{t["buf"].integer(), t["offset"].int64(), t["count"].int64()});
      }
      return z;
    }
    case OpKind::AttentionBackward:
      return read_backward(f);
    case OpKind::Exchange: {
      ExchangeOp e;
      e.pattern = f["pattern"].choice(kPatterns, "an exchange pattern");
      e.group = f["group"].integer();
      e.sends = read_transfers(f["sends"]);
      e.recvs = read_transfers(f["recvs"]);
      return e;
    }
    case OpKind::Attention: {
      AttentionOp a;
      a.q = read_view(f["q"]);
      a.k = read_view(f["k"]);
      a.v = read_view(f["v"]);
      a.o = read_view(f["o"]);
      a.has_lse = f["has_lse"].boolean();
      a.lse = read_view(f["lse"]);
      read_tile(f, a);
      return a;
    }
    case OpKind::Merge: {
      MergeOp m;
      m.part_o = read_view(f["part_o"]);
      m.part_lse = read_view(f["part_lse"]);
      m.acc_o = read_view(f["acc_o"]);
      m.acc_lse = read_view(f["acc_lse"]);
      m.init = f["init"].boolean();
      return m;
    }
  }
  f.fail("unknown op");
}

Plan read_plan(const Field& f) {
  Plan plan;
  plan.schedule = f["schedule"].str();
  plan.rank = f["rank"].integer();
  plan.world = f["world"].integer();
  const Field lanes = f["lanes"], buffers = f["buffers"], groups = f["groups"], tokens = f["tokens"],
              steps = f["steps"];
  for (size_t i = 0, n = lanes.size(); i < n; ++i) plan.lanes.push_back(lanes.item(i).str());
  for (size_t i = 0, n = buffers.size(); i < n; ++i) {
    const Field b = buffers.item(i);
    plan.buffers.push_back(Buffer{b["name"].str(), b["storage"].choice(kStorages, "a storage"),
                                  b["role"].choice(kRoles, "a buffer role"), b["elems"].int64()});
  }
  for (size_t i = 0, n = groups.size(); i < n; ++i) {
    const Field g = groups.item(i);
    plan.groups.emplace_back();
    for (size_t k = 0, m = g.size(); k < m; ++k) plan.groups.back().push_back(g.item(k).integer());
  }
  for (size_t i = 0, n = tokens.size(); i < n; ++i) plan.tokens.push_back(read_range(tokens.item(i)));
  for (size_t i = 0, n = steps.size(); i < n; ++i) {
    const Field s = steps.item(i), deps = steps.item(i)["deps"];
    Step step;
    step.id = s["id"].integer();
    step.lane = s["lane"].integer();
    step.label = s["label"].str();
    step.op = read_op(s["op"]);
    for (size_t k = 0, m = deps.size(); k < m; ++k) step.deps.push_back(deps.item(k).integer());
    plan.steps.push_back(std::move(step));
  }
  // Optional, 0 when absent (plans of the forward pass).
  if (f.has("timed_from")) plan.timed_from = f["timed_from"].integer();
  return plan;
}

}  // namespace

json plan_to_json(const Plan& plan) {
  json buffers = json::array(), tokens = json::array(), steps = json::array();
  for (const Buffer& b : plan.buffers)
    buffers.push_back(
        {{"name", b.name}, {"storage", to_string(b.storage)}, {"role", to_string(b.role)}, {"elems", b.elems}});
  for (const Range& r : plan.tokens) tokens.push_back(range_json(r));
  for (const Step& s : plan.steps)
    steps.push_back({{"id", s.id}, {"lane", s.lane}, {"label", s.label}, {"deps", s.deps}, {"op", op_json(s)}});
  json j = {{"schedule", plan.schedule}, {"rank", plan.rank},     {"world", plan.world}, {"lanes", plan.lanes},
            {"buffers", buffers},        {"groups", plan.groups}, {"tokens", tokens},    {"steps", steps}};
  if (plan.timed_from != 0) j["timed_from"] = plan.timed_from;
  return j;
}

Plan plan_from_json(const json& j) { return read_plan(Field(j, "plan")); }

json plans_to_json(const std::vector<Plan>& plans) {
  json all = json::array();
  for (const Plan& p : plans) all.push_back(plan_to_json(p));
  return {{"format", "cpbench-plans"}, {"version", 1}, {"plans", all}};
}

std::vector<Plan> plans_from_json(const json& j) {
  const Field root(j, "plans_file");
  if (root["format"].str() != "cpbench-plans") root["format"].fail("must be \"cpbench-plans\"");
  if (root["version"].integer() != 1) root["version"].fail("must be 1");
  std::vector<Plan> out;
  const Field plans = root["plans"];
  for (size_t i = 0, n = plans.size(); i < n; ++i) out.push_back(read_plan(plans.item(i)));
  return out;
}

}  // namespace cpb
