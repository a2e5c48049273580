#include "comm/cuda/mpi_transport.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#if defined(OPEN_MPI) && OPEN_MPI
#include <mpi-ext.h>
#endif

#include "base/cuda/cuda_check.hpp"
#include "comm/cuda/exchange_wiring.hpp"
#include "comm/watchdog.hpp"

namespace cpb {
namespace {

// MPI counts are int: transfers go in pieces of at most this many bytes.
constexpr size_t kPieceBytes = size_t{1} << 30;

}  // namespace

std::string cuda_aware_mpi_unsupported() {
#if defined(MPIX_CUDA_AWARE_SUPPORT)
  if (MPIX_Query_cuda_support() == 1) return "";
  return "the MPI library is not CUDA-aware (MPIX_Query_cuda_support() = 0)";
#else
  return "the MPI library cannot say whether it is CUDA-aware (no MPIX_Query_cuda_support)";
#endif
}

MpiTransport::MpiTransport(ExchangePlan plan, MPI_Comm world) : plan_(std::move(plan)), world_(world) {
  CPB_MPI_CHECK(MPI_Comm_rank(world_, &me_));
}

void MpiTransport::post(size_t i, cudaStream_t stream) {
  const ExchangeSpec& e = plan_.exchanges[i];
  CPB_CUDA_CHECK(cudaStreamSynchronize(stream));
  // The exchange's key as the tag (every MPI library allows tags up to 32767), so that
  // messages of two exchanges with one peer can never be matched to each other.
  const int tag = e.key % 32768;
  std::vector<MPI_Request> requests;
  auto post_pieces = [&](const PeerSpan& t, bool send) {
    char* p = span_ptr(plan_, t.span);
    for (size_t off = 0; off < t.span.bytes; off += kPieceBytes) {
      const int n = static_cast<int>(std::min(kPieceBytes, t.span.bytes - off));
      requests.emplace_back();
      if (send)
        CPB_MPI_CHECK(MPI_Isend(p + off, n, MPI_BYTE, t.peer, tag, world_, &requests.back()));
      else
        CPB_MPI_CHECK(MPI_Irecv(p + off, n, MPI_BYTE, t.peer, tag, world_, &requests.back()));
    }
  };
  for (const PeerSpan& t : e.recvs)
    if (t.peer != me_) post_pieces(t, false);
  for (const PeerSpan& t : e.sends)
    if (t.peer != me_) post_pieces(t, true);
  CPB_MPI_WAIT(MPI_Waitall, static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
  post_self_copies(plan_, e, me_, stream);
}

}  // namespace cpb
