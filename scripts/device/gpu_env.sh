# shellcheck shell=bash
# Sourced by the scripts that run cpbench on the GPU image (shared/DEVICE.md): NVLink
# multicast off, and the Python environment's newer cuDNN (faster attention) and NCCL
# first on the library path where the image has them. Sets cpb_py_site to that
# site-packages directory, or "" when it is absent (then nothing else changes; harmless
# on a machine without it).
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
cpb_py_site=/opt/torch/.venv/lib/python3.12/site-packages
if [ -d "$cpb_py_site/nvidia/cudnn/lib" ]; then
  export LD_LIBRARY_PATH="$cpb_py_site/nvidia/cudnn/lib:$cpb_py_site/nvidia/nccl/lib:${LD_LIBRARY_PATH:-}"
else
  cpb_py_site=""
fi
