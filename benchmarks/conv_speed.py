"""How fast is cnnlab's convolution, and how much memory does it take? Against PyTorch, same run.

    python benchmarks/conv_speed.py            # everything (about 5 minutes)
    python benchmarks/conv_speed.py --quick    # fewer repeats, no 224 x 224 batch

Prints, in float32, for each configuration of issue 13:
1. conv2d forward and Conv2D forward + backward: cnnlab and PyTorch (torch.nn.functional.conv2d,
   autograd) at one thread and at two, timed interleaved (cnnlab, PyTorch, cnnlab, ...) so that
   a change in the machine's load hits both; medians; ratio = cnnlab time / PyTorch time;
2. peak resident memory of a child process that runs one convolution of the 64 x 64 x 224 x 224
   batch, above the input and output it must hold (float32 and float64, and PyTorch);
3. one training epoch of the course's digits CNN (lesson 09) and of LeNet-5 on the 28 x 28
   digits: cnnlab's `fit` vs the same loop in PyTorch, at one thread;
4. the loop reference vs the fast path on a 64 x 64 image.

Targets (issue 13): forward <= 1.5x PyTorch, forward + backward <= 2x, at one thread; scratch
memory about 64 MiB at most beyond the arrays returned; a training epoch no slower than PyTorch.
Threads are limited with threadpoolctl (NumPy's BLAS) and torch.set_num_threads.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import cnnlab as cl
from cnnlab import reference

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit("This benchmark compares with PyTorch: install it first (make torch).")

CONFIGS = [  # (name, x shape, w shape, padding)
    ("64x1x28x28, 8 5x5 p2", (64, 1, 28, 28), (8, 1, 5, 5), 2),
    ("64x8x14x14, 16 3x3 p1", (64, 8, 14, 14), (16, 8, 3, 3), 1),
    ("32x3x32x32, 32 3x3 p1", (32, 3, 32, 32), (32, 3, 3, 3), 1),
    ("512x512 photo, 1 3x3", (1, 1, 512, 512), (1, 1, 3, 3), 1),
    ("512x512 RGB, 4 3x3 p1", (1, 3, 512, 512), (4, 3, 3, 3), 1),
]
BIG = ("64x64x224x224, 64 3x3", (64, 64, 224, 224), (64, 64, 3, 3), 1)


def interleaved(fns, repeats, warmup=2):
    """Median seconds of each function, run in turn so that load changes hit all of them."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for t, fn in zip(times, fns):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def set_threads(n):
    torch.set_num_threads(n)
    return threadpool_limits(n)


def speed_section(configs, repeats):
    print("\n1. Speed (float32), median ms; ratio = cnnlab / PyTorch (targets: forward <= 1.5, "
          "forward+backward <= 2)")
    head = f"{'input':<24}{'thr':>4}{'fwd ours':>10}{'torch':>9}{'ratio':>7}{'f+b ours':>10}{'torch':>9}{'ratio':>7}"
    print(head)
    rng = np.random.default_rng(0)
    for name, xs, ws, pad in configs:
        x = rng.normal(size=xs).astype(np.float32)
        layer = cl.Conv2D(ws[1], ws[0], ws[2:], padding=pad, rng=rng, dtype=np.float32)
        w, b = layer.params["W"], layer.params["b"]
        g = rng.normal(size=(xs[0], ws[0]) + layer.output_shape(xs[1:])[1:]).astype(np.float32)
        tx = torch.from_numpy(x).requires_grad_(True)
        tw = torch.from_numpy(w.copy()).requires_grad_(True)
        tb = torch.from_numpy(b.copy()).requires_grad_(True)
        tg = torch.from_numpy(g)
        with torch.no_grad():
            ref = F.conv2d(tx, tw, tb, padding=pad).numpy()
            assert np.abs(cl.conv2d(x, w, b, padding=pad) - ref).max() <= 1e-4 * np.abs(ref).max(), \
                "results differ"
            del ref

        def ours_fwd():
            cl.conv2d(x, w, b, padding=pad)

        def torch_fwd():
            with torch.no_grad():
                F.conv2d(tx, tw, tb, padding=pad)

        def ours_step():
            layer.forward(x)
            layer.backward(g)

        def torch_step():
            tx.grad = tw.grad = tb.grad = None
            F.conv2d(tx, tw, tb, padding=pad).backward(tg)

        big = x.size > 10**8
        if not big:  # the big batch is timed forward only
            torch_step()
            ours_step()
            dw_ref = tw.grad.numpy()
            assert np.abs(layer.grads["W"] - dw_ref).max() <= 1e-3 * np.abs(dw_ref).max(), "dW differs"
        for threads in (1, 2):
            with set_threads(threads):
                n = 3 if big else repeats
                of, tf = interleaved([ours_fwd, torch_fwd], n, warmup=1 if big else 2)
                if big:
                    print(f"{name:<24}{threads:>4}{of * 1e3:10.0f}{tf * 1e3:9.0f}{of / tf:7.2f}"
                          f"{'(forward only)':>26}")
                    continue
                ob, tb_ = interleaved([ours_step, torch_step], n)
            print(f"{name:<24}{threads:>4}{of * 1e3:10.2f}{tf * 1e3:9.2f}{of / tf:7.2f}"
                  f"{ob * 1e3:10.2f}{tb_ * 1e3:9.2f}{ob / tb_:7.2f}")


CHILD = r"""
import json, sys, numpy as np


def high_water_kib():
    # VmHWM: this process's peak resident memory since exec. (getrusage's ru_maxrss is not: it
    # starts from the parent's size at fork, which hides everything below it.)
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])


lib, dtype = sys.argv[1], np.dtype(sys.argv[2])
x = np.ones((64, 64, 224, 224), dtype)
w = np.full((64, 64, 3, 3), 0.01, dtype)
base = high_water_kib()
if lib == "cnnlab":
    import cnnlab as cl
    out = cl.conv2d(x, w, padding=1)
else:
    import torch
    torch.set_num_threads(1)
    with torch.no_grad():
        out = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
peak = high_water_kib()
print(json.dumps({"peak_kib": peak, "before_kib": base, "out_bytes": out.nbytes, "x_bytes": x.nbytes}))
"""


def memory_section():
    print("\n2. Memory: one convolution of 64x64x224x224 with 64 3x3 filters, padding 1, in a child "
          "process; peak resident memory above the input it was given and the output it returns")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    for lib, dtype in (("cnnlab", "float32"), ("cnnlab", "float64"), ("torch", "float32")):
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", CHILD, lib, dtype], capture_output=True,
                             text=True, env=env)
        seconds = time.perf_counter() - start
        if run.returncode:
            print(f"{lib:<8}{dtype:<9} failed: {run.stderr.strip().splitlines()[-1]}")
            continue
        r = json.loads(run.stdout)
        extra = r["peak_kib"] * 1024 - r["before_kib"] * 1024 - r["out_bytes"]
        print(f"{lib:<8}{dtype:<9} input {r['x_bytes'] / 2**30:.2f} GiB, output "
              f"{r['out_bytes'] / 2**30:.2f} GiB, extra {extra / 2**20:,.0f} MiB, {seconds:.1f} s "
              f"(whole child process)")


def _digits_cnn(rng):
    return cl.Sequential(
        cl.Conv2D(1, 16, 3, padding=1, rng=rng, dtype=np.float32), cl.ReLU(), cl.MaxPool2D(2),
        cl.Conv2D(16, 32, 3, padding=1, rng=rng, dtype=np.float32), cl.ReLU(), cl.MaxPool2D(2),
        cl.Flatten(), cl.Linear(32 * 2 * 2, 10, rng=rng, dtype=np.float32))


def _lenet5(rng):
    return cl.Sequential(
        cl.Conv2D(1, 6, 5, padding=2, rng=rng, dtype=np.float32), cl.ReLU(), cl.MaxPool2D(2),
        cl.Conv2D(6, 16, 5, rng=rng, dtype=np.float32), cl.ReLU(), cl.MaxPool2D(2), cl.Flatten(),
        cl.Linear(400, 120, rng=rng, dtype=np.float32), cl.ReLU(),
        cl.Linear(120, 84, rng=rng, dtype=np.float32), cl.ReLU(),
        cl.Linear(84, 10, rng=rng, dtype=np.float32))


def _to_torch(model):
    layers = []
    for layer in model.layers:
        if isinstance(layer, cl.Conv2D):
            t = torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                padding=layer.padding)
            t.weight.data = torch.from_numpy(layer.params["W"].copy())
            t.bias.data = torch.from_numpy(layer.params["b"].copy())
        elif isinstance(layer, cl.Linear):
            t = torch.nn.Linear(layer.in_features, layer.out_features)
            t.weight.data = torch.from_numpy(layer.params["W"].T.copy())
            t.bias.data = torch.from_numpy(layer.params["b"].copy())
        else:
            t = {"ReLU": torch.nn.ReLU(), "MaxPool2D": torch.nn.MaxPool2d(2),
                 "Flatten": torch.nn.Flatten()}[layer.name]
        layers.append(t)
    return torch.nn.Sequential(*layers)


def training_section(repeats):
    from cnnlab import data
    from cnnlab.train import Adam, fit

    print("\n3. One training epoch at one thread (Adam, batch 64, float32), median s")
    digits, labels = data.load_digits("train")
    mnist, mnist_labels = data.load_mnist("train")
    cases = [("digits CNN, 1,438 8x8", _digits_cnn, (digits / 16.0)[:, None].astype(np.float32), labels),
             ("LeNet-5, 4,000 28x28", _lenet5, (mnist / 255.0)[:, None].astype(np.float32), mnist_labels)]
    for name, build, X, y in cases:
        model = build(np.random.default_rng(0))
        tmodel = _to_torch(model)
        opt = Adam(model, lr=1e-3)
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)
        loss_fn = torch.nn.CrossEntropyLoss()

        def ours():
            fit(model, X, y, epochs=1, batch_size=64, optimizer=opt, rng=0, progress=False)

        def theirs():
            order = torch.randperm(len(tX))
            for i in range(0, len(tX), 64):
                idx = order[i:i + 64]
                topt.zero_grad()
                loss_fn(tmodel(tX[idx]), ty[idx]).backward()
                topt.step()

        with set_threads(1):
            o, t = interleaved([ours, theirs], repeats, warmup=1)
        print(f"{name:<24} cnnlab {o:6.2f}  PyTorch {t:6.2f}  ratio {o / t:5.2f}")


def reference_section():
    print("\n4. loop reference vs fast path, one 64x64 image and a 3x3 kernel")
    rng = np.random.default_rng(2)
    image, kernel = rng.normal(size=(64, 64)), rng.normal(size=(3, 3))
    slow, fast = interleaved([lambda: reference.correlate2d(image, kernel),
                              lambda: cl.correlate2d(image, kernel)], 3, warmup=1)
    print(f"reference {slow * 1e3:.1f} ms, fast {fast * 1e3:.3f} ms: the loops are "
          f"{slow / fast:,.0f}x slower")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 224 x 224 batch")
    args = parser.parse_args()
    blas = threadpool_info()[0] if threadpool_info() else {}
    print(f"cnnlab conv benchmark: {platform.machine()}, {os.cpu_count()} cores, numpy "
          f"{np.__version__} ({blas.get('internal_api', '?')} {blas.get('architecture', '')}), "
          f"torch {torch.__version__}; load average {os.getloadavg()[0]:.1f}")
    speed_section(CONFIGS + ([] if args.quick else [BIG]), 10 if args.quick else 40)
    if not args.quick:
        memory_section()
    training_section(2 if args.quick else 5)
    reference_section()


if __name__ == "__main__":
    main()
