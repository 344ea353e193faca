#!/usr/bin/env python3
"""Writes the .npy/.npz fixtures (and NumPy's reprs) that TheanoArrayTests read.

Run from anywhere with NumPy 2.x installed; it writes beside itself:

    python3 Tests/TheanoArrayTests/Fixtures/make_fixtures.py

The outputs are committed; tests never call Python. Values are small and simple so the
Swift tests can spell out what they expect.
"""
import io
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def save(name, array, version=None):
    """np.save, or np.lib.format.write_array with an explicit format version."""
    with open(path(name), "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)


def raw_npy(name, header, payload, version=(1, 0)):
    """A hand-made .npy: header dict text as given, padded like NumPy does."""
    text = header.encode("latin1")
    prefix = 10 if version == (1, 0) else 12
    pad = (64 - (prefix + len(text) + 1) % 64) % 64
    text = text + b" " * pad + b"\n"
    size = struct.pack("<H", len(text)) if version == (1, 0) else struct.pack("<I", len(text))
    with open(path(name), "wb") as f:
        f.write(b"\x93NUMPY" + bytes(version) + size + text + payload)


# --- .npy: every dtype, C and Fortran order, 0-d and empty -------------------------------
save("f4_c.npy", np.array([[0, 1.5, -2.25], [np.inf, np.nan, -0.0]], np.float32))
save("f8_fortran.npy", np.asfortranarray(np.arange(12.0).reshape(3, 4) / 4))
save("i4_fortran_3d.npy", np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 10))
save("bool.npy", np.array([[True, False, True], [False, False, True]]))
save("u1.npy", np.array([0, 1, 127, 128, 255], np.uint8))
save("i1.npy", np.array([-128, -1, 0, 1, 127], np.int8))
save("i2.npy", np.array([-32768, -1, 0, 1, 32767], np.int16))
save("i8.npy", np.array([-(2**63), -1, 0, 1, 2**63 - 1], np.int64))
save("f8_scalar.npy", np.array(3.5))
save("f4_empty_0x3.npy", np.zeros((0, 3), np.float32))
save("v2_i4.npy", np.arange(6, dtype=np.int32).reshape(2, 3), version=(2, 0))
save("v3_f4.npy", np.array([1, 2, 3], np.float32), version=(3, 0))

# Bool bytes other than 0 and 1 (NumPy reads them as True); we must normalise to 1.
raw_npy("bool_bytes.npy", "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }",
        bytes([0, 1, 2, 255]))
assert np.load(path("bool_bytes.npy")).tolist() == [False, True, True, True]

# Files we must refuse with a clear error.
save("be_f4.npy", np.array([1, 2], ">f4"))
save("u4.npy", np.array([1, 2], np.uint32))
save("str.npy", np.array(["ab", "c"]))

# --- .npz: stored (np.savez) and deflated (np.savez_compressed) ----------------------------
members = dict(
    a=np.array([[1, 2, 3], [4, 5, 6]], np.float32),
    b=np.arange(5),
    flag=np.array([True, False]),
    s=np.array(2.5),
    e=np.zeros((0,), np.int16),
)
np.savez(path("plain.npz"), **members)
np.savez_compressed(path("compressed.npz"), np.arange(3, dtype=np.uint8),
                    weights=np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))

# --- reprs: arrays and NumPy's repr of each, for description snapshots --------------------
repr_cases = {
    "f8_mixed": np.array([1.5, -2.25, 10, np.nan, -np.inf]),
    "f8_matrix": np.array([[1.0, 2.0], [3.0, 4.0]]),
    "f4_matrix": np.array([[1.0, 2.0], [3.0, 4.0]], np.float32),
    "f4_thirds": np.array([0.1, 1 / 3], np.float32),
    "f8_exp": np.array([1.5e-5, 1.0, -3e10]),
    "f8_exp_small": np.array([1e-5, 1.0]),
    "f8_big": np.array([1e8, 1.0]),
    "f8_allnan": np.array([np.nan, np.inf]),
    "f8_round": np.array([0.1 + 0.2, 1 / 3, 2 / 3]),
    "f8_negzero": np.array(-0.0),
    "f8_one": np.array(1.0),
    "f8_3d": np.arange(24.0).reshape(2, 3, 4),
    "f4_wrap": np.linspace(0, 1, 13).astype(np.float32),
    "i8_small": np.array([1, -2, 3]),
    "i8_wrap": np.arange(30),
    "i1_wrap": np.arange(40, dtype=np.int8),
    "i4_matrix": np.arange(6, dtype=np.int32).reshape(2, 3),
    "u1": np.array([0, 255], np.uint8),
    "i2_scalar": np.array(7, np.int16),
    "b_mixed": np.array([True, False]),
    "b_false": np.array([False, False]),
    "b_scalar": np.array(True),
    "b_matrix": np.array([[True, False], [False, True]]),
    "f8_scalar": np.array(3.5),
    "f4_scalar": np.array(3.5, np.float32),
    "i8_scalar": np.array(3),
    "f4_empty_0x3": np.zeros((0, 3), np.float32),
    "f8_empty": np.zeros((0,)),
    "b_empty": np.zeros((0,), bool),
    "i8_empty_2x0": np.zeros((2, 0), np.int64),
    "f8_dtype_line": np.arange(17.0) / 7,
    "i8_4d": np.arange(16).reshape(1, 2, 2, 4),
    "f4_big": np.array([1e10, -2.5, 3], np.float32),
    "f4_random": np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32),
    "f8_random": np.random.default_rng(1).standard_normal((4, 7)),
    "f8_wide": np.random.default_rng(2).standard_normal((2, 12)) * 1000,
    "f8_neg_small": np.array([-1e-5, 2e-6, 0.0]),
    "f8_1x1": np.array([[5.25]]),
    "f8_zeros": np.zeros(4),
    "f8_negative": np.array([-1.0, -2.5]),
    "f8_nan": np.array([np.nan]),
    "f8_infs": np.array([-np.inf, np.inf, 1.0]),
    "f8_infs_exp": np.array([-np.inf, 1e-9, 1.0]),
    "f8_halves": np.array([0.5, 0.25, 0.125, 0.0625]),
    "i2_3d_wrap": np.arange(2 * 2 * 30, dtype=np.int16).reshape(2, 2, 30) * 100,
    "f8_denormal": np.array([5e-324, 1.0]),
    "f8_max": np.array([1.7976931348623157e308, -1.0]),
    "f4_max": np.array([3.4028235e38], np.float32),
    "f8_round_up": np.array([0.999999999, 1.0]),
    "f8_round": np.array([123.456789012345, 0.1]),
    "f8_column": np.arange(5.0).reshape(5, 1),
    "f8_empty_3x0": np.zeros((3, 0)),
}
# Large arrays (summarised with "...") are not stored: the tests build them with arange.
built_cases = {
    "built_i8_summary": np.arange(2000),
    "built_f8_summary_2d": np.arange(3000.0).reshape(30, 100),
    "built_i4_summary_3d": np.arange(2 * 10 * 100, dtype=np.int32).reshape(2, 10, 100),
    "built_b_summary": np.arange(1500) % 3 == 0,
    "built_i8_negative_summary": -np.arange(1200).reshape(40, 30),
    "built_u1_summary": (np.arange(1001) % 256).astype(np.uint8),
    "built_f4_summary": np.linspace(0, 1, 1001, dtype=np.float32),
}
np.savez_compressed(path("reprs.npz"), **repr_cases)
with open(path("reprs.json"), "w") as f:
    reprs = {k: repr(v) for k, v in {**repr_cases, **built_cases}.items()}
    json.dump(reprs, f, indent=1, sort_keys=True)
    f.write("\n")

print("fixtures written:", sorted(os.listdir(HERE)))
