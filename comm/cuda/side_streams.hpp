// SideStreams: a second stream beside each stream a transport posts on, so that two parts
// of one exchange run at the same time (the copies to this rank itself beside the
// transfers to the peers; ce_host's host-to-device copies beside its device-to-host
// copies). Per exchange a fork and a join event; reusing them across runs is safe since
// every record is followed, on the host, by the wait that consumes it.
#pragma once

#include <map>
#include <vector>

#include "base/cuda/event.hpp"
#include "base/cuda/stream.hpp"

namespace cpb {

class SideStreams {
 public:
  explicit SideStreams(size_t exchanges) : fork_(exchanges), join_(exchanges) {}

  // The side stream of `stream`, made to wait for everything enqueued on `stream` so far
  // (exchange i's fork).
  cudaStream_t fork(size_t i, cudaStream_t stream) {
    auto it = side_.find(stream);
    if (it == side_.end()) it = side_.emplace(stream, Stream()).first;
    fork_[i].record(stream);
    fork_[i].wait_on(it->second.get());
    return it->second.get();
  }

  // Makes `stream` wait for everything enqueued on its side stream so far (exchange i's join).
  void join(size_t i, cudaStream_t stream) {
    join_[i].record(side_.at(stream).get());
    join_[i].wait_on(stream);
  }

 private:
  std::map<cudaStream_t, Stream> side_;
  std::vector<Event> fork_, join_;
};

}  // namespace cpb
