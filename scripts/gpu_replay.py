"""Replays the CUDA backend's generated kernels on a real GPU (issue 14's on-GPU check).

The GPU machine has no Swift toolchain, so `theano gpu-export FOLDER` writes, on a machine that
has one, every elementwise kernel the generator emits (one per scalar op and dtype) in one
translation unit, with input values and the outputs the reference backend computes from them.
This script compiles that unit with NVRTC (through CuPy, for the device's own architecture),
launches each kernel with the backend's calling convention through the driver's
`cuLaunchKernel` (the extent struct by value, one stride per operand, the operands' addresses
in device memory, the error word), and compares its output with the reference. It then times
one fused elementwise kernel against a device-to-device copy (the issue's bandwidth goal).

Usage: python3 scripts/gpu_replay.py FOLDER [OUT]   (writes OUT/gpu-check.json when given;
exits 1 when a kernel fails). Needs numpy and cupy.
"""
import ctypes
import json
import os
import sys
import time

import numpy as np
import cupy as cp

MAX_DIMS = 8  # CUDAKernelSource.maxDimensions


def load_driver():
    cuda = ctypes.CDLL("libcuda.so.1")
    cuda.cuLaunchKernel.restype = ctypes.c_int
    cuda.cuLaunchKernel.argtypes = [ctypes.c_void_p] + [ctypes.c_uint] * 7 + [ctypes.c_void_p] * 3
    return cuda


class Launch:
    """A kernel's parameters in the backend's convention, made once: operands are contiguous
    1-D arrays, inputs then the output, all of one element count."""

    def __init__(self, cuda, function, operands):
        n = operands[0].size
        self.cuda, self.function = cuda, function
        self.extent = np.zeros(3 + MAX_DIMS, dtype=np.int64)
        self.extent[:4] = [n, 1, 1, n]
        self.strides = cp.ones(len(operands), dtype=cp.int64)
        self.data = cp.asarray(np.array([a.data.ptr for a in operands], dtype=np.uint64))
        self.error = cp.zeros(1, dtype=cp.int32)
        self.holders = [ctypes.c_uint64(a.data.ptr) for a in (self.strides, self.data, self.error)]
        self.params = (ctypes.c_void_p * 4)(self.extent.ctypes.data, *[ctypes.addressof(h) for h in self.holders])

    def __call__(self, grid, block):
        status = self.cuda.cuLaunchKernel(ctypes.c_void_p(self.function.ptr), grid, 1, 1, block, 1, 1, 0, None, self.params, None)
        if status != 0:
            raise RuntimeError(f"cuLaunchKernel returned {status}")

    def error_word(self):
        cp.cuda.runtime.deviceSynchronize()
        return int(self.error.get()[0])


def close(got, want):
    """NaN matches NaN, infinities match exactly, floats within a few ulps' worth."""
    if got.dtype.kind != "f":
        return bool(np.array_equal(got, want)), 0.0
    g, w = got.astype(np.float64), want.astype(np.float64)
    nan = np.isnan(g) | np.isnan(w)
    if not np.array_equal(np.isnan(g), np.isnan(w)):
        return False, float("nan")
    inf = np.isinf(g) | np.isinf(w)
    if not np.array_equal(g[inf], w[inf]):
        return False, float("inf")
    finite = ~(nan | inf)
    rtol, atol = (1e-5, 1e-6) if got.dtype == np.float32 else (1e-12, 1e-12)
    diff = np.abs(g[finite] - w[finite])
    worst = float((diff / (atol + rtol * np.abs(w[finite]))).max()) if diff.size else 0.0
    return worst <= 1.0, worst


def replay(folder, cuda):
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    source = open(os.path.join(folder, "kernels.cu")).read()
    start = time.perf_counter()
    module = cp.RawModule(code=source, backend="nvrtc")
    compile_s = time.perf_counter() - start
    results = []
    for entry in manifest:
        inputs = [cp.asarray(np.load(os.path.join(folder, f))) for f in entry["inputs"]]
        want = np.load(os.path.join(folder, entry["output"]))
        out = cp.zeros(want.shape, dtype=want.dtype)
        try:
            run = Launch(cuda, module.get_function(entry["name"]), inputs + [out])
            run(grid=4, block=256)
            error = run.error_word()
            ok, worst = close(out.get(), want)
            results.append({"name": entry["name"], "ok": ok and error == 0, "error_word": error, "worst": worst})
        except Exception as e:  # a kernel that fails to load or launch is a failure, not a stop
            results.append({"name": entry["name"], "ok": False, "exception": repr(e)})
    return compile_s, results


def bandwidth(folder, cuda, n=1 << 26, runs=20):
    """The float32 `add` kernel on n elements against a device-to-device copy of n elements."""
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    name = next(e["name"] for e in manifest if e["name"].endswith("_add_float32"))
    module = cp.RawModule(code=open(os.path.join(folder, "kernels.cu")).read(), backend="nvrtc")
    function = module.get_function(name)
    a, b, out = (cp.random.random(n, dtype=cp.float32) for _ in range(3))
    grid = min((n + 255) // 256, 4096)  # the backend's launch on a GPU

    def timed(body):
        body()
        cp.cuda.runtime.deviceSynchronize()
        begin, end = cp.cuda.Event(), cp.cuda.Event()
        begin.record()
        for _ in range(runs):
            body()
        end.record()
        end.synchronize()
        return cp.cuda.get_elapsed_time(begin, end) / 1000 / runs

    run = Launch(cuda, function, [a, b, out])
    kernel_s = timed(lambda: run(grid, 256))
    copy_s = timed(lambda: cp.copyto(out, a))
    cupy_s = timed(lambda: cp.add(a, b, out=out))
    assert cp.allclose(out, a + b)
    kernel_gbs = 3 * 4 * n / kernel_s / 1e9
    copy_gbs = 2 * 4 * n / copy_s / 1e9
    return {"kernel": name, "elements": n, "kernel_s": kernel_s, "kernel_GBps": kernel_gbs,
            "copy_s": copy_s, "copy_GBps": copy_gbs, "cupy_add_s": cupy_s,
            "ratio_to_copy": kernel_gbs / copy_gbs}


def main():
    folder = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else None
    cuda = load_driver()
    device = cp.cuda.Device()
    props = cp.cuda.runtime.getDeviceProperties(device.id)
    compile_s, results = replay(folder, cuda)
    failed = [r for r in results if not r["ok"]]
    report = {"device": props["name"].decode(), "compute_capability": device.compute_capability,
              "kernels": len(results), "failed": len(failed), "nvrtc_compile_s": compile_s,
              "failures": failed, "bandwidth": bandwidth(folder, cuda)}
    print(f"{report['device']} (sm_{report['compute_capability']}): {len(results) - len(failed)} of {len(results)} kernels match the reference; NVRTC {compile_s:.2f} s")
    for r in failed:
        print("FAILED", r)
    bw = report["bandwidth"]
    print(f"add float32 over {bw['elements']} elements: {bw['kernel_GBps']:.0f} GB/s, "
          f"device-to-device copy {bw['copy_GBps']:.0f} GB/s: {100 * bw['ratio_to_copy']:.0f}% (goal >= 80%)")
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "gpu-check.json"), "w") as f:
            json.dump(report, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
