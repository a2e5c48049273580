#!/usr/bin/env bash
# mpirun with the flags a workstation, a CI box or a container needs:
#   scripts/mpirun.sh NP COMMAND [ARGS...]
# Adds --oversubscribe (more ranks than cores is fine for CPU tests), --bind-to none,
# root permission when run as root, and exports the NCCL/CUDA variables cpbench reads.
# Extra mpirun flags: CPB_MPIRUN_FLAGS="...".
# Inside a Slurm allocation, CPB_LAUNCHER=srun starts the NP ranks with
# `srun -n NP --mpi=pmix` instead (CPB_SRUN_MPI for another --mpi, CPB_SRUN_FLAGS for more
# flags; CPB_MPIRUN_FLAGS is mpirun's only); srun passes the whole environment to the
# ranks, the same settings included.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 NP COMMAND [ARGS...]" >&2
  exit 2
fi
np=$1
shift
# NVLink multicast stays off on shared machines (see shared/DEVICE.md).
export NCCL_NVLS_ENABLE="${NCCL_NVLS_ENABLE:-0}"
case "${CPB_LAUNCHER:-mpirun}" in
  mpirun) ;;
  srun)
    # Open MPI's own root check and shared-memory setting, as for mpirun below.
    [ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
    # shellcheck disable=SC2206
    srun_extra=(${CPB_SRUN_FLAGS:-})
    exec srun -n "$np" --mpi="${CPB_SRUN_MPI:-pmix}" "${srun_extra[@]}" "$@"
    ;;
  *)
    echo "$0: CPB_LAUNCHER: \"$CPB_LAUNCHER\" is not a launcher; allowed: mpirun, srun" >&2
    exit 2
    ;;
esac
flags=(-np "$np" --oversubscribe --bind-to none)
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  flags+=(--allow-run-as-root)
fi
# Containers often forbid the cross-memory-attach that Open MPI's shared-memory transport
# tries first; the copy-in/copy-out fallback is always available.
flags+=(--mca btl_vader_single_copy_mechanism none)
for v in NCCL_NVLS_ENABLE LD_LIBRARY_PATH NCCL_DEBUG NCCL_P2P_DISABLE NCCL_MAX_NCHANNELS CUDA_VISIBLE_DEVICES; do
  if [ -n "${!v+x}" ]; then flags+=(-x "$v"); fi
done
# shellcheck disable=SC2206
extra=(${CPB_MPIRUN_FLAGS:-})
exec mpirun "${flags[@]}" "${extra[@]}" "$@"
