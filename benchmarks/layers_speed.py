"""The layers added for lessons 11-13 against PyTorch CPU: forward, and forward + backward.

    python benchmarks/layers_speed.py            # 1 thread, then 2 threads
    python benchmarks/layers_speed.py --quick    # fewer repeats

Course-sized float32 batches. For each layer cnnlab and PyTorch run alternately (interleaved,
so a change of machine load hits both), each timing a few calls, and the median of many timings
is kept. Threads are limited with threadpoolctl (NumPy's BLAS) and torch.set_num_threads.
ratio = cnnlab time / PyTorch time; target (issue 11): within 2x at one thread. Every pair is
checked to compute the same numbers before it is timed.
"""

import argparse
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

import cnnlab as cl


def _t(a, grad=False):
    return torch.from_numpy(np.ascontiguousarray(a)).requires_grad_(grad)


def _copy_conv(theirs, ours):
    with torch.no_grad():
        theirs.weight.copy_(_t(ours.params["W"]))
        if "b" in ours.params:
            theirs.bias.copy_(_t(ours.params["b"]))


def cases(rng):
    """(name, our layer, torch module, input shape); parameters copied from ours to theirs."""
    f32 = np.float32
    out = []
    out.append(("BatchNorm2D 64x16x14x14", cl.BatchNorm2D(16, dtype=f32),
                torch.nn.BatchNorm2d(16), (64, 16, 14, 14)))
    out.append(("BatchNorm1D 64x120", cl.BatchNorm1D(120, dtype=f32),
                torch.nn.BatchNorm1d(120), (64, 120)))
    out.append(("Dropout 64x16x14x14", cl.Dropout(0.5, rng=0), torch.nn.Dropout(0.5),
                (64, 16, 14, 14)))
    out.append(("GlobalAvgPool2D 64x32x7x7", cl.GlobalAvgPool2D(),
                torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()), (64, 32, 7, 7)))
    grouped = cl.Conv2D(32, 32, 3, padding=1, groups=4, rng=rng, dtype=f32)
    tg = torch.nn.Conv2d(32, 32, 3, padding=1, groups=4)
    _copy_conv(tg, grouped)
    out.append(("Conv2D groups=4 32x32x16x16", grouped, tg, (32, 32, 16, 16)))
    depthwise = cl.Conv2D(32, 32, 3, padding=1, groups=32, rng=rng, dtype=f32)
    td = torch.nn.Conv2d(32, 32, 3, padding=1, groups=32)
    _copy_conv(td, depthwise)
    out.append(("Conv2D depthwise 32x32x16x16", depthwise, td, (32, 32, 16, 16)))
    # a basic ResNet block: conv-BN-ReLU-conv-BN plus the identity, 16 channels
    block = cl.Residual(cl.Sequential(
        cl.Conv2D(16, 16, 3, padding=1, bias=False, rng=rng, dtype=f32), cl.BatchNorm2D(16, dtype=f32),
        cl.ReLU(), cl.Conv2D(16, 16, 3, padding=1, bias=False, rng=rng, dtype=f32),
        cl.BatchNorm2D(16, dtype=f32)))
    body = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 3, padding=1, bias=False), torch.nn.BatchNorm2d(16),
                               torch.nn.ReLU(), torch.nn.Conv2d(16, 16, 3, padding=1, bias=False),
                               torch.nn.BatchNorm2d(16))
    _copy_conv(body[0], block.body[0])
    _copy_conv(body[3], block.body[3])

    class TorchResidual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = body

        def forward(self, x):
            return self.body(x) + x

    out.append(("Residual block 32x16x14x14", block, TorchResidual(), (32, 16, 14, 14)))
    return out


def timed(fn, inner):
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def compare(ours_fn, theirs_fn, repeats, inner):
    """(median ours, median theirs, min ours / min theirs) of interleaved timings."""
    for _ in range(2):  # warm-up
        ours_fn(), theirs_fn()
    a, b = [], []
    for _ in range(repeats):
        a.append(timed(ours_fn, inner))
        b.append(timed(theirs_fn, inner))
    return statistics.median(a), statistics.median(b), min(a) / min(b)


def run(threads, repeats):
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    rows = []
    with threadpool_limits(threads):
        for name, ours, theirs, shape in cases(rng):
            x = rng.normal(size=shape).astype(np.float32)
            tx = _t(x, True)
            out = ours.forward(x)
            g = rng.normal(size=out.shape).astype(np.float32)
            tg = _t(g)
            if not isinstance(ours, cl.Dropout):  # same numbers before timing
                assert np.allclose(out, theirs(tx).detach().numpy(), rtol=1e-3, atol=1e-4), name
            inner = 3

            def fwd():
                ours.forward(x)

            def tfwd():
                with torch.no_grad():
                    theirs(tx)

            def both():
                ours.forward(x)
                ours.backward(g)

            def tboth():
                tx.grad = None
                theirs.zero_grad(set_to_none=True)
                theirs(tx).backward(tg)

            f = compare(fwd, tfwd, repeats, inner)
            fb = compare(both, tboth, repeats, inner)
            rows.append((name, f, fb))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 7 if args.quick else 31
    results = {t: run(t, repeats) for t in (1, 2)}
    print(f"median ms over {repeats} interleaved timings (3 calls each), float32; ratio = cnnlab / "
          f"PyTorch {torch.__version__} (of the medians; 'min' = of the fastest timings, the "
          f"least disturbed by other load)")
    print(f"{'':<30}{'------------------- 1 thread -------------------':>52}{'  2 threads':>14}")
    print(f"{'layer':<30}{'fwd ours':>9}{'torch':>8}{'ratio':>6}{'min':>6}{'f+b ours':>9}{'torch':>8}"
          f"{'ratio':>6}{'min':>6}{'fwd':>7}{'f+b':>7}")
    worst = 0.0
    for (name, f1, fb1), (_, f2, fb2) in zip(results[1], results[2]):
        worst = max(worst, f1[0] / f1[1], fb1[0] / fb1[1])
        print(f"{name:<30}{f1[0] * 1e3:9.3f}{f1[1] * 1e3:8.3f}{f1[0] / f1[1]:6.2f}{f1[2]:6.2f}"
              f"{fb1[0] * 1e3:9.3f}{fb1[1] * 1e3:8.3f}{fb1[0] / fb1[1]:6.2f}{fb1[2]:6.2f}"
              f"{f2[0] / f2[1]:7.2f}{fb2[0] / fb2[1]:7.2f}")
    print(f"largest ratio of medians at 1 thread: {worst:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
