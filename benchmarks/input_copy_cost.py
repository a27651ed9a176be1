"""What keeping their own copy of the input costs the layers: time per training step, before and after.

    python benchmarks/input_copy_cost.py            # 1 thread, then 2 threads
    python benchmarks/input_copy_cost.py --quick    # fewer repeats

Since issue 27 a layer's backward pass no longer reads the caller's input array: Conv2D, Linear
and the poolings keep a copy of it (`Layer._keep`), ReLU keeps its boolean mask, so a learner
who changes ``x`` in place between forward and backward still gets the right gradients. This
script measures what that costs on course models, one training step at a time (forward, loss,
backward, optimiser step, as in `fit`):

- "before": the layers as they were, keeping a reference to the input (`Layer._keep` returning
  the input itself, and ReLU's former forward and backward, which kept ``x`` and called
  `relu_backward`), put back by this script for the measurement only;
- "after": the library as it is.

The two run alternately (interleaved, so a change of machine load hits both), a few steps per
timing, and the median of many timings is kept. Threads are limited with threadpoolctl (NumPy's
BLAS). ratio = after / before over adjacent timings; on a busy machine it moves by several per
cent either way, so the time spent inside the copies is also measured directly, as a share of
the step. Target: below 5 % (of an epoch, whose time is almost all training steps).
"""

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

import cnnlab as cl
from cnnlab import _layer
from cnnlab.activations import relu, relu_backward
from cnnlab.train import SGD, Adam, SoftmaxCrossEntropy


def small_cnn(dtype):
    """Notebook 09's model on the 8 x 8 digits."""
    rng = np.random.default_rng(1)
    return cl.Sequential(
        cl.Conv2D(1, 16, 3, padding=1, rng=rng, dtype=dtype), cl.ReLU(), cl.MaxPool2D(2),
        cl.Conv2D(16, 32, 3, padding=1, rng=rng, dtype=dtype), cl.ReLU(), cl.MaxPool2D(2),
        cl.Flatten(), cl.Linear(32 * 2 * 2, 10, rng=rng, dtype=dtype))


def lenet5(dtype):
    """LeNet-5 on 28 x 28 (notebook 09, benchmarks/train_digits.py --lenet)."""
    rng = np.random.default_rng(0)
    return cl.Sequential(
        cl.Conv2D(1, 6, 5, padding=2, rng=rng, dtype=dtype), cl.ReLU(), cl.AvgPool2D(2),
        cl.Conv2D(6, 16, 5, rng=rng, dtype=dtype), cl.ReLU(), cl.AvgPool2D(2),
        cl.Flatten(),
        cl.Linear(16 * 5 * 5, 120, rng=rng, dtype=dtype), cl.ReLU(),
        cl.Linear(120, 84, rng=rng, dtype=dtype), cl.ReLU(),
        cl.Linear(84, 10, rng=rng, dtype=dtype))


def small_resnet(dtype):
    """Lesson 13's building blocks: conv, batch norm, a residual block, max pool, global pool."""
    rng = np.random.default_rng(2)

    def conv(c_in, c_out):
        return cl.Conv2D(c_in, c_out, 3, padding=1, bias=False, rng=rng, dtype=dtype)

    return cl.Sequential(
        conv(1, 16), cl.BatchNorm2D(16, dtype=dtype), cl.ReLU(),
        cl.Residual(cl.Sequential(conv(16, 16), cl.BatchNorm2D(16, dtype=dtype), cl.ReLU(),
                                  conv(16, 16), cl.BatchNorm2D(16, dtype=dtype))),
        cl.ReLU(), cl.MaxPool2D(2),
        conv(16, 32), cl.BatchNorm2D(32, dtype=dtype), cl.ReLU(),
        cl.GlobalAvgPool2D(), cl.Linear(32, 10, rng=rng, dtype=dtype))


CASES = [  # name, model, sample shape, batch size, optimiser
    ("notebook 09 CNN, 8x8, float64, batch 32", small_cnn, np.float64, (1, 8, 8), 32, Adam),
    ("LeNet-5, 28x28, float32, batch 64", lenet5, np.float32, (1, 28, 28), 64, SGD),
    ("residual CNN + BN, 28x28, float32, batch 64", small_resnet, np.float32, (1, 28, 28), 64, Adam),
]


# --- "before": the layers keeping the caller's array --------------------------------------------

def _by_reference(self, given, x):
    return x


def _old_relu_forward(self, x):
    from cnnlab import _validation as v
    x = v.as_float_array(self.name, "x", x)
    self._cache = x
    return relu(x)


def _old_relu_backward(self, dout):
    x = self._cached()
    return relu_backward(self._dout(dout, x.shape), x)


_AFTER = {"keep": _layer.Layer._keep, "relu": (cl.ReLU.forward, cl.ReLU.backward)}


def use(version):
    """Switch every layer class to "before" or "after" (the library as it is)."""
    if version == "before":
        _layer.Layer._keep = _by_reference
        cl.ReLU.forward, cl.ReLU.backward = _old_relu_forward, _old_relu_backward
    else:
        _layer.Layer._keep = _AFTER["keep"]
        cl.ReLU.forward, cl.ReLU.backward = _AFTER["relu"]


# --- timing ----------------------------------------------------------------------------------------

def make_step(build, dtype, shape, batch, optimizer):
    rng = np.random.default_rng(0)
    model = build(dtype)
    opt = optimizer(model, lr=1e-3)
    loss = SoftmaxCrossEntropy()
    X = rng.random((8 * batch,) + shape).astype(dtype)
    y = rng.integers(0, 10, len(X))
    batches = [(X[i:i + batch], y[i:i + batch]) for i in range(0, len(X), batch)]
    state = {"i": 0}

    def step():
        xb, yb = batches[state["i"] % len(batches)]
        state["i"] += 1
        loss.forward(model.forward(xb[np.arange(len(xb))]), yb)   # a fresh batch, as fit's X[idx]
        model.backward(loss.backward())
        opt.step()

    return step


def timed(step, inner):
    start = time.perf_counter()
    for _ in range(inner):
        step()
    return (time.perf_counter() - start) / inner


def compare(case, repeats, inner):
    """(name, before, after, paired ratio, share of the step spent copying inputs)."""
    name, build, dtype, shape, batch, optimizer = case
    steps = {}
    for version in ("before", "after"):
        use(version)
        steps[version] = make_step(build, dtype, shape, batch, optimizer)
        timed(steps[version], 3)  # warm-up: workspaces, caches
    times = {"before": [], "after": []}
    for r in range(repeats):
        order = ("before", "after") if r % 2 == 0 else ("after", "before")
        for version in order:
            use(version)
            times[version].append(timed(steps[version], inner))
    # the copies alone, timed inside the same steps: a figure that machine load hardly moves
    spent = [0.0]

    def keep_timed(self, given, x):
        start = time.perf_counter()
        out = _AFTER["keep"](self, given, x)
        spent[0] += time.perf_counter() - start
        return out

    use("after")
    _layer.Layer._keep = keep_timed
    whole = timed(steps["after"], repeats * inner)
    use("after")
    before, after = (statistics.median(times[v]) for v in ("before", "after"))
    ratio = statistics.median(a / b for a, b in zip(times["after"], times["before"]))
    return name, before, after, ratio, spent[0] / (repeats * inner) / whole


def check_same_numbers():
    """Before and after compute the same gradients (the copy changes no number)."""
    grads = {}
    x = np.random.default_rng(3).random((4, 1, 28, 28)).astype(np.float32)
    for version in ("before", "after"):
        use(version)
        model = small_resnet(np.float32)
        model.backward(np.ones_like(model.forward(x)))
        grads[version] = [g.copy() for _, g in model.parameters()]
    use("after")
    assert all(np.array_equal(a, b) for a, b in zip(grads["before"], grads["after"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats, inner = (7, 3) if args.quick else (15, 4)
    check_same_numbers()
    print("Time per training step (forward, loss, backward, step): median of "
          f"{repeats} interleaved timings of {inner} steps; ratio = median of after / before "
          "over adjacent timings; copies = share of the step spent in the layers' input copies")
    worst = {}
    for threads in (1, 2):
        with threadpool_limits(threads):
            print(f"\n{threads} thread{'s' if threads > 1 else ''}:")
            print(f"  {'model':<46} {'before':>9} {'after':>9} {'ratio':>6} {'copies':>7}")
            for case in CASES:
                name, before, after, ratio, share = compare(case, repeats, inner)
                worst[threads] = max(worst.get(threads, 0.0), share)
                print(f"  {name:<46} {before * 1e3:7.2f}ms {after * 1e3:7.2f}ms {ratio:6.3f} "
                      f"{100 * share:6.2f}%", flush=True)
    print(f"\nlargest share of a step spent copying inputs: {100 * worst[1]:.2f} % at 1 thread, "
          f"{100 * worst[2]:.2f} % at 2 (target: below 5 %)")


if __name__ == "__main__":
    main()
