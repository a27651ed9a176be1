"""Memory: building the classic models, the feature-map explorer's cache, each lesson's kernel.

Usage::

    python benchmarks/memory.py                      # all three parts, every lesson
    python benchmarks/memory.py notebooks/13_modern_building_blocks.ipynb   # those lessons only
    python benchmarks/memory.py --no-lessons         # builds and explorer only (a minute)

Three parts, each run in a fresh process so that one part's memory does not count in another's:

- Building a model (``models.lenet5``, ``resnet18``, ``vgg16`` in float32 and float64): the
  peak of the memory Python allocates during the build (tracemalloc) and the peak resident
  memory above the resident memory before it (VmHWM, reset through ``/proc/self/clear_refs``),
  each as a multiple of the parameters' bytes. The goal: at most 1.3 x.
- The feature-map explorer: a 4-layer CNN on 48 colour images of 128 x 128, every image shown
  once. What the outputs of all of them take (what an unbounded cache would keep) against what
  the explorer's cache keeps, and its limit.
- Each lesson (all of ``notebooks/[0-9]*.ipynb`` unless notebooks are named): executed top to
  bottom in a fresh kernel (nbclient, one BLAS thread as ``make execute``), with a last cell
  added that reads the kernel's peak resident memory (VmHWM in ``/proc/self/status``). The
  goal: at most 1 GiB (Binder guarantees 1 GiB per learner and stops a kernel at 2 GiB). The
  notebook files are not changed. Lesson 14 needs PyTorch; without it, it is left out.

Not a test: the figures depend on the machine, NumPy's allocator and the libraries' versions. The
whole course takes about 10 minutes of CPU time.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 2 ** 20

# Runs in a child process: builds one model twice, first for resident memory, then under tracemalloc.
BUILD_CODE = textwrap.dedent("""
    import gc, json, sys, time, tracemalloc
    import numpy as np
    import cnnlab as cl
    from cnnlab import models

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024

    name, dtype = sys.argv[1], np.dtype(sys.argv[2])
    build = {"lenet5": lambda: models.lenet5(rng=0, dtype=dtype),
             "resnet18": lambda: models.resnet18(rng=0, dtype=dtype),
             "vgg16": lambda: models.vgg16(rng=0, dtype=dtype)}[name]
    models.lenet5(rng=0)            # first calls (imports, caches) are not part of a build
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")            # resets VmHWM to the current resident memory
    except OSError:
        pass
    before = status("VmRSS")
    start = time.perf_counter()
    model = build()
    seconds = time.perf_counter() - start
    rss_peak = status("VmHWM") - before
    rss_after = status("VmRSS") - before
    nbytes = sum(p.nbytes for p in model.params.values())
    del model
    gc.collect()
    tracemalloc.start()
    model = build()
    traced_after, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps(dict(params=cl.count_params(model), nbytes=nbytes, rss_peak=rss_peak,
                          rss_after=rss_after, seconds=seconds, traced_peak=traced_peak, traced_after=traced_after)))
""")

# Runs in a child process: shows every image once in a feature-map explorer.
EXPLORER_CODE = textwrap.dedent("""
    import json, tracemalloc
    import numpy as np
    import cnnlab as cl
    from cnnlab import widgets

    rng = np.random.default_rng(0)
    images = rng.random((48, 3, 128, 128))
    model = cl.Sequential(cl.Conv2D(3, 32, 3, padding=1, rng=0), cl.ReLU(),
                          cl.Conv2D(32, 32, 3, padding=1, rng=1), cl.ReLU(), cl.MaxPool2D(2),
                          cl.Flatten())
    ex = widgets.feature_map_explorer(model, images)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    total, largest = 0, 0
    for k in range(len(images)):
        ex.controls["image"].value = k
        total += sum(out.nbytes for _, out in ex.outputs(k))
        largest = max(largest, sum(out.nbytes for entry in ex._cache.values() for _, out in entry))
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(json.dumps(dict(images=len(images), per_image=total / len(images), total=total,
                          cache_max=largest, cached_images=len(ex._cache), held=held,
                          limit=getattr(ex, "cache_limit", None))))
""")

# The kernel's own peak: VmHWM (Linux). Not ru_maxrss, which also counts the peak of the process
# that started the kernel (Linux keeps it across fork and exec).
PEAK_CELL = textwrap.dedent("""
    try:
        with open("/proc/self/status") as _f:
            _peak = next(int(line.split()[1]) for line in _f if line.startswith("VmHWM"))
    except OSError:
        import resource as _resource
        _peak = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
    print("KERNEL_PEAK_KIB", _peak)
""")


def child(code, *args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=env, check=False)
    if out.returncode:
        sys.exit(f"child process failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def builds():
    print("Building a model (peak above the memory before it, as a multiple of the parameters' bytes):")
    print(f"{'model':<18} {'parameters':>12} {'MiB':>8} {'traced peak':>12} {'x':>5} "
          f"{'RSS peak':>9} {'x':>5} {'RSS after':>9} {'seconds':>8}")
    for name, dtype in [("lenet5", "float64"), ("resnet18", "float32"), ("resnet18", "float64"),
                        ("vgg16", "float32"), ("vgg16", "float64")]:
        r = child(BUILD_CODE, name, dtype)
        n = r["nbytes"]
        print(f"{name + ' ' + dtype:<18} {r['params']:>12,} {n / MIB:>8.1f} "
              f"{r['traced_peak'] / MIB:>12.1f} {r['traced_peak'] / n:>5.2f} "
              f"{r['rss_peak'] / MIB:>9.1f} {r['rss_peak'] / n:>5.2f} {r['rss_after'] / MIB:>9.1f} "
              f"{r['seconds']:>8.1f}")
    print("(traced: what Python allocates, tracemalloc; RSS: resident memory; goal: peak <= 1.3 x)\n")


def explorer():
    r = child(EXPLORER_CODE)
    limit = "none" if r["limit"] is None else f"{r['limit'] / MIB:.0f} MiB"
    print(f"Feature-map explorer, {r['images']} images of 3 x 128 x 128, every image shown once:")
    print(f"  one image's layer outputs: {r['per_image'] / MIB:.1f} MiB; all of them: "
          f"{r['total'] / MIB:.0f} MiB")
    print(f"  the cache at its largest: {r['cache_max'] / MIB:.1f} MiB ({r['cached_images']} images "
          f"kept at the end; limit {limit}); memory still held after the last image: "
          f"{r['held'] / MIB:.1f} MiB\n")


def lesson_peak(path, timeout):
    import nbformat
    from nbclient import NotebookClient

    for attempt in range(3):
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}},
                                extra_arguments=["--IPKernelApp.log_level=ERROR"])
        start = time.perf_counter()
        try:
            client.execute()
            break
        except RuntimeError as exc:     # a kernel that could not start (a port taken meanwhile)
            if "before replying" not in str(exc) or attempt == 2:
                raise
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return int(text.split()[-1]) * 1024, seconds


def lessons(paths, timeout):
    os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    has_torch = importlib.util.find_spec("torch") is not None   # not imported: it takes memory
    print("Each lesson's kernel, executed top to bottom (peak resident memory; goal <= 1,024 MiB):")
    print(f"{'lesson':<40} {'peak MiB':>9} {'seconds':>8}")
    worst = 0
    for path in paths:
        if "14_" in path.name and not has_torch:
            print(f"{path.name:<40} {'(PyTorch not installed: left out)':>18}")
            continue
        peak, seconds = lesson_peak(path, timeout)
        worst = max(worst, peak)
        flag = "" if peak <= 1024 * MIB else "  over 1 GiB"
        print(f"{path.name:<40} {peak / MIB:>9,.0f} {seconds:>8.0f}{flag}", flush=True)
    print(f"{'largest':<40} {worst / MIB:>9,.0f}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="lessons to measure (default: every notebooks/[0-9]*.ipynb); naming "
                             "some measures only them")
    parser.add_argument("--no-lessons", action="store_true", help="builds and explorer only")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args()
    if not args.notebooks:
        builds()
        explorer()
    if not args.no_lessons:
        paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
        lessons(paths, args.timeout)


if __name__ == "__main__":
    main()
