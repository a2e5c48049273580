// plan_to_text: the human-readable dump of a plan (declared in plan_io.hpp).
#include <cstdio>
#include <set>
#include <sstream>

#include "bench/plan/plan_io.hpp"

namespace cpb {
namespace {

std::string bytes_str(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string flops_str(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g GFLOP", f / 1e9);
  return buf;
}

std::string range_str(Range r) { return "[" + std::to_string(r.begin) + "," + std::to_string(r.end()) + ")"; }

std::string shape_str(const View& v) {
  return "[" + std::to_string(v.shape[0]) + "," + std::to_string(v.shape[1]) + "," + std::to_string(v.shape[2]) + "," +
         std::to_string(v.shape[3]) + "]";
}

class Dumper {
 public:
  Dumper(const Plan& plan, const Problem& p) : plan_(plan), act_(dtype_bytes(p.dtype)) {}

  std::string run() {
    header();
    os_ << "steps:\n";
    for (const Step& s : plan_.steps) {
      if (plan_.timed_from > 0 && (s.id == 0 || s.id == plan_.timed_from))
        os_ << (s.id == 0 ? "untimed prologue (runs once, before the first run):\n" : "timed steps:\n");
      char head[96];
      std::snprintf(head, sizeof head, "  %4d %-8s %-24s ", s.id, lane(s.lane).c_str(), s.label.c_str());
      os_ << head << op(s) << "  deps " << deps(s) << "\n";
    }
    os_ << (plan_.timed_from > 0 ? "totals of the timed steps: sent " : "totals: sent ")
        << bytes_str(plan_send_bytes(plan_, act_)) << ", received " << bytes_str(plan_recv_bytes(plan_, act_))
        << ", attention " << flops_str(plan_flops(plan_)) << "\n";
    return os_.str();
  }

 private:
  void header() {
    os_ << "plan " << plan_.schedule << ": rank " << plan_.rank << " of " << plan_.world << ", tokens";
    for (const Range& r : plan_.tokens) os_ << " " << range_str(r);
    os_ << " (" << plan_.local_tokens() << " local)\nlanes:";
    for (size_t i = 0; i < plan_.lanes.size(); ++i) os_ << (i ? ", " : " ") << i << " " << plan_.lanes[i];
    os_ << "\ngroups:";
    for (size_t g = 0; g < plan_.groups.size(); ++g) {
      os_ << (g ? ", " : " ") << g << " {";
      for (size_t i = 0; i < plan_.groups[g].size(); ++i) os_ << (i ? "," : "") << plan_.groups[g][i];
      os_ << "}";
    }
    os_ << "\nbuffers:\n";
    for (size_t i = 0; i < plan_.buffers.size(); ++i) {
      const Buffer& b = plan_.buffers[i];
      char line[160];
      std::snprintf(line, sizeof line, "  %4zu %-12s %-3s %-7s %12lld elems  %s\n", i, b.name.c_str(),
                    to_string(b.storage), to_string(b.role), static_cast<long long>(b.elems),
                    bytes_str(bytes(b.elems, i)).c_str());
      os_ << line;
    }
  }

  std::string lane(int l) const { return l >= 0 && l < static_cast<int>(plan_.lanes.size()) ? plan_.lanes[l] : "?"; }
  std::string buf(int b) const {
    return b >= 0 && b < static_cast<int>(plan_.buffers.size()) ? plan_.buffers[b].name : "buf" + std::to_string(b);
  }
  double bytes(int64_t elems, size_t b) const {
    const bool f32 = b < plan_.buffers.size() && plan_.buffers[b].storage == Storage::F32;
    return static_cast<double>(elems) * (f32 ? 4 : act_);
  }
  std::string view(const View& v) const { return buf(v.buf) + shape_str(v); }

  std::string transfers(const std::vector<Transfer>& ts, const char* dir) const {
    std::set<int> peers;
    double b = 0;
    for (const Transfer& t : ts) {
      peers.insert(t.peer);
      if (t.peer != plan_.rank) b += bytes(t.slice.count, static_cast<size_t>(t.slice.buf));
    }
    std::string s = std::string(dir) + " " + std::to_string(ts.size()) + " " + (dir[0] == 's' ? "to" : "from") + " {";
    for (int p : peers) s += (s.back() == '{' ? "" : ",") + std::to_string(p);
    return s + "} " + bytes_str(b);
  }

  std::string op(const Step& s) const {
    switch (s.kind()) {
      case OpKind::Copy: {
        const CopyOp& c = std::get<CopyOp>(s.op);
        std::set<std::string> src, dst;
        int64_t elems = 0;
        for (const CopyOp::Pair& p : c.pairs) {
          src.insert(buf(p.src.buf));
          dst.insert(buf(p.dst.buf));
          elems += p.src.numel();
        }
        auto names = [](const std::set<std::string>& n) {
          std::string out;
          for (const std::string& x : n) out += (out.empty() ? "" : ",") + x;
          return out;
        };
        return "copy " + std::to_string(c.pairs.size()) + " pairs, " + std::to_string(elems) + " elems: " + names(src) +
               " -> " + names(dst);
      }
      case OpKind::Exchange: {
        const ExchangeOp& e = std::get<ExchangeOp>(s.op);
        return std::string(e.pattern == ExchangeOp::Pattern::AllToAll ? "all_to_all" : "send_recv") + " group " +
               std::to_string(e.group) + ": " + transfers(e.sends, "send") + "; " + transfers(e.recvs, "recv");
      }
      case OpKind::Attention: {
        const AttentionOp& a = std::get<AttentionOp>(s.op);
        return "attention " + to_string(a.mask()) + " q " + view(a.q) + " k " + view(a.k) +
               " v " + view(a.v) + " -> o " + view(a.o) + (a.has_lse ? " lse " + view(a.lse) : "") + " heads " +
               range_str(a.heads) + " q_tokens " + range_str(a.q_tokens) + " k_tokens " + range_str(a.k_tokens) + " " +
               flops_str(attention_flops(a));
      }
      case OpKind::Merge: {
        const MergeOp& m = std::get<MergeOp>(s.op);
        return std::string(m.init ? "merge (init) " : "merge ") + view(m.part_o) + " + " + view(m.part_lse) + " -> " +
               view(m.acc_o) + " + " + view(m.acc_lse);
      }
      case OpKind::AttentionBackward: {
        const AttentionBackwardOp& a = std::get<AttentionBackwardOp>(s.op);
        return "attention_backward " + to_string(a.mask()) + " q " + view(a.q) + " k " + view(a.k) + " v " + view(a.v) +
               " o " + view(a.o) + " do " + view(a.dout) + " lse " + view(a.lse) + " -> += dq " + view(a.dq) + " dk " +
               view(a.dk) + " dv " + view(a.dv) + " heads " + range_str(a.heads) + " q_tokens " +
               range_str(a.q_tokens) + " k_tokens " + range_str(a.k_tokens) + " " + flops_str(attention_flops(a));
      }
      case OpKind::Reduce: {
        std::string out = "reduce";
        for (const CopyOp::Pair& p : std::get<ReduceOp>(s.op).pairs)
          out += " " + view(p.src) + " -> += " + view(p.dst) + ";";
        if (out.back() == ';') out.pop_back();
        return out;
      }
      case OpKind::Zero: {
        int64_t elems = 0;
        std::set<std::string> names;
        for (const Slice& z : std::get<ZeroOp>(s.op).slices) elems += z.count, names.insert(buf(z.buf));
        std::string out = "zero " + std::to_string(elems) + " elems:";
        for (const std::string& n : names) out += " " + n;
        return out;
      }
    }
    return "?";
  }

  static std::string deps(const Step& s) {
    if (s.deps.empty()) return "-";
    std::string out;
    for (int d : s.deps) out += (out.empty() ? "" : ",") + std::to_string(d);
    return out;
  }

  const Plan& plan_;
  int act_;
  std::ostringstream os_;
};

}  // namespace

std::string plan_to_text(const Plan& plan, const Problem& p) { return Dumper(plan, p).run(); }

}  // namespace cpb
