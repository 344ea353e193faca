#!/usr/bin/env bash
# The on-GPU check of the CUDA backend (issue 14; docs/GPU.md, "The on-GPU check").
#
# Run on the GPU machine (CUDA driver, NVRTC, Python with numpy, CuPy and PyTorch; no Swift
# needed) from the repository root, with what was built on a machine with the Swift toolchain:
#
#   scripts/build-gpu-bundle.sh                       # here: .build/gpu-bundle.tar.xz, ~35 MB
#   scripts/gpu-check.sh .build/gpu-bundle.tar.xz     # there, well inside 10 minutes
#
# Steps (each bounded by a timeout; a failing step does not stop the next):
#   1. the GPU, driver, CuPy and PyTorch versions;
#   2. every exported generated kernel replayed with CuPy against its reference output, and
#      the fused elementwise kernel timed against a device-to-device copy (gpu_replay.py);
#   3. `theano gpu-check --backend cuda`: the backend through the real driver (NVRTC, the
#      caching allocator, the stream and its page-locked staging, cuBLAS, cuDNN's
#      convolutions, every kernel kind, MLP and LeNet steps) against the reference backend,
#      then again with THEANO_CUDA_LAUNCH_BLOCKING=1 (every launch waited for) if it failed;
#   4. `theano bench` of elemwise, sumsq, mlp and lenet with THEANO_DEVICE=cuda, and
#      PyTorch's CUDA steps timed side by side (scripts/anchors_torch_cuda.py).
# Everything goes to $OUT/gpu-check.txt (default OUT=/tmp/gpu-check), with the JSON files
# beside it. Exits non-zero if a step failed. An older `theano gpu-export` folder alone
# (without the executable) runs step 2 only.
set -uo pipefail
bundle=${1:-.build/gpu-bundle.tar.xz}
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
log="$out/gpu-check.txt"
: > "$log"
if [ -f "$bundle" ]; then
    work=$(mktemp -d)
    tar -xJf "$bundle" -C "$work" || { echo "error: cannot unpack $bundle" >&2; exit 2; }
    folder="$work/$(ls "$work" | head -1)"
elif [ -d "$bundle" ]; then
    folder=$bundle
else
    echo "error: $bundle not found: build it with scripts/build-gpu-bundle.sh" >&2
    exit 2
fi
if [ -f "$folder/manifest.json" ]; then exports=$folder; else exports=$folder/gpu-export; fi
if [ ! -f "$exports/manifest.json" ]; then
    echo "error: no manifest.json in $exports" >&2
    exit 2
fi
failed=0
step() {  # step NAME SECONDS COMMAND...: runs the command, its output appended to the log.
    local name=$1 seconds=$2; shift 2
    echo "== $name" | tee -a "$log"
    timeout "$seconds" "$@" 2>&1 | tee -a "$log"
    local status=${PIPESTATUS[0]}
    if [ "$status" -ne 0 ]; then echo "== $name: exit status $status" | tee -a "$log"; failed=1; fi
    return "$status"
}
step "device" 60 bash -c "nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv; python3 -c \"import cupy, numpy, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'CUDA runtime', cupy.cuda.runtime.runtimeGetVersion(), 'torch', torch.__version__)\""
step "generated kernels replayed with CuPy" 150 python3 scripts/gpu_replay.py "$exports" "$out"
if [ -x "$folder/theano" ]; then
    export LD_LIBRARY_PATH="$folder/lib:${LD_LIBRARY_PATH:-}"
    # cuBLAS and cuDNN from the system, else from the nvidia-* wheels PyTorch installed (their
    # folders also go on the library path: cuDNN 9 opens its sub-libraries by name).
    wheels=$(python3 -c 'import glob, os, torch; site = os.path.dirname(os.path.dirname(torch.__file__)); print(":".join(sorted(glob.glob(site + "/nvidia/*/lib"))))' 2>/dev/null || true)
    if [ -n "$wheels" ]; then
        export THEANO_CUDA_PATH="${THEANO_CUDA_PATH:+$THEANO_CUDA_PATH:}$wheels"
        export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$wheels"
    fi
    step "theano gpu-check (the backend through the driver)" 180 "$folder/theano" gpu-check --backend cuda \
        || step "theano gpu-check, every launch waited for" 120 env THEANO_CUDA_LAUNCH_BLOCKING=1 "$folder/theano" gpu-check --backend cuda
    step "theano bench on the device" 150 env THEANO_DEVICE=cuda "$folder/theano" bench elemwise sumsq mlp lenet
    step "PyTorch CUDA anchors" 90 bash -c "python3 scripts/anchors_torch_cuda.py | tee '$out/anchors-torch-cuda.json'"
fi
echo "results: $log"
exit $failed
