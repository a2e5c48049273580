// UniqueHandle<Traits>: the move-only owner of one handle of a C API (a CUDA stream, a
// cuDNN handle, ...). The handle classes (Stream, Event, CudaGraph, IpcMapping,
// CudnnHandle, CublasHandle, NcclComm) each hold one, so ownership is written once (memory has its own
// owner, CudaAllocation<Policy>):
// a move hands the handle over and leaves the source null; the handle is destroyed once,
// when its last owner is destroyed or reset.
// A Traits provides
//   using Handle = ...;                  // copyable, comparable with ==
//   static Handle null();                // the value that owns nothing
//   static void destroy(Handle h);       // releases a non-null handle (checked: a failure is fatal)
#pragma once

#include <utility>

namespace cpb {

template <class Traits>
class UniqueHandle {
 public:
  using Handle = typename Traits::Handle;

  UniqueHandle() = default;
  explicit UniqueHandle(Handle h) : h_(h) {}
  ~UniqueHandle() { reset(); }
  UniqueHandle(UniqueHandle&& o) noexcept : h_(o.release()) {}
  // Destroys the handle held before; safe when `o` is this object.
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    reset(o.release());
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;

  const Handle& get() const { return h_; }
  bool empty() const { return h_ == Traits::null(); }

  // Gives the handle up without destroying it; this owner is null afterwards.
  Handle release() { return std::exchange(h_, Traits::null()); }
  // Takes `h` and destroys the handle held before (if any).
  void reset(Handle h = Traits::null()) {
    const Handle old = std::exchange(h_, h);
    if (!(old == Traits::null())) Traits::destroy(old);
  }

 private:
  Handle h_ = Traits::null();
};

}  // namespace cpb
