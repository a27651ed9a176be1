"""How long each explorer control takes to recompute and redraw, measured inside a real kernel.

Usage::

    python benchmarks/widget_latency.py [--repeats 5]

Starts a Python kernel (jupyter_client), builds every explorer of ``cnnlab.widgets`` with the
512 x 512 cameraman photo where it takes an image, sets each control through a few values from
Python (the same synchronous path a slider takes once its new value reaches the kernel, including
sending the new images over the widget comms) and prints the median time per control and the
worst. The target is a median of at most 100 ms per control. Huge inputs are timed too: a
4,000 x 4,000 photo or feature map (the explorers shrink it and say so) and
``arithmetic_explorer(input_size=1000)`` (refused with a message: too big to draw), beside the
largest grid it still draws (40 x 40). Not a test: the figures depend on the machine.
"""

import argparse
import json
import sys
import textwrap

from jupyter_client.manager import start_new_kernel

# Runs inside the kernel. Each case: explorer name, constructor expression, {control: [values]}.
KERNEL_CODE = textwrap.dedent("""
    import json, time
    import numpy as np
    import cnnlab as cl
    from cnnlab import widgets
    from cnnlab.data import load_digits, load_photo

    photo = load_photo("camera")
    digits, labels = load_digits("test")
    model = cl.Sequential(cl.Conv2D(1, 8, 3, padding=1, rng=0), cl.ReLU(), cl.MaxPool2D(2),
                          cl.Conv2D(8, 16, 3, rng=1), cl.ReLU(), cl.Flatten(),
                          cl.Linear(64, 10, rng=2))
    fmap = cl.relu(cl.correlate2d(photo.astype(np.float32), np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)))
    huge = np.tile(photo, (8, 8))[:4000, :4000]           # a 4,000 x 4,000 photo
    huge_map = np.tile(fmap, (8, 8))[:4000, :4000]
    cases = [
        ("conv_explorer", lambda: widgets.conv_explorer(photo),
         {"stride": [2, 3, 1], "padding": [1, 2, 0], "relu": [True, False],
          "kernel": ["box blur", "laplacian", "gaussian blur"], "size": [5, 3]}),
        ("conv_explorer (RGB)", lambda: widgets.conv_explorer(load_photo("astronaut")),
         {"stride": [2, 1, 2], "kernel": ["box blur", "sharpen", "emboss"], "size": [5, 3]}),
        ("conv_stepper", lambda: widgets.conv_stepper(),
         {"position": [1, 2, 3], "stride": [2, 1], "padding": [1, 0]}),
        ("arithmetic_explorer", lambda: widgets.arithmetic_explorer(),
         {"input_size": [6, 7, 5], "filter_size": [2, 4, 3], "padding": [0, 2, 1],
          "stride": [1, 3, 2], "dilation": [2, 1, 2], "position": [1, 2, 3]}),
        ("pooling_explorer", lambda: widgets.pooling_explorer(fmap),
         {"mode": ["avg", "sum", "max"], "size": [3, 4, 2], "stride": [1, 3, 2],
          "position": [1, 2, 3]}),
        ("param_counter", lambda: widgets.param_counter(),
         {"image_size": [512, 1000, 28], "channels": [1, 3], "hidden": [10, 4096],
          "filters": [64, 8], "filter_size": [5, 7]}),
        ("feature_map_explorer", lambda: widgets.feature_map_explorer(model, digits[:20], labels[:20]),
         {"image": [1, 2, 3], "layer": [1, 3, 0]}),
        ("flip_explorer", lambda: widgets.flip_explorer(),
         {"step": [0, 1, 2], "kernel": ["emboss", "random", "laplacian"]}),
        ("softmax_explorer", lambda: widgets.softmax_explorer(),
         {**{f"logit{k}": [3.5, -2.0, 0.5] for k in range(4)},
          "temperature": [0.3, 2.5, 1.0], "label": [1, 3, 0]}),
        ("gradient_descent_explorer",
         lambda: widgets.gradient_descent_explorer(lr=0.1, momentum=0.9, steps=300),
         {"lr": [0.3, 1.0, 0.1], "momentum": [0.95, 0.5, 0.9], "steps": [500, 100, 300]}),
        ("receptive_field_explorer", lambda: widgets.receptive_field_explorer(),
         {"depth": [3, 2, 4],
          **{f"{key}{n}": values for n in range(1, 5)
             for key, values in (("kernel", [5, 1, 3]), ("stride", [3, 1, 2]),
                                 ("dilation", [2, 3, 1]))}}),
        ("receptive_field_explorer (512)", lambda: widgets.receptive_field_explorer(photo),
         {"depth": [3, 2, 4], "kernel1": [5, 7, 3], "stride2": [1, 3, 2], "dilation3": [2, 3, 1]}),
        ("conv_explorer (4000 photo)", lambda: widgets.conv_explorer(huge),
         {"stride": [2, 3, 1], "padding": [1, 2, 0], "kernel": ["box blur", "laplacian"],
          "size": [5, 3]}),
        ("pooling_explorer (4000 map)", lambda: widgets.pooling_explorer(huge_map),
         {"mode": ["avg", "sum", "max"], "size": [3, 4, 2], "stride": [1, 3, 2]}),
        ("receptive_field_explorer (4000)", lambda: widgets.receptive_field_explorer(huge),
         {"depth": [3, 2, 4], "kernel1": [5, 7, 3], "dilation3": [2, 3, 1]}),
        ("arithmetic_explorer (n=40)",
         lambda: widgets.arithmetic_explorer(input_size=40, padding=0, stride=1),
         {"filter_size": [2, 4, 3], "stride": [2, 3, 1], "dilation": [2, 1, 3],
          "position": [1, 500, 3]}),
        ("arithmetic_explorer (n=1000)", lambda: widgets.arithmetic_explorer(input_size=1000),
         {"padding": [2, 0, 1], "stride": [1, 3, 2], "filter_size": [4, 5, 3]}),
    ]
    # Settings that are refused on purpose: the message is what is timed.
    REFUSED = {"arithmetic_explorer (n=1000)"}
    results = []
    for name, build, settings in cases:
        t = time.perf_counter(); ex = build(); built = time.perf_counter() - t
        assert (ex.message != "") == (name in REFUSED), (name, ex.message)
        results.append((name, "(build)", [built]))
        for control, values in settings.items():
            times = []
            for _ in range(REPEATS):
                for value in values:
                    t = time.perf_counter()
                    ex.controls[control].value = value
                    times.append(time.perf_counter() - t)
            results.append((name, control, times))
            assert (ex.message != "") == (name in REFUSED), (name, control, ex.message)
    print("RESULTS" + json.dumps(results))
""")


def run_in_kernel(code, timeout=600):
    """Execute ``code`` in a fresh python3 kernel; return its stdout (raises on an error)."""
    km, kc = start_new_kernel(kernel_name="python3")
    out, error = [], None
    try:
        msg_id = kc.execute(code)
        while True:
            msg = kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                error = "\n".join(content["traceback"])
            elif kind == "status" and content["execution_state"] == "idle":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    if error:
        raise RuntimeError(f"the benchmark failed inside the kernel:\n{error}")
    return "".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="passes over each control's values")
    args = parser.parse_args(argv)
    text = run_in_kernel(f"REPEATS = {args.repeats}\n" + KERNEL_CODE)
    line = next(row for row in text.splitlines() if row.startswith("RESULTS"))
    results = json.loads(line[len("RESULTS"):])

    def median(xs):
        xs = sorted(xs)
        mid = len(xs) // 2
        return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2

    print(f"{'explorer':<31} {'control':<14} {'median ms':>10} {'max ms':>8} {'n':>4}")
    print("-" * 71)
    worst = ("", "", 0.0)
    for name, control, times in results:
        med, top = 1000 * median(times), 1000 * max(times)
        print(f"{name:<31} {control:<14} {med:>10.1f} {top:>8.1f} {len(times):>4}")
        if control != "(build)" and med > worst[2]:
            worst = (name, control, med)
    print("-" * 71)
    verdict = "OK" if worst[2] <= 100 else "TOO SLOW"
    print(f"worst median per control: {worst[2]:.1f} ms ({worst[0]} / {worst[1]}); "
          f"target <= 100 ms: {verdict}")
    return 0 if worst[2] <= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
