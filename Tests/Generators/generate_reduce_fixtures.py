#!/usr/bin/env python3
"""Generates ReduceFixtures.swift: inputs and NumPy-computed expected results for every
reduction (sum, prod, max, min, mean, var, std, all, any, logsumexp, argmax, argmin) over
several axis choices, with and without keepdims.

Run from the repository root:
    python3 Tests/Generators/generate_reduce_fixtures.py > Tests/TheanoTests/Reduce/ReduceFixtures.swift
(NumPy 2.x and scipy; the tests never call Python.)

Deviations from NumPy recorded here, as in the library: uint8 sums and products are int64
(NumPy: uint64); logsumexp of bool and integers is float64 (as scipy's).
"""
import json
import math
import warnings

import numpy as np
from scipy.special import logsumexp

warnings.simplefilter("ignore")
rng = np.random.default_rng(7)


def uniform(shape, dtype, low=-3, high=3, decimals=2):
    return np.round(rng.uniform(low, high, shape), decimals).astype(dtype)


def integers(shape, dtype, low, high):
    return rng.integers(low, high, shape, endpoint=True).astype(dtype)


big = 2**62
inputs = {
    "f64": uniform((2, 3, 4), np.float64),
    "f32": uniform((2, 3, 4), np.float32),
    "i32": integers((2, 3, 4), np.int32, -5, 5),
    "i16": integers((3, 4), np.int16, -30000, 30000),
    "i8": integers((3, 4), np.int8, -100, 100),
    "u8": integers((3, 4), np.uint8, 0, 255),
    "i64big": np.array([[big + 1, big + 3, big + 2], [-big - 1, -big - 3, -big - 2]], np.int64),
    "bool": rng.uniform(0, 1, (2, 3, 4)) > 0.5,
    "boolrows": np.array([[True, True, True], [True, False, True], [False, False, False]]),
    "ties": np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, -5.0, -5.0, -1.0]]),
    "nan": np.array([[1.0, 2.0, 3.0, 4.0], [1.0, np.nan, 3.0, 9.0], [np.nan, 5.0, np.nan, -np.inf]]),
    "inf": np.array([[-np.inf, -np.inf, -np.inf], [1000.0, 1000.0, -np.inf], [np.inf, 1.0, 2.0], [-1000.0, -1000.0, -1001.0]]),
    "empty03": np.zeros((0, 3)),
    "empty30": np.zeros((3, 0)),
    "emptyi": np.zeros((0, 2, 3), np.int32),
    "row": uniform((1, 4), np.float64),
    "col": uniform((4, 1), np.float32),
    "scalar": np.array(2.5),
    "vector": uniform((5,), np.float64),
}

axis_choices = {
    0: [None, []],
    1: [None, 0, -1, []],
    2: [None, 0, 1, -1, [0, 1], [-1, -2], []],
    3: [None, 0, 1, -1, [0, 2], [-1, 0], [0, 1, 2], [1, -1], []],
}

ops = ["sum", "prod", "max", "min", "mean", "var", "var1", "std", "std1", "all", "any",
       "logsumexp", "argmax", "argmin"]


def our_dtype(op, x, result_dtype):
    """The dtype the library returns (NumPy's, with the deviations above)."""
    if op in ("sum", "prod") and result_dtype == np.uint64:
        return np.dtype(np.int64)
    if op == "logsumexp" and not np.issubdtype(x.dtype, np.floating):
        return np.dtype(np.float64)
    return np.dtype(result_dtype)


def compute(op, x, axis, keepdims):
    ax = tuple(axis) if isinstance(axis, list) else axis
    if op == "sum":
        return np.sum(x, axis=ax, keepdims=keepdims)
    if op == "prod":
        return np.prod(x, axis=ax, keepdims=keepdims)
    if op == "max":
        return np.max(x, axis=ax, keepdims=keepdims)
    if op == "min":
        return np.min(x, axis=ax, keepdims=keepdims)
    if op == "mean":
        return np.mean(x, axis=ax, keepdims=keepdims)
    if op in ("var", "var1"):
        return np.var(x, axis=ax, ddof=1 if op == "var1" else 0, keepdims=keepdims)
    if op in ("std", "std1"):
        return np.std(x, axis=ax, ddof=1 if op == "std1" else 0, keepdims=keepdims)
    if op == "all":
        return np.all(x, axis=ax, keepdims=keepdims)
    if op == "any":
        return np.any(x, axis=ax, keepdims=keepdims)
    if op == "logsumexp":
        if any(x.shape[a] == 0 for a in (range(x.ndim) if ax is None else np.atleast_1d(ax))):
            raise ValueError("empty")  # the library throws (the max of nothing)
        xf = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
        if x.size == 0:
            # Reduced axes are non-empty here, so the result is empty (scipy fails on it).
            return np.zeros(np.sum(x, axis=ax, keepdims=keepdims).shape, xf.dtype)
        if ax == ():
            r = xf.copy()  # scipy rejects axis=(); log(exp(x)) is x
        else:
            r = np.asarray(logsumexp(xf, axis=ax))
        # scipy's keepdims is wrong for rank 0; reshape to NumPy's keepdims shape instead.
        return r.reshape(np.sum(x, axis=ax, keepdims=keepdims).shape)
    if op in ("argmax", "argmin"):
        f = np.argmax if op == "argmax" else np.argmin
        return f(x, axis=ax, keepdims=keepdims)
    raise KeyError(op)


def number(v):
    # Shortest text that reads back to the same value (float32 values as float32 text).
    v = float(str(v)) if isinstance(v, np.float32) else float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def encode_values(a):
    a = np.asarray(a)
    if a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer):
        return {"ints": [int(v) for v in a.reshape(-1)]}
    return {"floats": [number(v) for v in a.reshape(-1)]}


cases = []
for name, x in inputs.items():
    for op in ops:
        for axis in axis_choices[x.ndim]:
            if op in ("argmax", "argmin") and isinstance(axis, list):
                continue
            for keepdims in (False, True):
                case = {"input": name, "op": op, "keepdims": keepdims}
                if axis is not None:
                    case["axes"] = axis if isinstance(axis, list) else [axis]
                    case["single"] = not isinstance(axis, list)
                try:
                    r = np.asarray(compute(op, x, axis, keepdims))
                except ValueError:
                    case["throws"] = True
                    cases.append(case)
                    continue
                dtype = our_dtype(op, x, r.dtype)
                case["dtype"] = dtype.name
                case["shape"] = list(r.shape)
                case.update(encode_values(r.astype(dtype) if dtype != r.dtype else r))
                cases.append(case)

fixture = {
    "inputs": {name: {"dtype": x.dtype.name, "shape": list(x.shape), **encode_values(x)} for name, x in inputs.items()},
    "cases": cases,
}

text = json.dumps(fixture, separators=(",", ":"))
# One case per line keeps diffs readable.
text = text.replace('},{"input"', '},\n{"input"')
print("// Generated by generate_reduce_fixtures.py (NumPy %s); do not edit." % np.__version__)
print("// Inputs and expected results of every reduction; see ReduceFixtureTests.swift.")
print()
print('let reduceFixtureJSON = #"""')
print(text)
print('"""#')
