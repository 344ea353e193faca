#!/usr/bin/env bash
# Builds, on a machine with the Swift toolchain, what the on-GPU check needs on a GPU machine
# that has none (issue 14; docs/GPU.md, "The on-GPU check"):
#
#   - the `theano` executable linked with the Swift runtime and Foundation statically
#     (`--static-swift-stdlib`), stripped;
#   - the shared libraries it loads beyond the C library (OpenBLAS, LAPACKE, oneDNN, GNU
#     OpenMP, zlib, libgfortran, libstdc++, ...), which a bare CUDA machine may lack;
#   - the `theano gpu-export` folder (generated kernels with inputs and reference outputs).
#
# into one folder (default .build/gpu-bundle, about 160 MiB: the executable is 68 MB, oneDNN
# and OpenBLAS about 40 MB each), packed as FOLDER.tar.xz (about 35 MB), which must fit in the
# 64 MiB the device tool carries. Then, on the GPU machine:
#
#   scripts/gpu-check.sh .build/gpu-bundle.tar.xz
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build/gpu-bundle}
limit_mib=64
swift build -c release --static-swift-stdlib --build-path .build-static --product theano
rm -rf "$out"
mkdir -p "$out/lib"
cp .build-static/release/theano "$out/theano"
strip "$out/theano"
# Every library the loader resolves for the executable, except glibc's own (the GPU machine
# has a C library; its version must be at least this machine's, glibc 2.36 on Debian 12).
ldd "$out/theano" | awk '/=> \// { print $3 }' | while read -r lib; do
    case "$(basename "$lib")" in
        libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
        *) cp -L "$lib" "$out/lib/" ;;
    esac
done
LD_LIBRARY_PATH="$out/lib" "$out/theano" gpu-export "$out/gpu-export"
tar -C "$(dirname "$out")" -cf - "$(basename "$out")" | xz -T0 -6 > "$out.tar.xz"
size_mib=$(( $(stat -c %s "$out.tar.xz") / 1048576 ))
echo "$out: $(du -sm "$out" | cut -f1) MiB ($(ls "$out/lib" | wc -l) libraries); $out.tar.xz: ${size_mib} MiB"
if [ "$size_mib" -ge "$limit_mib" ]; then
    echo "error: $out.tar.xz is ${size_mib} MiB, more than the ${limit_mib} MiB the device tool carries" >&2
    exit 1
fi
