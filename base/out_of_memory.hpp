// OutOfMemory: an allocation that did not fit (device memory, pinned host memory), thrown
// instead of ending the job, so that the sweep reports the point as SKIPPED with the bytes
// and goes on (docs/ARCHITECTURE.md, "Out of memory"). Ranks agree on it before any of
// them enters a collective (comm/oom_agreement.hpp); a rank whose own allocations fit but
// whose peer ran out throws the on_peer() form.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace cpb {

class OutOfMemory : public std::runtime_error {
 public:
  // An allocation of `requested` [bytes] of `memory` ("device memory", "pinned host
  // memory") failed on this rank with `available` [bytes] of it free.
  OutOfMemory(const std::string& memory, size_t requested, size_t available);
  // What a rank whose own allocations fitted throws when another rank ran out.
  static OutOfMemory on_peer();
  // `requested` [bytes] of `memory` refused on this rank by a limit of `limit` [bytes] (the
  // CPU runtime's limit on its buffers) before any allocation; available() is the limit.
  static OutOfMemory over_limit(const std::string& memory, size_t requested, size_t limit);

  bool on_this_rank() const { return on_this_rank_; }
  size_t requested() const { return requested_; }  // [bytes]; 0 for on_peer()
  size_t available() const { return available_; }  // [bytes]; 0 for on_peer(); the limit for over_limit()

 private:
  explicit OutOfMemory(const std::string& what) : std::runtime_error(what) {}
  bool on_this_rank_ = false;
  size_t requested_ = 0, available_ = 0;
};

// `bytes` in GiB with two decimals, e.g. "1.50 GiB".
std::string gib_text(size_t bytes);

}  // namespace cpb
