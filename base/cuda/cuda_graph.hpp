// CudaGraph: one captured and instantiated CUDA graph (cudaGraph_t + cudaGraphExec_t).
#pragma once

#include <functional>

#include "base/cuda/cuda_check.hpp"
#include "base/unique_handle.hpp"

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
    cudaGraph_t graph = nullptr;
    CPB_CUDA_CHECK(cudaStreamEndCapture(origin, &graph));
    g.graph_.reset(graph);
    cudaGraphExec_t exec = nullptr;
    CPB_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
    g.exec_.reset(exec);
    return g;
  }

  bool empty() const { return exec_.empty(); }
  void launch(cudaStream_t s) const { CPB_CUDA_CHECK(cudaGraphLaunch(exec_.get(), s)); }

 private:
  struct GraphTraits {
    using Handle = cudaGraph_t;
    static Handle null() { return nullptr; }
    static void destroy(Handle g) { CPB_CUDA_CHECK(cudaGraphDestroy(g)); }
  };
  struct ExecTraits {
    using Handle = cudaGraphExec_t;
    static Handle null() { return nullptr; }
    static void destroy(Handle e) { CPB_CUDA_CHECK(cudaGraphExecDestroy(e)); }
  };
  // Members are destroyed in reverse order, so the destructor frees the executable graph
  // before the graph it was instantiated from.
  UniqueHandle<GraphTraits> graph_;
  UniqueHandle<ExecTraits> exec_;
};

}  // namespace cpb
