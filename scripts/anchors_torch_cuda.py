"""PyTorch CUDA timings of the workloads `scripts/gpu-check.sh` runs on the device (issue 14):
the same definitions as ../shared/bench/anchors_torch.py (elemwise, reduce, mlp, lenet), on
`cuda:0`, each timed call ending with `torch.cuda.synchronize()`, plus the bandwidth of a
device-to-device copy of the elemwise workload's size (the goal's reference: a fused
elementwise kernel at 80% or more of it). Prints one JSON object."""
import sys, time, json
import torch
torch.manual_seed(0)
dev = torch.device("cuda:0")
def best(f, reps=20, warm=3):
    for _ in range(warm): f()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
    ts.sort(); return ts[len(ts)//2]
which = sys.argv[1:] or ["elemwise", "reduce", "mlp", "lenet"]
R = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
N = 10_000_000
x = torch.randn(N, device=dev); y = torch.randn(N, device=dev)
if "elemwise" in which:
    f = lambda a, b: torch.exp(-a*a)*torch.sin(b) + torch.tanh(a*b)
    R["elemwise_eager"] = best(lambda: f(x, y))
    out = torch.empty_like(x)
    t = best(lambda: out.copy_(x), reps=50)
    R["copy_1e7_f32_s"] = t
    R["copy_GB_per_s"] = 2 * 4 * N / t / 1e9
if "reduce" in which:
    f = lambda a, b: torch.sum((a - b)**2)
    R["sumsq_eager"] = best(lambda: f(x, y))
if "mlp" in which:
    B = 128
    Xb = torch.randn(B, 784, device=dev); yb = torch.randint(0, 10, (B,), device=dev)
    ps = [torch.randn(784, 512, device=dev)*0.05, torch.randn(512, 512, device=dev)*0.05, torch.randn(512, 10, device=dev)*0.05,
          torch.zeros(512, device=dev), torch.zeros(512, device=dev), torch.zeros(10, device=dev)]
    for p in ps: p.requires_grad_(True)
    def step():
        W1, W2, W3, b1, b2, b3 = ps
        h = torch.relu(Xb @ W1 + b1); h = torch.relu(h @ W2 + b2)
        loss = torch.nn.functional.cross_entropy(h @ W3 + b3, yb)
        gs = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, g in zip(ps, gs): p.sub_(0.01 * g)
        return loss
    R["mlp_eager"] = best(step, reps=30)
if "lenet" in which:
    B = 64
    Xb = torch.randn(B, 1, 28, 28, device=dev); yb = torch.randint(0, 10, (B,), device=dev)
    C1 = (torch.randn(20, 1, 5, 5, device=dev)*0.1).requires_grad_(); C2 = (torch.randn(50, 20, 5, 5, device=dev)*0.05).requires_grad_()
    F1 = (torch.randn(800, 500, device=dev)*0.03).requires_grad_(); F2 = (torch.randn(500, 10, device=dev)*0.05).requires_grad_()
    ps = [C1, C2, F1, F2]
    F = torch.nn.functional
    def step():
        h = F.max_pool2d(torch.relu(F.conv2d(Xb, C1)), 2)
        h = F.max_pool2d(torch.relu(F.conv2d(h, C2)), 2)
        h = torch.relu(h.flatten(1) @ F1)
        loss = F.cross_entropy(h @ F2, yb)
        gs = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, g in zip(ps, gs): p.sub_(0.01*g)
    R["lenet_eager"] = best(step, reps=20)
print(json.dumps(R, indent=1))
