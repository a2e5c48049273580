# Finds what the CUDA runtime needs and sets CPBENCH_HAVE_CUDA.
#   nvcc (CUDA language), CUDA::cudart, CUDA::cublas, NCCL, cuDNN, cudnn-frontend headers.
# Search order for NCCL and cuDNN: the CUDA toolkit, system paths, then the nvidia-*
# wheels of a Python environment (CPBENCH_PY_SITE, e.g. /opt/torch/.venv/lib/python3.12/
# site-packages), which carry newer versions on some images.
# cudnn-frontend: CPBENCH_CUDNN_FRONTEND_INCLUDE, else .deps/cudnn_frontend/include (put
# there by scripts/setup_deps.sh from the nvidia-cudnn-frontend wheel).
set(CPBENCH_HAVE_CUDA OFF)
if(CPBENCH_CUDA STREQUAL "OFF")
  message(STATUS "cpbench: CUDA runtime disabled (CPBENCH_CUDA=OFF)")
  return()
endif()

macro(cpb_cuda_missing what)
  if(CPBENCH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "cpbench: CPBENCH_CUDA=ON but ${what}")
  endif()
  message(STATUS "cpbench: building without the CUDA runtime: ${what}")
  return()
endmacro()

include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  cpb_cuda_missing("no CUDA compiler (nvcc) was found")
endif()
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90a)
endif()
# One CUDA runtime in the process: the shared one, which the NCCL and cuDNN libraries use.
set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)
if(NOT TARGET CUDA::cublas)
  cpb_cuda_missing("the CUDA toolkit has no cuBLAS (the GPU gradient reference's GEMMs)")
endif()

set(CPBENCH_PY_SITE "" CACHE PATH "Python site-packages with nvidia/{nccl,cudnn} wheels")
set(_cpb_hints ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR} ${CUDAToolkit_INCLUDE_DIRS}/..)
set(_cpb_py_nccl "")
set(_cpb_py_cudnn "")
if(CPBENCH_PY_SITE)
  set(_cpb_py_nccl ${CPBENCH_PY_SITE}/nvidia/nccl)
  set(_cpb_py_cudnn ${CPBENCH_PY_SITE}/nvidia/cudnn)
endif()

find_path(CPB_NCCL_INCLUDE_DIR nccl.h HINTS ${_cpb_py_nccl} ${_cpb_hints} PATH_SUFFIXES include)
find_library(CPB_NCCL_LIBRARY NAMES nccl libnccl.so.2 NAMES_PER_DIR HINTS ${_cpb_py_nccl} ${_cpb_hints}
             PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
find_path(CPB_CUDNN_INCLUDE_DIR cudnn.h HINTS ${_cpb_py_cudnn} ${_cpb_hints}
          PATH_SUFFIXES include include/x86_64-linux-gnu)
find_library(CPB_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 NAMES_PER_DIR HINTS ${_cpb_py_cudnn} ${_cpb_hints}
             PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
if(NOT CPB_NCCL_INCLUDE_DIR OR NOT CPB_NCCL_LIBRARY)
  cpb_cuda_missing("NCCL (nccl.h, libnccl) was not found")
endif()
if(NOT CPB_CUDNN_INCLUDE_DIR OR NOT CPB_CUDNN_LIBRARY)
  cpb_cuda_missing("cuDNN (cudnn.h, libcudnn) was not found")
endif()

if(NOT CPBENCH_CUDNN_FRONTEND_INCLUDE)
  find_path(_cpb_cfe cudnn_frontend.h HINTS ${CMAKE_CURRENT_SOURCE_DIR}/.deps/cudnn_frontend/include
            NO_DEFAULT_PATH)
  if(_cpb_cfe)
    set(CPBENCH_CUDNN_FRONTEND_INCLUDE ${_cpb_cfe} CACHE PATH "" FORCE)
  endif()
endif()
if(NOT EXISTS "${CPBENCH_CUDNN_FRONTEND_INCLUDE}/cudnn_frontend.h")
  cpb_cuda_missing("cudnn-frontend headers were not found (run scripts/setup_deps.sh or set CPBENCH_CUDNN_FRONTEND_INCLUDE)")
endif()

message(STATUS "cpbench: CUDA runtime ON: NCCL ${CPB_NCCL_LIBRARY}, cuDNN ${CPB_CUDNN_LIBRARY}, "
               "cudnn-frontend ${CPBENCH_CUDNN_FRONTEND_INCLUDE}, arch ${CMAKE_CUDA_ARCHITECTURES}")
set(CPBENCH_HAVE_CUDA ON)
