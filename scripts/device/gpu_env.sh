# shellcheck shell=bash
# Sourced by the scripts that run cpbench on the GPU image (shared/DEVICE.md): NVLink
# multicast off, and the Python environment's newer cuDNN (faster attention) and NCCL
# first on the library path where the image has them. The environment is the first of
# $CPB_PYTHON, /opt/torch/.venv/bin/python3 and python3 whose nvidia.cudnn package ships
# its libraries. Sets cpb_py_site to that environment's site-packages directory, or ""
# when none has it (then nothing else changes; harmless on a machine without it).
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
cpb_py_site=""
for cpb_py in ${CPB_PYTHON:-} /opt/torch/.venv/bin/python3 python3; do
  command -v "$cpb_py" >/dev/null 2>&1 || continue
  # site-packages is two levels above the nvidia/cudnn package directory.
  cpb_py_site=$("$cpb_py" -c 'import os, nvidia.cudnn as m; print(os.path.dirname(os.path.dirname(list(m.__path__)[0])))' \
    2>/dev/null) && [ -d "$cpb_py_site/nvidia/cudnn/lib" ] && break
  cpb_py_site=""
done
unset cpb_py
if [ -n "$cpb_py_site" ]; then
  export LD_LIBRARY_PATH="$cpb_py_site/nvidia/cudnn/lib:$cpb_py_site/nvidia/nccl/lib:${LD_LIBRARY_PATH:-}"
fi

# cpb_build_gpu LOGDIR [TARGET...]: configures build-gpu/ (Release, CUDA, sm_90a, against
# the Python environment's cuDNN and NCCL where present; the configure step compiles the
# commit in, so it runs every time) and builds TARGETs with Ninja (none: everything).
# Writes LOGDIR/configure.log and LOGDIR/build.log; on a failure prints the log's tail or
# its errors and returns 1, leaving the exit code to the caller.
cpb_build_gpu() {
  local logdir=$1 site=()
  shift
  [ -n "$cpb_py_site" ] && site=(-DCPBENCH_PY_SITE="$cpb_py_site")
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCPBENCH_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90a \
    "${site[@]}" > "$logdir/configure.log" 2>&1 || { tail -30 "$logdir/configure.log"; return 1; }
  ninja -C build-gpu "$@" > "$logdir/build.log" 2>&1 || { grep -E "error|FAILED" "$logdir/build.log" | head -40; return 1; }
}
