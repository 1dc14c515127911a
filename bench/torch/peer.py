"""PyTorch peer of `pnpm bench --torch`: the same workloads as bench/src, one thread.

Prints one JSON object: matmul GFLOP/s (256², 1024²) and ms per training step
of W2 and W3 (LSTM batch-first -> Linear on the last hidden state -> mean
cross-entropy -> backward -> clip_grad_norm_(1) -> Adam 1e-3, fixed batch),
each the median of several timed rounds after warm-up. Used only by the
benchmark, never by tests.
"""
import json
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
torch.manual_seed(0)


def median_ms(fn, min_s=1.5, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < min_s:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def matmul(n):
    a, b = torch.randn(n, n), torch.randn(n, n)
    ms = median_ms(lambda: torch.mm(a, b))
    return 2 * n**3 / ms / 1e6


def step_ms(I, H, S, B):
    lstm = torch.nn.LSTM(I, H, batch_first=True)
    head = torch.nn.Linear(H, 10)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.randn(B, S, I)
    y = torch.randint(0, 10, (B,))

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        loss = torch.nn.functional.cross_entropy(head(out[:, -1]), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    return median_ms(step, min_s=3)


def blas():
    """Which BLAS the process really loaded (Debian's torch links the generic libblas.so.3 alternative)."""
    torch.mm(torch.randn(8, 8), torch.randn(8, 8))
    try:
        maps = open("/proc/self/maps").read().lower()
    except OSError:
        return "unknown"
    return "openblas" if "openblas" in maps else "blis" if "blis" in maps else "reference-blas" if "libblas" in maps else "unknown"


print(json.dumps({
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "blas": blas(),
    "matmul256": matmul(256),
    "matmul1024": matmul(1024),
    "W2": step_ms(28, 128, 28, 64),
    "W3": step_ms(28, 64, 200, 16),
}))
