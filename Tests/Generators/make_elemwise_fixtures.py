#!/usr/bin/env python3
"""Prints ElemwiseFixtures.swift: expected values of every elementwise op, computed with NumPy
(and SciPy for erf, erfc, gamma, lgamma and sigmoid).

    cd Tests/TheanoTests/Elemwise/Fixtures
    python3 Tests/Generators/make_elemwise_fixtures.py > Tests/TheanoTests/Elemwise/Fixtures/ElemwiseFixtures.swift

The tests never run Python; they read the generated literals. Expected dtypes follow
docs/DTYPES.md, which is NumPy 2's rules with float16 replaced by float32: a float function of
int8, uint8, int16 or bool computes in float32 (NumPy: float16), so the expected value is the
function of the input converted to float32.

Float32 results of transcendental functions are computed in float64 from the float32 inputs
and rounded to float32 (a reference more accurate than any float32 kernel); float32
arithmetic (+ - * // %) is computed by NumPy in float32, which is exact IEEE arithmetic.

Where the library defines what NumPy leaves to the platform, the script applies the library's
documented rule (see `our_cast`): float -> integer casts of NaN, infinities and out-of-range
values (C undefined behaviour; NumPy gives whatever the CPU gives). Rounding functions of bools
are the identity (NumPy's `round` of a bool gives float16).
"""
import math
import sys
import warnings

import numpy as np
import scipy
import scipy.special as sp

warnings.simplefilter("ignore")

NP = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16,
    "int32": np.int32, "int64": np.int64, "float32": np.float32, "float64": np.float64,
}
SWIFT_CTOR = {
    "bool": "b", "uint8": "u8", "int8": "i8", "int16": "i16",
    "int32": "i32", "int64": "i64", "float32": "f32", "float64": "f64",
}
INT_VALUES = {
    "bool": [False, True],
    "uint8": [0, 1, 2, 3, 7, 100, 128, 255],
    "int8": [0, 1, -1, 2, -3, 7, -8, 100, 127, -128],
    "int16": [0, 1, -1, 2, -3, 7, 300, 32767, -32768],
    "int32": [0, 1, -1, 2, -3, 7, 65536, 2147483647, -2147483648],
    "int64": [0, 1, -1, 2, -3, 7, 2**32, 2**63 - 1, -2**63],
}
INF, NAN = math.inf, math.nan


def unary_floats(dtype):
    big = 1e30 if dtype == "float32" else 1e300
    return [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.0, -3.5, 0.1, -0.1,
            1e-8, -1e-8, 7.25, -7.25, 20.0, -20.0, 100.0, -100.0, big, -big, NAN, INF, -INF]


BINARY_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, -7.0, 10.0, NAN, INF, -INF]


def fmt_float(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "ninf"
    if x == 0:
        return "-0.0" if math.copysign(1, x) < 0 else "0"
    r = repr(x)
    return r


def fmt_array(a):
    a = np.asarray(a)
    dt = a.dtype.name
    if dt not in NP:
        raise ValueError(f"unexpected dtype {dt}")
    if dt.startswith("float"):
        vals = ", ".join(fmt_float(x) for x in a.ravel())
    elif dt == "bool":
        vals = ", ".join("1" if x else "0" for x in a.ravel())
    else:
        vals = ", ".join(str(int(x)) for x in a.ravel())
    shape = "" if a.ndim == 1 else f", shape: [{', '.join(str(s) for s in a.shape)}]"
    return f".{SWIFT_CTOR[dt]}([{vals}]{shape})"


def arr(values, dtype):
    return np.array(values, dtype=NP[dtype])


def float_type_for(dtype):
    """The dtype a float function computes in (docs/DTYPES.md)."""
    if dtype in ("float32", "float64"):
        return dtype
    return "float32" if dtype in ("bool", "uint8", "int8", "int16") else "float64"


# --- reference functions, in float64 -----------------------------------------------------------

def lgamma_c(x):
    # C99 lgamma: +inf at -inf (SciPy's gammaln gives -inf there).
    y = sp.gammaln(x)
    return np.where(np.isneginf(x), np.inf, y)


def log1mexp(x):
    # log(1 - e^x) in float64 by the two accurate forms (Maechler 2012); NaN above 0.
    with np.errstate(all="ignore"):
        return np.where(x > -np.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


FLOAT_UNARY = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2,
    "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt, "reciprocal": lambda x: 1.0 / x,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos,
    "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh,
    "erf": sp.erf, "erfc": sp.erfc, "gamma": sp.gamma, "lgamma": lgamma_c,
    "sigmoid": sp.expit, "softplus": lambda x: np.logaddexp(0.0, x), "log1mexp": log1mexp,
}


def float_function(f, *inputs):
    """f of inputs converted to the float type of docs/DTYPES.md, computed in float64."""
    common = np.result_type(*inputs).name
    out = float_type_for(common)
    xs = [np.asarray(x).astype(out).astype(np.float64) for x in inputs]
    return np.asarray(f(*xs)).astype(out)


def our_cast(a, target):
    """The library's casting rule: truncation toward zero, NaN -> 0, out of range -> the
    value clamped to int64, then wrapped to the target width; bool is `!= 0`."""
    a = np.asarray(a)
    if target == "bool":
        return a != 0
    if target.startswith("float") or not a.dtype.name.startswith("float"):
        return a.astype(NP[target])
    out = []
    for x in a.ravel().astype(np.float64):
        if math.isnan(x):
            v = 0
        elif x >= 2.0**63:
            v = 2**63 - 1
        elif x <= -(2.0**63):
            v = -2**63
        else:
            v = int(math.trunc(x))
        bits = np.iinfo(NP[target]).bits
        v &= (1 << bits) - 1
        if np.iinfo(NP[target]).min < 0 and v >= 1 << (bits - 1):
            v -= 1 << bits
        out.append(v)
    return np.array(out, dtype=NP[target]).reshape(a.shape)


# --- fixture collection --------------------------------------------------------------------------

fixtures = []


def add(op, inputs, expected, note=""):
    fixtures.append((op, [np.asarray(x) for x in inputs], np.asarray(expected), note))


def grid(a, b):
    """a as a column [n, 1] and b as a row [1, m]: the test broadcasts them."""
    return np.asarray(a).reshape(-1, 1), np.asarray(b).reshape(1, -1)


def binary_values(dtype):
    if dtype.startswith("float"):
        return arr(BINARY_FLOATS, dtype)
    return arr(INT_VALUES[dtype], dtype)


ALL_INTS = ["bool", "uint8", "int8", "int16", "int32", "int64"]

# Float functions of one argument: float32, float64, and integer inputs (converted).
for name, f in FLOAT_UNARY.items():
    for dt in ["float32", "float64"]:
        x = arr(unary_floats(dt), dt)
        add(name, [x], float_function(f, x))
    for dt in ["int8", "int32"] + (["bool", "uint8", "int16", "int64"] if name in ("exp", "sqrt", "sin") else []):
        x = arr(INT_VALUES[dt], dt)
        add(name, [x], float_function(f, x))

# Numeric functions of one argument.
for dt in ["float32", "float64"]:
    x = arr(unary_floats(dt), dt)
    add("neg", [x], np.negative(x))
    add("abs", [x], np.abs(x))
    add("sign", [x], np.sign(x))
    add("square", [x], np.square(x))
    add("floor", [x], np.floor(x))
    add("ceil", [x], np.ceil(x))
    add("round", [x], np.round(x))
    add("trunc", [x], np.trunc(x))
    xr = arr([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999997, 2.5000002, -0.4, 4503599627370497.0 if dt == "float64" else 8388609.0], dt)
    add("round", [xr], np.round(xr), "half to even")
for dt in ["uint8", "int8", "int16", "int32", "int64"]:
    x = arr(INT_VALUES[dt], dt)
    for name, f in [("neg", np.negative), ("abs", np.abs), ("sign", np.sign), ("square", np.square)]:
        add(name, [x], f(x))
    for name in ["floor", "ceil", "round", "trunc"]:
        add(name, [x], x)  # identity on integers
xb = arr([False, True], "bool")
add("abs", [xb], np.abs(xb))
add("square", [xb], np.square(xb))  # int8, as in NumPy
for name in ["floor", "ceil", "round", "trunc"]:
    add(name, [xb], xb)

# Arithmetic of two arguments, on a broadcast grid.
ARITH = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "floorDivide": np.floor_divide,
         "mod": np.remainder, "maximum": np.maximum, "minimum": np.minimum}
for name, f in ARITH.items():
    for dt in ["float32", "float64"] + ALL_INTS:
        if dt == "bool" and name == "sub":
            continue
        v = binary_values(dt)
        a, b = grid(v, v)
        if dt == "bool" and name in ("floorDivide", "mod"):
            add(name, [a, b], f(a.astype(np.int8), b.astype(np.int8)))
        else:
            add(name, [a, b], f(a, b))
for dt in ["float32", "float64"] + ALL_INTS:
    v = binary_values(dt)
    a, b = grid(v, v)
    add("trueDivide", [a, b], np.true_divide(a, b) if dt.startswith("float") else a.astype(np.float64) / b.astype(np.float64))
    if dt.startswith("float"):
        add("pow", [a, b], float_function(np.power, a, b))
        add("arctan2", [a, b], float_function(np.arctan2, a, b))
        add("logaddexp", [a, b], float_function(np.logaddexp, a, b))
    else:
        exps = arr([x for x in INT_VALUES[dt] if x >= 0], dt)
        a, b = grid(v, exps)
        add("pow", [a, b], np.power(a.astype(np.int8) if dt == "bool" else a, b.astype(np.int8) if dt == "bool" else b))
for dt in ["int8", "int32"]:
    v = binary_values(dt)
    a, b = grid(v, v)
    add("arctan2", [a, b], float_function(np.arctan2, a, b))
    add("logaddexp", [a, b], float_function(np.logaddexp, a, b))

# Comparisons and logic.
COMPARE = {"eq": np.equal, "neq": np.not_equal, "lt": np.less, "le": np.less_equal,
           "gt": np.greater, "ge": np.greater_equal}
LOGIC = {"logicalAnd": np.logical_and, "logicalOr": np.logical_or, "logicalXor": np.logical_xor}
for dt in ["float32", "float64"] + ALL_INTS:
    v = binary_values(dt)
    a, b = grid(v, v)
    for name, f in list(COMPARE.items()) + list(LOGIC.items()):
        add(name, [a, b], f(a, b))
    add("logicalNot", [v], np.logical_not(v))
    add("isnan", [v], np.isnan(v))
    add("isinf", [v], np.isinf(v))

# Mixed dtypes (NumPy's promotion; none of these involves float16).
MIXED = [
    ("add", "int8", "uint8"), ("sub", "uint8", "int8"), ("mul", "int16", "uint8"),
    ("add", "int32", "float32"), ("mul", "int16", "float32"), ("sub", "float32", "float64"),
    ("add", "bool", "int8"), ("mul", "bool", "float32"), ("floorDivide", "uint8", "int64"),
    ("mod", "int32", "float64"), ("pow", "float64", "int8"), ("trueDivide", "int8", "uint8"),
    ("trueDivide", "int32", "float32"), ("maximum", "int8", "uint8"), ("minimum", "int64", "float32"),
    ("lt", "uint8", "int8"), ("eq", "int64", "float64"), ("ge", "bool", "int16"),
    ("arctan2", "int32", "float32"), ("logicalAnd", "float64", "int8"),
]
for name, da, db in MIXED:
    a, b = grid(binary_values(da), binary_values(db))
    f = {**ARITH, **COMPARE, **LOGIC, "pow": np.power, "trueDivide": np.true_divide, "arctan2": np.arctan2}[name]
    expected = f(a, b)
    assert expected.dtype != np.float16, (name, da, db)
    add(name, [a, b], expected, f"{da} with {db}")

# where: the condition is converted to bool.
cond_values = {"bool": [True, False, True, False, True, False],
               "float64": [1.5, 0.0, NAN, -0.0, -2.0, 0.0],
               "int32": [3, 0, -1, 0, 7, 0]}
branch_values = [("float32", "float32"), ("int8", "uint8"), ("int32", "float32"), ("bool", "bool"), ("float64", "int64")]
for cdt, cv in cond_values.items():
    for da, db in branch_values:
        c = arr(cv, cdt)
        a = arr([1, 2, 3, 4, 5, 6], da) if da != "bool" else arr([True] * 6, da)
        if db == "bool":
            b = arr([False] * 6, db)
        elif db == "uint8":
            b = arr([10, 20, 30, 40, 50, 255], db)
        else:
            b = arr([-1, -2, -3, -4, -5, -6], db)
        add("where", [c, a, b], np.where(c.astype(bool), a, b), f"condition {cdt}")

# clip, with array bounds (NaN bound, low > high).
for dt in ["float32", "float64"]:
    x = arr([-3.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 5.0, NAN, INF, -INF], dt)
    for lo, hi in [(-1.0, 1.0), (0.0, 2.0), (2.0, 1.0), (NAN, 1.0), (-INF, INF), (0.5, 0.5)]:
        xl, xh = arr([lo], dt), arr([hi], dt)
        add("clip", [x, xl, xh], np.clip(x, xl, xh))
for dt, (lo, hi) in [("int8", (-3, 7)), ("uint8", (2, 128)), ("int32", (-1, 65536)), ("int64", (0, 2**40))]:
    x = arr(INT_VALUES[dt], dt)
    add("clip", [x, arr([lo], dt), arr([hi], dt)], np.clip(x, arr([lo], dt), arr([hi], dt)))
add("clip", [arr([False, True], "bool"), arr([True], "bool"), arr([True], "bool")], arr([True, True], "bool"))

# cast: every pair of dtypes.
CAST_SOURCE = {
    "float32": [0.0, -0.0, 0.5, -0.5, 1.7, -1.7, 2.5, 100.9, -100.9, 127.5, 128.0, 255.5, 256.0,
                -129.0, 40000.5, -40000.0, 3e9, -3e9, 1e20, NAN, INF, -INF],
    **INT_VALUES,
}
CAST_SOURCE["float64"] = CAST_SOURCE["float32"] + [0.1, 1e300, 2.0**63, -(2.0**63), 2.0**64 + 4096.0]
for src in NP:
    x = arr(CAST_SOURCE[src], src)
    for dst in NP:
        if src != dst:
            add("cast", [x], our_cast(x, dst))

# --- output ---------------------------------------------------------------------------------------

out = sys.stdout
out.write(f"""// Generated by make_elemwise_fixtures.py (NumPy {np.__version__}, SciPy {scipy.__version__}).
// Do not edit: change the script and run
//     python3 Tests/Generators/make_elemwise_fixtures.py > Tests/TheanoTests/Elemwise/Fixtures/ElemwiseFixtures.swift
// swiftlint:disable all

import Theano

private let nan = Double.nan
private let inf = Double.infinity
private let ninf = -Double.infinity

extension ElemwiseFixture {{
    /// Every op on its special values; `op` names the free function (`cast` casts to the
    /// expected dtype).
    static let all: [ElemwiseFixture] = makeAll()

    // One statement per fixture: a single array literal of them all takes the type checker
    // seconds.
    private static func makeAll() -> [ElemwiseFixture] {{
        var all: [ElemwiseFixture] = []
""")
for op, inputs, expected, note in fixtures:
    ins = ", ".join(fmt_array(x) for x in inputs)
    note_arg = f", note: \"{note}\"" if note else ""
    out.write(f"        all.append(ElemwiseFixture(\"{op}\", [{ins}], {fmt_array(expected)}{note_arg}))\n")
out.write("        return all\n    }\n}\n")


# --- dtype rules ----------------------------------------------------------------------------------

ORDER = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]  # DType.allCases


def no_float16(dt):
    return "float32" if dt == "float16" else dt


def ones(dt):
    return np.ones(1, dtype=NP[dt])


def table(f):
    return [[no_float16(f(a, b)) for b in ORDER] for a in ORDER]


promotion = table(lambda a, b: np.result_type(NP[a], NP[b]).name)
true_divide = table(lambda a, b: np.true_divide(ones(a), ones(b)).dtype.name)
arctan2 = table(lambda a, b: np.arctan2(ones(a), ones(b)).dtype.name)
weak_int = [np.result_type(NP[a], 1).name for a in ORDER]
weak_float = [np.result_type(NP[a], 1.5).name for a in ORDER]
float_fn = [no_float16(np.exp(ones(a)).dtype.name) for a in ORDER]


def swift_row(row):
    return "[" + ", ".join("." + d for d in row) + "]"


def swift_table(t):
    return "[\n" + "".join(f"        {swift_row(r)},\n" for r in t) + "    ]"


out.write(f"""
/// NumPy's dtype rules for the library's eight dtypes, in `DType.allCases` order, with float16
/// replaced by float32.
enum ElemwiseDTypeRules {{
    /// `np.result_type(a, b)`.
    static let promotion: [[DType]] = {swift_table(promotion)}
    /// `np.true_divide(a, b).dtype`.
    static let trueDivide: [[DType]] = {swift_table(true_divide)}
    /// `np.arctan2(a, b).dtype`.
    static let arctan2: [[DType]] = {swift_table(arctan2)}
    /// `np.result_type(a, 1)`: an integer literal (weakly typed).
    static let weakInteger: [DType] = {swift_row(weak_int)}
    /// `np.result_type(a, 1.5)`: a float literal (weakly typed).
    static let weakFloat: [DType] = {swift_row(weak_float)}
    /// `np.exp(a).dtype`: the dtype of a float function.
    static let floatFunction: [DType] = {swift_row(float_fn)}
}}
""")

if "--markdown" in sys.argv:
    sys.stderr.write("| | " + " | ".join(ORDER) + " |\n|---|" + "---|" * len(ORDER) + "\n")
    for a, row in zip(ORDER, promotion):
        sys.stderr.write(f"| **{a}** | " + " | ".join(row) + " |\n")
    sys.stderr.write("\nweak int: " + str(weak_int) + "\nweak float: " + str(weak_float) + "\nfloat fn: " + str(float_fn) + "\n")
    sys.stderr.write("true divide: " + str(true_divide) + "\narctan2: " + str(arctan2) + "\n")
