"""Anchor timings for `theano bench linalg` (issue 15): one value-and-gradient step of
`sum(slogdet(A).logabsdet) + sum(solve(A, b))` for a batch of 256 float64 matrices of size 32
(and right-hand sides of shape [256, 32, 4]), with respect to A and b, in JAX (jit, XLA CPU) and
PyTensor (C backend). Same inputs as the Swift workload's construction (A = R + 32 I with R
standard normal). Usage: python scripts/anchors_linalg.py  (prints JSON, seconds, medians)."""
import json, time
import numpy as np

def median_time(f, reps=20, warm=3):
    for _ in range(warm): f()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2]

rng = np.random.default_rng(0)
B, N, K = 256, 32, 4
A = rng.standard_normal((B, N, N)) + N * np.eye(N)
b = rng.standard_normal((B, N, K))
results = {}

import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
def loss(a, bb):
    return jnp.linalg.slogdet(a)[1].sum() + jnp.linalg.solve(a, bb).sum()
step = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
ja, jb = jnp.asarray(A), jnp.asarray(b)
results["jax"] = median_time(lambda: jax.block_until_ready(step(ja, jb)))

import pytensor, pytensor.tensor as pt
from pytensor.tensor import linalg as ptl
a_ = pt.tensor3("A", dtype="float64"); b_ = pt.tensor3("b", dtype="float64")
sign, logdet = ptl.slogdet(a_)
cost = logdet.sum() + ptl.solve(a_, b_).sum()
ga, gb = pytensor.grad(cost, [a_, b_])
f = pytensor.function([a_, b_], [cost, ga, gb])
results["pytensor"] = median_time(lambda: f(A, b))

print(json.dumps({"linalg_slogdet_solve_B256_N32_s": results}, indent=1))
