"""The package surface: API.md's names, no side effects on import."""

import subprocess
import sys

import cnnlab

API_NAMES = """correlate2d convolve2d pad2d conv2d relu max_pool2d avg_pool2d sum_pool2d linear
flatten softmax cross_entropy output_size to_nchw to_image Conv2D ReLU MaxPool2D AvgPool2D Flatten
Linear Sequential count_params conv2d_backward linear_backward BatchNorm1D BatchNorm2D Dropout
GlobalAvgPool2D Residual count_macs""".split()


def test_api_names_are_exported():
    missing = [name for name in API_NAMES if name not in cnnlab.__all__ or not hasattr(cnnlab, name)]
    assert missing == []
    assert all(hasattr(cnnlab, name) for name in cnnlab.__all__)


def test_reference_has_the_same_function_names():
    import cnnlab.reference as ref

    functions = [n for n in API_NAMES if n[0].islower() and n not in (
        "to_nchw", "to_image", "count_params", "count_macs", "conv2d_backward", "linear_backward")]
    assert [n for n in functions if not callable(getattr(ref, n, None))] == []


def test_import_has_no_side_effects():
    code = ("import sys, matplotlib as _probe_mpl; rc = dict(_probe_mpl.rcParams); "
            "del sys.modules['matplotlib']\n"
            "before = set(sys.modules)\n"
            "import io, contextlib\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):\n"
            "    import cnnlab, cnnlab.layers, cnnlab.train, cnnlab.data, cnnlab.gradcheck, cnnlab.augment\n"
            "new = set(sys.modules) - before\n"
            "heavy = sorted(m for m in new if m.split('.')[0] in "
            "('ipywidgets', 'matplotlib', 'IPython', 'sklearn', 'skimage', 'nbformat'))\n"
            "print(repr(buf.getvalue()), heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "'' []"


def test_import_leaves_numpy_random_state_alone():
    code = ("import numpy as np; np.random.seed(123); a = np.random.random(); np.random.seed(123)\n"
            "import cnnlab, cnnlab.train\n"
            "print(np.random.random() == a)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_wheel_installs_every_module(tmp_path):
    """What JupyterHub, Binder and `pip install .` get: a built wheel, installed non-editable.

    The editable install that `make test` uses reads the source tree and hides a wheel that
    leaves a subpackage out (cnnlab.viz and cnnlab.widgets once were).
    """
    import pathlib
    import zipfile

    root = pathlib.Path(__file__).resolve().parents[1]
    expected = sorted(p.relative_to(root).as_posix() for p in (root / "cnnlab").rglob("*.py"))
    # Build from a copy of the files git tracks: setuptools reuses a build/ folder left in the
    # source tree, and a stale one hides exactly the bug this test is for.
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (root / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((root / name).read_bytes())
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-q", "-w", str(wheels), str(source)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("cnnlab-*.whl")
    in_wheel = sorted(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".py"))
    assert in_wheel == expected

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, cwd=tmp_path)
    modules = [m[:-3].replace("/", ".").removesuffix(".__init__") for m in expected]
    code = ("import importlib, cnnlab\n"
            f"for m in {modules!r}:\n"
            "    importlib.import_module(m)\n"
            "print(cnnlab.__file__)\n")
    # Only the installed copy on the path: the source tree is not the working directory.
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert pathlib.Path(out.stdout.strip()).is_relative_to(target)


def test_every_backward_of_a_public_forward_is_exported():
    for name in ("conv2d_backward", "linear_backward", "relu_backward", "pool2d_backward",
                 "cross_entropy_backward"):
        assert name in cnnlab.__all__ and callable(getattr(cnnlab, name))
