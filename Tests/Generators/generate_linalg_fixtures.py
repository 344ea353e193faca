#!/usr/bin/env python3
"""Generates LinalgFixtures.swift: inputs and NumPy/SciPy-computed results for the
linear-algebra ops (inv, det, slogdet, solve, solveTriangular, cholesky, choSolve, eigh,
eigvalsh, trace, kron, matrixPower, svd, qr, pinv, lstsq, norm, expm, luFactor, luSolve).

Run from the repository root:
    /work/venv/bin/python Tests/Generators/generate_linalg_fixtures.py > Tests/TheanoTests/Linalg/LinalgFixtures.swift
(NumPy 2.x and SciPy; the tests never call Python.)

Conventions the tests rely on: eigenvectors and singular vectors are unique only up to the
sign of each vector (column of V, U; row of Vt), and Q/R up to the sign of each column of Q
and row of R, so those cases are compared after flipping each vector to make its
largest-magnitude entry positive (`signNormalised`). Everything is float64.
"""
import json

import numpy as np
import scipy.linalg as sl

rng = np.random.default_rng(15)


def r(*shape, decimals=3):
    return np.round(rng.uniform(-2, 2, shape), decimals)


def spd(n, batch=()):
    a = r(*batch, n, n)
    return np.round(a @ np.swapaxes(a, -1, -2) + n * np.eye(n), 6)


def sym(n):
    a = r(n, n)
    return np.round((a + a.T) / 2, 6)


def enc(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "values": [float(x) for x in a.ravel()]}


cases = []


def case(name, op, inputs, outputs, **params):
    cases.append({"name": name, "op": op, "inputs": [enc(x) for x in inputs],
                  "outputs": [enc(y) for y in outputs], "params": params})


# inv, det, slogdet
a3 = r(3, 3) + 2 * np.eye(3)
ab = r(2, 4, 3, 3) + 2 * np.eye(3)
case("inv 3x3", "inv", [a3], [np.linalg.inv(a3)])
case("inv batch", "inv", [ab], [np.linalg.inv(ab)])
case("inv 1x1", "inv", [np.array([[4.0]])], [np.array([[0.25]])])
case("det 3x3", "det", [a3], [np.linalg.det(a3)])
case("det batch", "det", [ab], [np.linalg.det(ab)])
neg = np.array([[0.0, 2.0, 1.0], [1.0, 0.5, -1.0], [3.0, 1.0, 2.0]])
case("det negative", "det", [neg], [np.linalg.det(neg)])
sing = np.array([[1.0, 2.0], [2.0, 4.0]])
case("det singular", "det", [sing], [np.array(0.0)])
case("det empty", "det", [np.zeros((0, 0))], [np.array(1.0)])
for name, m in [("slogdet 3x3", a3), ("slogdet negative", neg), ("slogdet batch", ab)]:
    s, l = np.linalg.slogdet(m)
    case(name, "slogdet", [m], [s, l])
big = np.diag(np.full(6, 1e60))
s, l = np.linalg.slogdet(big)
case("slogdet huge", "slogdet", [big], [s, l])

# solve
b3 = r(3)
b32 = r(3, 2)
case("solve vector", "solve", [a3, b3], [np.linalg.solve(a3, b3)], assume="general")
case("solve matrix", "solve", [a3, b32], [np.linalg.solve(a3, b32)], assume="general")
bb = r(4, 3, 2)
case("solve broadcast", "solve", [ab, bb], [np.linalg.solve(ab, bb)], assume="general")
s4 = sym(4)
b4 = r(4, 2)
case("solve symmetric", "solve", [s4, b4], [sl.solve(s4, b4, assume_a="sym", lower=True)], assume="symmetric")
p4 = spd(4)
case("solve positive definite", "solve", [p4, b4], [sl.solve(p4, b4, assume_a="pos", lower=True)], assume="positiveDefinite")
# Symmetric and positive-definite solves read the lower triangle only.
s4messy = np.tril(s4) + np.triu(r(4, 4), 1)
case("solve symmetric reads lower", "solve", [s4messy, b4], [sl.solve(s4messy, b4, assume_a="sym", lower=True)], assume="symmetric")
p4messy = np.tril(p4) + np.triu(r(4, 4), 1)
case("solve positive definite reads lower", "solve", [p4messy, b4], [sl.solve(p4messy, b4, assume_a="pos", lower=True)], assume="positiveDefinite")
case("solve symmetric reads upper", "solve", [s4messy.T.copy(), b4], [sl.solve(s4messy.T, b4, assume_a="sym", lower=False)], assume="symmetric", lower=False)
case("solve positive definite reads upper", "solve", [p4messy.T.copy(), b4], [sl.solve(p4messy.T, b4, assume_a="pos", lower=False)], assume="positiveDefinite", lower=False)
pb = spd(3, (2,))
case("solve positive definite batch vector", "solve", [pb, b3], [np.linalg.solve(pb, b3)], assume="positiveDefinite")

# triangular solves, Cholesky, cho_solve
lo = np.tril(r(4, 4)) + 3 * np.eye(4)
up = np.triu(r(4, 4)) + 3 * np.eye(4)
case("solveTriangular lower", "solveTriangular", [lo, b4], [sl.solve_triangular(lo, b4, lower=True)], lower=True)
case("solveTriangular upper vector", "solveTriangular", [up, b4[:, 0]], [sl.solve_triangular(up, b4[:, 0], lower=False)], lower=False)
# The op reads one triangle only: garbage in the other one must not matter.
messy = lo + np.triu(r(4, 4), 1)
case("solveTriangular reads one triangle", "solveTriangular", [messy, b4], [sl.solve_triangular(messy, b4, lower=True)], lower=True)
case("solveTriangular unit diagonal", "solveTriangular", [messy, b4], [sl.solve_triangular(messy, b4, lower=True, unit_diagonal=True)], lower=True, unit=True)
case("cholesky lower", "cholesky", [p4], [np.linalg.cholesky(p4)], lower=True)
case("cholesky upper", "cholesky", [p4], [sl.cholesky(p4, lower=False)], lower=False)
case("cholesky batch", "cholesky", [spd(3, (2, 2))], [np.linalg.cholesky(spd(3, (2, 2)))], lower=True)
pbb = spd(3, (2, 2))
cases[-1] = {"name": "cholesky batch", "op": "cholesky", "inputs": [enc(pbb)], "outputs": [enc(np.linalg.cholesky(pbb))], "params": {"lower": True}}
L = np.linalg.cholesky(p4)
case("choSolve lower", "choSolve", [L, b4], [sl.cho_solve((L, True), b4)], lower=True)
U = L.T.copy()
case("choSolve upper vector", "choSolve", [U, b4[:, 1]], [sl.cho_solve((U, False), b4[:, 1])], lower=False)

# eigh, eigvalsh (distinct eigenvalues)
w, v = np.linalg.eigh(s4)
case("eigh 4x4", "eigh", [s4], [w, v], lower=True)
sb = np.stack([sym(3), sym(3)])
w, v = np.linalg.eigh(sb)
case("eigh batch", "eigh", [sb], [w, v], lower=True)
mixed = np.tril(s4) + np.triu(r(4, 4), 1)
case("eigvalsh reads lower", "eigvalsh", [mixed], [np.linalg.eigvalsh(mixed, UPLO="L")], lower=True)
case("eigvalsh reads upper", "eigvalsh", [mixed], [np.linalg.eigvalsh(mixed, UPLO="U")], lower=False)

# trace, kron, matrix power
case("trace batch", "trace", [ab], [np.trace(ab, axis1=-2, axis2=-1)])
rect = r(2, 3, 5)
for off in [0, 2, -1, 4, -3, 7]:
    case("trace rectangular offset %d" % off, "trace", [rect], [np.linalg.trace(rect, offset=off)], n=off)
k1, k2 = r(2, 3), r(3, 2)
case("kron matrices", "kron", [k1, k2], [np.kron(k1, k2)])
k3 = r(3)
case("kron vector and matrix", "kron", [k3, k1], [np.kron(k3, k1)])
for n in [0, 1, 3, 5, -2]:
    case("matrixPower %d" % n, "matrixPower", [a3], [np.linalg.matrix_power(a3, n)], n=n)

# svd (sign-normalised), pinv, lstsq, qr
m43 = r(4, 3)
u, s, vt = np.linalg.svd(m43, full_matrices=False)
case("svd reduced", "svd", [m43], [u, s, vt], mode="reduced")
u, s, vt = np.linalg.svd(m43, full_matrices=True)
case("svd full", "svd", [m43], [u, s, vt], mode="full")
m34 = m43.T.copy()
case("svd values", "svd", [m34], [np.linalg.svd(m34, compute_uv=False)], mode="values")
mb = r(2, 3, 2)
case("svd values batch", "svd", [mb], [np.linalg.svd(mb, compute_uv=False)], mode="values")
case("pinv tall", "pinv", [m43], [np.linalg.pinv(m43)])
case("pinv wide batch", "pinv", [r(2, 2, 3)], [np.zeros(1)])
cases[-1]["outputs"] = [enc(np.linalg.pinv(np.array(cases[-1]["inputs"][0]["values"]).reshape(2, 2, 3)))]
rank_def = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
case("pinv rank deficient", "pinv", [rank_def], [np.linalg.pinv(rank_def)])
b43 = r(4, 2)
case("lstsq", "lstsq", [m43, b43], [np.linalg.lstsq(m43, b43, rcond=None)[0]])
case("lstsq vector", "lstsq", [m43, b43[:, 0]], [np.linalg.lstsq(m43, b43[:, 0], rcond=None)[0]])
q, rr = np.linalg.qr(m43, mode="reduced")
case("qr reduced", "qr", [m43], [q, rr], mode="reduced")
q, rr = np.linalg.qr(m43, mode="complete")
case("qr complete", "qr", [m43], [q, rr], mode="complete")
case("qr r", "qr", [m34], [np.linalg.qr(m34, mode="r")], mode="r")

# norms
x = r(5)
for o in [2, 1, 3, np.inf, -np.inf, 0]:
    case("vector norm %s" % o, "vectorNorm", [x], [np.linalg.vector_norm(x, ord=o)], ord=str(float(o)))
xb = r(2, 4)
case("vector norm axis", "vectorNorm", [xb], [np.linalg.vector_norm(xb, axis=1)], ord="2.0", axis=1)
for o in ["fro", "nuc", 1, -1, 2, -2, "inf", "-inf"]:
    npo = {"inf": np.inf, "-inf": -np.inf}.get(o, o)
    case("matrix norm %s" % o, "matrixNorm", [m43], [np.linalg.matrix_norm(m43, ord=npo)], ord=str(o))
case("matrix norm batch", "matrixNorm", [ab], [np.linalg.matrix_norm(ab)], ord="fro")

# norm with NumPy's dispatch (ord as a string: "none", "fro", "nuc" or a number)
t3 = r(2, 3, 4)
for o, ax in [(None, None), (None, (1, 2)), ("fro", (0, 2)), ("nuc", (2, 1)), (1, (1, 2)), (np.inf, (0, 1)), (3, (1,)), (-np.inf, (2,))]:
    case("norm %s %s" % (o, ax), "norm", [t3], [np.linalg.norm(t3, ord=o, axis=ax)], ord="none" if o is None else str(o), axes=list(ax) if ax else None)
case("norm matrix default", "norm", [m43], [np.linalg.norm(m43, ord=2)], ord="2")
case("norm keepdims", "norm", [t3], [np.linalg.norm(t3, ord="fro", axis=(0, 2), keepdims=True)], ord="fro", axes=[0, 2], keepdims=True)

# expm
e3 = r(3, 3) / 2
case("expm 3x3", "expm", [e3], [sl.expm(e3)])
e5 = r(5, 5) * 3
case("expm large norm", "expm", [e5], [sl.expm(e5)])
case("expm batch", "expm", [np.stack([e3, -e3])], [sl.expm(np.stack([e3, -e3]))])
case("expm zero", "expm", [np.zeros((2, 2))], [np.eye(2)])

# lu_factor / lu_solve (pivots 0-based as SciPy's)
lu, piv = sl.lu_factor(a3)
case("luFactor", "luFactor", [a3], [lu, piv.astype(np.float64)])
pp, ll, uu = sl.lu(a3)
case("lu", "lu", [a3], [pp, ll, uu])
case("lu batch", "lu", [ab], [np.zeros(1)])
cases[-1]["outputs"] = [enc(np.stack([np.stack([f(m) for m in row]) for row in ab])) for f in (lambda m: sl.lu(m)[0], lambda m: sl.lu(m)[1], lambda m: sl.lu(m)[2])]
case("luSolve", "luSolve", [a3, b32], [sl.lu_solve((lu, piv), b32)])
case("luSolve transposed", "luSolve", [a3, b32], [sl.lu_solve((lu, piv), b32, trans=1)], trans=True)

text = json.dumps({"cases": cases}, separators=(",", ":"), allow_nan=False)
print("// Generated by generate_linalg_fixtures.py (NumPy %s, SciPy %s); do not edit." % (np.__version__, __import__("scipy").__version__))
print("// Inputs and expected results of the linear-algebra ops; see LinalgFixtureTests.swift.")
print()
print('let linalgFixtureJSON = #"""')
print(text)
print('"""#')
