"""How fast is cnnlab's convolution? Ratios against references measured in the same run.

    python benchmarks/conv_speed.py            # all sections
    python benchmarks/conv_speed.py --quick    # fewer repeats

Prints, for course-sized inputs in float32:
1. conv2d forward: cnnlab vs PyTorch's torch.nn.functional.conv2d (when torch is installed,
   with the same number of threads) and vs scipy.signal.correlate2d looped over channels/filters;
2. Conv2D forward + backward: cnnlab vs PyTorch autograd;
3. the loop reference (cnnlab.reference.correlate2d) vs the fast path on a 64 x 64 image.

Targets (issue 3): forward within 2x of PyTorch, forward+backward within 3x, the loop reference
at least 100x slower than the fast path. Times are medians of repeated runs after a warm-up.
"""

import argparse
import os
import platform
import statistics
import time

import numpy as np
from scipy import signal

import cnnlab as cl
from cnnlab import reference

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # PyTorch is optional: only the ratios against it are skipped
    torch = None

CONFIGS = [  # (name, x shape, w shape, padding)
    ("64x1x28x28, 8 5x5", (64, 1, 28, 28), (8, 1, 5, 5), 0),
    ("64x8x14x14, 16 3x3", (64, 8, 14, 14), (16, 8, 3, 3), 1),
    ("32x3x32x32, 32 3x3", (32, 3, 32, 32), (32, 3, 3, 3), 1),
    ("512x512 photo, 3x3", (1, 1, 512, 512), (1, 1, 3, 3), 1),
]


def median_time(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scipy_conv(x, w, padding):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    return np.array([[sum(signal.correlate2d(xp[n, c], w[f, c], mode="valid")
                          for c in range(x.shape[1])) for f in range(w.shape[0])]
                     for n in range(x.shape[0])])


def forward_section(repeats):
    print("\n1. conv2d forward (float32), median ms; ratio = time / PyTorch time")
    print(f"{'input':<22}{'cnnlab':>9}{'torch':>9}{'scipy':>9}{'cnnlab/torch':>14}{'scipy/cnnlab':>14}")
    rng = np.random.default_rng(0)
    for name, xs, ws, pad in CONFIGS:
        x = rng.normal(size=xs).astype(np.float32)
        w = rng.normal(size=ws).astype(np.float32)
        ours = median_time(lambda: cl.conv2d(x, w, padding=pad), repeats)
        sc = median_time(lambda: scipy_conv(x, w, pad), max(3, repeats // 10), warmup=1)
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            with torch.no_grad():
                theirs = median_time(lambda: F.conv2d(tx, tw, padding=pad), repeats)
            check = F.conv2d(tx, tw, padding=pad).numpy()
            assert np.allclose(cl.conv2d(x, w, padding=pad), check, atol=1e-3), "results differ"
            print(f"{name:<22}{ours * 1e3:9.2f}{theirs * 1e3:9.2f}{sc * 1e3:9.1f}"
                  f"{ours / theirs:14.2f}{sc / ours:14.1f}")
        else:
            print(f"{name:<22}{ours * 1e3:9.2f}{'-':>9}{sc * 1e3:9.1f}{'-':>14}{sc / ours:14.1f}")


def backward_section(repeats):
    print("\n2. Conv2D forward + backward (float32), median ms")
    print(f"{'input':<22}{'cnnlab':>9}{'torch':>9}{'cnnlab/torch':>14}")
    rng = np.random.default_rng(1)
    for name, xs, ws, pad in CONFIGS:
        x = rng.normal(size=xs).astype(np.float32)
        layer = cl.Conv2D(ws[1], ws[0], ws[2:], padding=pad, rng=rng, dtype=np.float32)
        out_shape = layer.forward(x).shape
        g = rng.normal(size=out_shape).astype(np.float32)

        def ours_step():
            layer.forward(x)
            layer.backward(g)

        ours = median_time(ours_step, repeats)
        if torch is None:
            print(f"{name:<22}{ours * 1e3:9.2f}{'-':>9}{'-':>14}")
            continue
        tx = torch.from_numpy(x).requires_grad_(True)
        tw = torch.from_numpy(layer.params["W"].copy()).requires_grad_(True)
        tb = torch.from_numpy(layer.params["b"].copy()).requires_grad_(True)
        tg = torch.from_numpy(g)

        def torch_step():
            tx.grad = tw.grad = tb.grad = None
            F.conv2d(tx, tw, tb, padding=pad).backward(tg)

        theirs = median_time(torch_step, repeats)
        torch_step()
        assert np.allclose(layer.grads["W"], tw.grad.numpy(), rtol=1e-3, atol=1e-2), "dW differs"
        print(f"{name:<22}{ours * 1e3:9.2f}{theirs * 1e3:9.2f}{ours / theirs:14.2f}")


def reference_section():
    print("\n3. loop reference vs fast path, one 64x64 image and a 3x3 kernel")
    rng = np.random.default_rng(2)
    image, kernel = rng.normal(size=(64, 64)), rng.normal(size=(3, 3))
    slow = median_time(lambda: reference.correlate2d(image, kernel), 3, warmup=1)
    fast = median_time(lambda: cl.correlate2d(image, kernel), 200)
    print(f"reference {slow * 1e3:.1f} ms, fast {fast * 1e3:.3f} ms: the loops are "
          f"{slow / fast:,.0f}x slower")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 10 if args.quick else 50
    threads = os.cpu_count()
    print(f"cnnlab conv benchmark: {platform.machine()}, {threads} cores, numpy {np.__version__}",
          end="")
    if torch is not None:
        torch.set_num_threads(threads)
        print(f", torch {torch.__version__} ({torch.get_num_threads()} threads)")
    else:
        print(" (PyTorch not installed: its columns are skipped)")
    forward_section(repeats)
    backward_section(repeats)
    reference_section()


if __name__ == "__main__":
    main()
