#!/usr/bin/env python3
"""Generates LongTailFixtures.swift: inputs and NumPy-computed results for the "long tail"
tensor ops (sort, argsort, topk, cumsum, cumprod, diff, searchsorted, triu, tril, diagonal,
diag, pad, take_along_axis, nonzero, unique, bincount, meshgrid, isclose, repeat, roll) and
einsum.

Run from the repository root:
    /work/venv/bin/python Tests/Generators/generate_longtail_fixtures.py > Tests/TheanoTests/LongTail/LongTailFixtures.swift
(NumPy 2.x; the tests never call Python.)

Conventions recorded here, as in the library: descending sorts are stable (ties keep their
order, NaN first), which NumPy has no direct form for, so they are computed by a stable sort
on a key; topk is the first k of that order.
"""
import json
import math

import numpy as np

rng = np.random.default_rng(15)


def uniform(shape, low=-3, high=3):
    return np.round(rng.uniform(low, high, shape), 2)


nan = np.nan
inf = np.inf
inputs = {
    "x35": np.array([[3, 1, 2, 1, nan], [0.5, -1, 4, 4, 2], [-2, 7, 0, 7, 1]]),
    "m34": uniform((3, 4)),
    "b234": uniform((2, 3, 4)),
    "i7": np.array([4, 1, 3, 1, 0, 3, 3], np.int64),
    "w7": uniform((7,)),
    "sorted": np.array([1, 2, 2, 3, 5, nan]),
    "probe": np.array([[0, 2, 2.5], [5, 6, nan]]),
    "zeros24": np.array([[1.5, 2, 0, 3], [2, 0, 0, 4]]),
    "v3": np.array([1.0, 2.0, 3.0]),
    "m23": np.array([[1.0, 2, 3], [4, 5, 6]]),
    "idx24": np.array([[2, 0, 1, 2], [0, 0, 2, 1]], np.int64),
    "idx31": np.array([[3], [0], [1]], np.int64),
    "nz": np.array([[0, 1.5, 0], [nan, 0, -2]]),
    "dup": np.array([[3, nan, 1, 3], [nan, 2, 1, 3]]),
    "rows": np.array([[1.0, 2], [0, 5], [1, 2], [0, 4], [0, 5]]),
    "t232": np.arange(12.0).reshape(2, 3, 2) % 4,
    "g2": np.array([1.0, 2.0]),
    "g4": np.array([-1.0, 0.0, 1.0, 2.0]),
    "close_a": np.array([1, 1e10, inf, -inf, nan, 1e-8, 0, inf]),
    "close_b": np.array([1 + 1e-6, 1.00001e10, inf, inf, nan, 0, 1e-9, 1e300]),
    "A": uniform((2, 3)),
    "B": uniform((3, 4)),
    "C": uniform((4, 5)),
    "S": uniform((3, 3)),
    "T": uniform((2, 3, 3)),
    "U": uniform((2, 3, 4)),
    "V": uniform((2, 4, 5)),
    "a3": uniform((3,)),
    "b4": uniform((4,)),
    "P": uniform((2, 1, 3, 4)),
    "Q": uniform((5, 4, 2)),
    "R": uniform((1, 3)),
}
x = inputs


def stable_order(v, descending):
    # NumPy order: NaN last ascending, so NaN first descending; ties by position.
    def key(i):
        e = v[i]
        if math.isnan(e):
            return (0 if descending else 1, 0.0)
        return (1 if descending else 0, -e if descending else e)
    return sorted(range(len(v)), key=key)


def argsort_desc(a, axis):
    return np.apply_along_axis(lambda v: np.array(stable_order(v, True)), axis, a)


cases = {}


def add(name, value):
    cases[name] = np.asarray(value)


# Sorting.
add("sort_x35_last", np.sort(x["x35"], axis=-1, kind="stable"))
add("sort_x35_0", np.sort(x["x35"], axis=0, kind="stable"))
add("sort_x35_none", np.sort(x["x35"], axis=None, kind="stable"))
add("argsort_x35_last", np.argsort(x["x35"], axis=-1, kind="stable"))
add("argsort_x35_0", np.argsort(x["x35"], axis=0, kind="stable"))
add("argsort_x35_none", np.argsort(x["x35"], axis=None, kind="stable"))
desc = argsort_desc(x["x35"], 1)
add("argsort_desc_x35_last", desc)
add("sort_desc_x35_last", np.take_along_axis(x["x35"], desc, 1))
add("topk2_idx", desc[:, :2])
add("topk2_val", np.take_along_axis(x["x35"], desc[:, :2], 1))
small = np.argsort(x["m34"], axis=0, kind="stable")[:2]
add("topk2_small0_idx", small)
add("topk2_small0_val", np.take_along_axis(x["m34"], small, 0))
add("searchsorted_left", np.searchsorted(x["sorted"], x["probe"], side="left"))
add("searchsorted_right", np.searchsorted(x["sorted"], x["probe"], side="right"))

# Cumulative ops and differences.
add("cumsum_m34_0", np.cumsum(x["m34"], axis=0))
add("cumsum_m34_1", np.cumsum(x["m34"], axis=1))
add("cumsum_m34_none", np.cumsum(x["m34"]))
add("cumsum_i7", np.cumsum(x["i7"]))
add("cumprod_zeros24_1", np.cumprod(x["zeros24"], axis=1))
add("cumprod_b234_1", np.cumprod(x["b234"], axis=1))
add("diff_m34_last", np.diff(x["m34"]))
add("diff2_m34_0", np.diff(x["m34"], n=2, axis=0))
add("diff3_b234_2", np.diff(x["b234"], n=3, axis=2))

# Triangles and diagonals.
for k in (-1, 0, 2):
    add("triu_b234_%d" % k, np.triu(x["b234"], k))
    add("tril_b234_%d" % k, np.tril(x["b234"], k))
add("diagonal_b234_1_1_2", np.diagonal(x["b234"], 1, 1, 2))
add("diagonal_b234_m1_0_2", np.diagonal(x["b234"], -1, 0, 2))
for k in (0, 2, -2, 5):
    add("diagonal_m34_%d" % k, np.diagonal(x["m34"], k))
add("diag_v3_1", np.diag(x["v3"], 1))
add("diag_v3_m2", np.diag(x["v3"], -2))

# Padding.
add("pad_m23_constant", np.pad(x["m23"], ((1, 2), (2, 0)), mode="constant", constant_values=9))
for mode in ("edge", "reflect", "symmetric", "wrap"):
    add("pad_m23_" + mode, np.pad(x["m23"], ((4, 1), (2, 3)), mode=mode))
add("pad_v3_reflect_wide", np.pad(x["v3"], (5, 7), mode="reflect"))
add("pad_m23_constants", np.pad(x["m23"], ((1, 2), (2, 1)), mode="constant", constant_values=((7, 8), (-1, -2))))

# Gathers.
add("take_m34_idx24_0", np.take_along_axis(x["m34"], x["idx24"], 0))
add("take_m34_idx31_1", np.take_along_axis(x["m34"], x["idx31"], 1))

# Value-dependent sizes.
rows, cols = np.nonzero(x["nz"])
add("nonzero_rows", rows)
add("nonzero_cols", cols)
values, index, inverse, counts = np.unique(x["dup"], return_index=True, return_inverse=True, return_counts=True)
add("unique_values", values)
add("unique_index", index)
add("unique_inverse", inverse)
add("unique_counts", counts)
for name, axis in (("rows", 0), ("t232", 1)):
    values, index, inverse, counts = np.unique(x[name], axis=axis, return_index=True, return_inverse=True, return_counts=True)
    add("unique_%s_values" % name, values)
    add("unique_%s_index" % name, index)
    add("unique_%s_inverse" % name, inverse)
    add("unique_%s_counts" % name, counts)
add("bincount_i7", np.bincount(x["i7"]))
add("bincount_i7_w", np.bincount(x["i7"], weights=x["w7"]))
add("bincount_i7_min9", np.bincount(x["i7"], minlength=9))

# Grids, comparisons, repeats.
gx, gy, gz = np.meshgrid(x["g2"], x["v3"], x["g4"])
add("meshgrid_xy_0", gx)
add("meshgrid_xy_1", gy)
add("meshgrid_xy_2", gz)
hx, hy = np.meshgrid(x["g2"], x["v3"], indexing="ij")
add("meshgrid_ij_0", hx)
add("meshgrid_ij_1", hy)
add("isclose_default", np.isclose(x["close_a"], x["close_b"]))
add("isclose_nan", np.isclose(x["close_a"], x["close_b"], equal_nan=True))
add("isclose_loose", np.isclose(x["close_a"], x["close_b"], rtol=1e-3, atol=1e-7))
add("repeat_m34_102_0", np.repeat(x["m34"], [1, 0, 2], axis=0))
add("repeat_m23_2_none", np.repeat(x["m23"], 2))
add("repeat_m34_2_1", np.repeat(x["m34"], 2, axis=1))
add("roll_m34_m2_1", np.roll(x["m34"], -2, axis=1))
add("roll_m34_7_none", np.roll(x["m34"], 7))

# einsum.
einsum_cases = {
    "mm": ("ij,jk->ik", ["A", "B"]),
    "mm_implicit": ("ij,jk", ["A", "B"]),
    "chain3": ("ij,jk,kl->il", ["A", "B", "C"]),
    "trace": ("ii", ["S"]),
    "diag": ("ii->i", ["S"]),
    "transpose": ("ij->ji", ["A"]),
    "sum_all": ("ij->", ["A"]),
    "batched": ("bij,bjk->bik", ["U", "V"]),
    "batched_trace": ("bii->b", ["T"]),
    "inner": ("i,i", ["a3", "a3"]),
    "outer": ("i,j->ij", ["a3", "b4"]),
    "implicit_sorted": ("ba,ca", ["A", "R"]),
    "mixed": ("bij,jk,bkl->bil", ["T", "B", "V"]),
    "ellipsis": ("...ij,...jk->...ik", ["P", "Q"]),
    "ellipsis_implicit": ("...j,j", ["A", "a3"]),
    "bilinear": ("i,ij,j->", ["a3", "B", "b4"]),
    "broadcast1": ("ij,kj->ik", ["R", "A"]),
    "hadamard": ("i,i->i", ["a3", "a3"]),
    "batch_outer": ("bi,bj->bji", ["A", "A"]),
}
einsum_inputs = {}
for name, (spec, names) in einsum_cases.items():
    try:
        result = np.einsum(spec, *[x[n] for n in names])
    except ValueError:
        continue
    add("einsum_" + name, result)
    einsum_inputs[name] = {"subscripts": spec, "operands": names}


def number(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def encode(a):
    a = np.asarray(a)
    if a.dtype == np.bool_:
        kind, values = "bool", [int(v) for v in a.reshape(-1)]
    elif np.issubdtype(a.dtype, np.integer):
        kind, values = "int64", [int(v) for v in a.reshape(-1)]
    else:
        kind, values = "float64", [number(v) for v in a.reshape(-1)]
    return {"dtype": kind, "shape": list(a.shape), "values": values}


fixture = {
    "inputs": {name: encode(v) for name, v in inputs.items()},
    "cases": {name: encode(v) for name, v in cases.items()},
    "einsum": einsum_inputs,
}
text = json.dumps(fixture, separators=(",", ":"))
text = text.replace('},"', '},\n"')
print("// Generated by Tests/Generators/generate_longtail_fixtures.py (NumPy %s); do not edit." % np.__version__)
print("// Inputs and expected results of the long-tail ops and einsum; see LongTail*Tests.swift.")
print()
print('let longTailFixtureJSON = #"""')
print(text)
print('"""#')
