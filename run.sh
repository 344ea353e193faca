#!/usr/bin/env bash
# One entry point for a fresh Debian machine with the Swift toolchain:
#   ./run.sh demo   - install missing system packages, build (release) and run `theano demo`
#   ./run.sh test   - install missing system packages, build and run the whole test suite
#   ./run.sh bench  - build (release) and run `theano bench`
set -euo pipefail
cd "$(dirname "$0")"

packages=(libopenblas-dev liblapacke-dev libdnnl-dev zlib1g-dev gcc libc6-dev)

install_system_packages() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" \
        || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# NVRTC (NVIDIA's CUDA C compiler library; it needs no GPU) for the CUDA backend's compile
# tests: from the system or THEANO_CUDA_PATH when there, else the nvidia-cuda-nvrtc-cu12 wheel,
# downloaded with pip and unpacked into the cache folder where TheanoCUDA looks for it. Once it
# is there, THEANO_REQUIRE_NVRTC=1 makes those tests fail rather than skip without it.
install_nvrtc() {
    local dir="${XDG_CACHE_HOME:-$HOME/.cache}/theano-swift/cuda-wheels"
    local lib="$dir/nvidia/cuda_nvrtc/lib/libnvrtc.so.12"
    if [ ! -e "$lib" ] && ! ldconfig -p 2>/dev/null | grep -q 'libnvrtc\.so\.1[23]'; then
        if command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
            echo "Installing NVRTC (nvidia-cuda-nvrtc-cu12) into $dir"
            local tmp
            tmp=$(mktemp -d)
            if python3 -m pip download --quiet --no-deps -d "$tmp" "nvidia-cuda-nvrtc-cu12>=12.4,<13"; then
                mkdir -p "$dir"
                python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$tmp"/*.whl "$dir"
            fi
            rm -rf "$tmp"
        else
            echo "note: no python3 with pip: the CUDA compile tests will be skipped"
        fi
    fi
    if [ -e "$lib" ] || ldconfig -p 2>/dev/null | grep -q 'libnvrtc\.so\.1[23]'; then
        export THEANO_REQUIRE_NVRTC=1
    fi
}

# Prints "N passed, M failed" over the xUnit reports given (XCTest's parallel output has no
# closing count; a test case with several failed assertions counts once) and exits with the
# test runs' status.
summarise_tests() {
    local status="$1" total=0 failed=0 report t f
    shift
    for report in "$@"; do
        if [ ! -f "$report" ]; then
            echo "error: the test run wrote no report $report" >&2
            failed=$((failed + 1))
            continue
        fi
        t=$(grep -o '<testcase ' "$report" | wc -l)
        f=$(awk '/<testcase /{inside=1; hit=0} /<failure/{if(inside && !hit){n++; hit=1}} /<\/testcase>/{inside=0} END{print n+0}' "$report")
        echo "$(basename "$report" .xml): $((t - f)) passed, $f failed"
        total=$((total + t))
        failed=$((failed + f))
    done
    echo "$((total - failed)) passed, $failed failed"
    if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then status=1; fi
    exit "$status"
}

case "${1:-}" in
demo)
    install_system_packages
    shift
    swift build -c release --product theano
    exec .build/release/theano demo "$@"
    ;;
test)
    install_system_packages
    install_nvrtc
    # The type-checker test file must compile quickly: a slow operator overload shows as a
    # warning, which fails the run.
    log=$(mktemp)
    swift build --build-tests -Xswiftc -Xfrontend -Xswiftc -warn-long-expression-type-checking=300 2>&1 | tee "$log"
    if grep -q "TypeCheckerTests.swift.*took" "$log"; then
        echo "error: an expression in TypeCheckerTests.swift took too long to type-check (see above)" >&2
        exit 1
    fi
    # Every test runs on the default backend (cpu; op tests in Mode.debug, which compares each
    # kernel with the reference); then the op tests (classes derived from BackendTestCase) run
    # again on the reference backend and on the CUDA emulator. The closing line counts every
    # run from their xUnit reports.
    rm -f .build/tests-cpu.xml .build/tests-reference.xml .build/tests-cuda-emulator.xml
    # Functions wait for their generated kernels, so reports are deterministic; the tiered
    # (background) path has tests of its own that ask for it.
    export THEANO_KERNEL_COMPILATION=wait
    # OpenMP's idle threads sleep, as in the theano executable: float32 GEMMs then run on
    # oneDNN (docs/DNNL.md), so the suite exercises that path.
    export OMP_WAIT_POLICY=PASSIVE
    status=0
    swift test --skip-build --parallel --xunit-output .build/tests-cpu.xml || status=$?
    op_tests=$(grep -rhoE 'class [A-Za-z0-9_]+: BackendTestCase' Tests/TheanoTests | awk '{print $2}' | tr -d ':' | sort | paste -sd '|')
    THEANO_BACKEND=reference swift test --skip-build --parallel --filter "TheanoTests\.($op_tests)/" \
        --xunit-output .build/tests-reference.xml || status=$?
    # And a third time through the CUDA backend on its CPU emulator (docs/GPU.md): the
    # generated CUDA kernels, their launches and the device interface, compared with the
    # reference by Mode.debug.
    THEANO_DEVICE=cuda-emulator swift test --skip-build --parallel --filter "TheanoTests\.($op_tests)/" \
        --xunit-output .build/tests-cuda-emulator.xml || status=$?
    summarise_tests "$status" .build/tests-cpu.xml .build/tests-reference.xml .build/tests-cuda-emulator.xml
    ;;
bench)
    install_system_packages
    shift
    swift build -c release --product theano
    exec .build/release/theano bench "$@"
    ;;
*)
    echo "usage: ./run.sh demo|test|bench [options]" >&2
    exit 2
    ;;
esac
