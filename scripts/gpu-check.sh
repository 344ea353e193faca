#!/usr/bin/env bash
# The on-GPU check of the CUDA backend (issue 14; docs/GPU.md, "The on-GPU check").
#
# Run on the GPU machine (CUDA driver, NVRTC, Python with numpy and CuPy; no Swift needed)
# from the repository root, with the folder `theano gpu-export` wrote on a machine with the
# Swift toolchain:
#
#   swift run -c release theano gpu-export .build/gpu-export     # here, about 7 MB
#   scripts/gpu-check.sh .build/gpu-export                        # there
#
# It prints the GPU, replays every exported kernel against its reference output, times the
# fused elementwise kernel against a device-to-device copy, and writes nvidia-smi.txt and
# gpu-check.json into $OUT (default: /tmp/gpu-check). Exits non-zero when a kernel fails.
set -euo pipefail
folder=${1:-.build/gpu-export}
out=${OUT:-/tmp/gpu-check}
if [ ! -f "$folder/manifest.json" ]; then
    echo "error: $folder/manifest.json not found: write it first with 'theano gpu-export $folder'" >&2
    exit 2
fi
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv | tee "$out/nvidia-smi.txt"
python3 -c "import cupy, numpy; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'CUDA runtime', cupy.cuda.runtime.runtimeGetVersion())" | tee -a "$out/nvidia-smi.txt"
python3 scripts/gpu_replay.py "$folder" "$out"
