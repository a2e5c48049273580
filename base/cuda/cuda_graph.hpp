// CudaGraph: one captured and instantiated CUDA graph (cudaGraph_t + cudaGraphExec_t).
#pragma once

#include <functional>
#include <utility>

#include "base/cuda/cuda_check.hpp"

namespace cpb {

class CudaGraph {
 public:
  CudaGraph() = default;
  // Captures what `enqueue` puts on `origin` (and on the streams it forks from `origin`
  // through events; they must all join `origin` again before `enqueue` returns), then
  // instantiates the graph. Thread-local capture mode: other threads (the watchdog) may
  // keep calling CUDA meanwhile.
  static CudaGraph capture(cudaStream_t origin, const std::function<void()>& enqueue) {
    CudaGraph g;
    CPB_CUDA_CHECK(cudaStreamBeginCapture(origin, cudaStreamCaptureModeThreadLocal));
    enqueue();
    CPB_CUDA_CHECK(cudaStreamEndCapture(origin, &g.graph_));
    CPB_CUDA_CHECK(cudaGraphInstantiate(&g.exec_, g.graph_, 0));
    return g;
  }
  ~CudaGraph() {
    if (exec_) CPB_CUDA_CHECK(cudaGraphExecDestroy(exec_));
    if (graph_) CPB_CUDA_CHECK(cudaGraphDestroy(graph_));
  }
  CudaGraph(CudaGraph&& o) noexcept
      : graph_(std::exchange(o.graph_, nullptr)), exec_(std::exchange(o.exec_, nullptr)) {}
  CudaGraph& operator=(CudaGraph&& o) noexcept {
    if (this != &o) {
      CudaGraph old(std::move(*this));
      graph_ = std::exchange(o.graph_, nullptr);
      exec_ = std::exchange(o.exec_, nullptr);
    }
    return *this;
  }
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  bool empty() const { return exec_ == nullptr; }
  void launch(cudaStream_t s) const { CPB_CUDA_CHECK(cudaGraphLaunch(exec_, s)); }

 private:
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace cpb
