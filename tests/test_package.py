"""The package surface: API.md's names, no side effects on import."""

import subprocess
import sys

import cnnlab

API_NAMES = """correlate2d convolve2d pad2d conv2d relu max_pool2d avg_pool2d sum_pool2d linear
flatten softmax cross_entropy output_size to_nchw to_image Conv2D ReLU MaxPool2D AvgPool2D Flatten
Linear Sequential count_params""".split()


def test_api_names_are_exported():
    missing = [name for name in API_NAMES if name not in cnnlab.__all__ or not hasattr(cnnlab, name)]
    assert missing == []
    assert all(hasattr(cnnlab, name) for name in cnnlab.__all__)


def test_reference_has_the_same_function_names():
    import cnnlab.reference as ref

    functions = [n for n in API_NAMES if n[0].islower() and n not in ("to_nchw", "to_image", "count_params")]
    assert [n for n in functions if not callable(getattr(ref, n, None))] == []


def test_import_has_no_side_effects():
    code = ("import sys, matplotlib as _probe_mpl; rc = dict(_probe_mpl.rcParams); "
            "del sys.modules['matplotlib']\n"
            "before = set(sys.modules)\n"
            "import io, contextlib\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):\n"
            "    import cnnlab, cnnlab.layers, cnnlab.train, cnnlab.data, cnnlab.gradcheck\n"
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
