"""Input checks shared by every public function, so that error messages read alike.

Every message names the function, the argument, what was expected and what came, e.g.
``conv2d: stride must be a positive integer or a pair of them, got 0``.
"""

import contextlib
import math
import numbers
import os

import numpy as np

__all__ = []  # private module


class NonFiniteError(ValueError):
    """The ValueError for NaN or infinite values, so that `fit` can tell divergence apart."""


class TooLargeError(ValueError, MemoryError):
    """An array larger than this machine's memory was asked for: refused before any work.

    Both a ValueError (the arguments ask for something absurd) and a MemoryError (what NumPy
    would have raised, after trying).
    """


def as_float_array(func, name, value, ndim=None, min_ndim=None):
    """Return ``value`` as a floating NumPy array, checked.

    Floating arrays keep their dtype (float16, float32, float64 alike); integer and bool arrays
    become float64, so that uint8 photographs are never computed with wrap-around. Complex
    numbers, strings, None and ragged lists are refused. The input is never modified (callers
    must not write into the result when it is the caller's own array).
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{func}: {name} must be an array of numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{func}: {name} could not be read as an array ({exc})") from None
    if arr.dtype == object:
        raise ValueError(
            f"{func}: {name} must be a rectangular array of numbers, got ragged or non-numeric data"
        )
    if arr.dtype.kind in "iub":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{func}: {name} must hold real numbers, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        letters = _SHAPE_NAMES.get((func, name))
        expected = f"{ndim}-D {letters}" if letters else f"{ndim}-D"
        raise ValueError(f"{func}: {name} must be {expected}, got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{func}: {name} must have at least {min_ndim} dimensions, got shape {arr.shape}")
    # min and max need no temporary array (np.isfinite would allocate one the size of the input);
    # a NaN anywhere makes both NaN
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        raise NonFiniteError(f"{func}: {name} contains NaN or infinite values")
    return arr


_SHAPE_NAMES = {
    ("conv2d", "x"): "(N, C, H, W)",
    ("conv2d", "w"): "(F, C/groups, KH, KW)",
    ("conv2d_backward", "x"): "(N, C, H, W)",
    ("conv2d_backward", "w"): "(F, C/groups, KH, KW)",
    ("conv2d_backward", "dout"): "(N, F, OH, OW)",
    ("linear_backward", "dout"): "(N, D_out)",
    ("linear_backward", "x"): "(N, D_in)",
    ("linear_backward", "W"): "(D_in, D_out)",
    ("correlate2d", "image"): "(H, W)",
    ("correlate2d", "kernel"): "(KH, KW)",
    ("convolve2d", "image"): "(H, W)",
    ("convolve2d", "kernel"): "(KH, KW)",
    ("linear", "x"): "(N, D_in)",
    ("linear", "W"): "(D_in, D_out)",
}


def nonempty_axis(func, name, arr, axis):
    """A ValueError if ``arr`` has no entries along ``axis`` (nothing to normalise over)."""
    if arr.shape[axis] == 0:
        raise ValueError(f"{func}: {name} has no entries along axis {axis} (shape {arr.shape}); "
                         f"there must be at least one score to turn into probabilities")


def softmax_axis(func, z, axis):
    """``axis`` checked as an integer axis of ``z``."""
    if (isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer))
            or not -z.ndim <= axis < z.ndim):
        raise ValueError(f"{func}: axis must be an integer in [-{z.ndim}, {z.ndim}), got {axis!r}")
    return int(axis)


def result_dtype(*arrays):
    """The floating dtype a computation on ``arrays`` is carried out in."""
    return np.result_type(*[a.dtype for a in arrays if a is not None])


def _scalar(value):
    """A 0-d NumPy array (``np.array(2)``) as the number it holds; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


def real_number(func, name, value, low=None, high=None, low_open=False, high_open=False,
                what=None):
    """``value`` as a Python float, checked: a real number, finite, in the given range.

    Python ints and floats, NumPy integer and floating scalars (``np.float32(0.1)``) and 0-d
    arrays of them are accepted alike; bools, strings, complex numbers and None are refused with
    a TypeError, NaN, infinities and numbers outside ``[low, high]`` (``(low, ...`` with
    ``low_open``, ``..., high)`` with ``high_open``) with a ValueError. ``what`` replaces the
    generated description of the range in the message ("a probability in [0, 1)", ...).
    """
    value = _scalar(value)
    if what is None:
        if low is not None and high is not None:
            what = (f"a number in {'(' if low_open else '['}{low:g}, {high:g}"
                    f"{')' if high_open else ']'}")
        elif low == 0 and low_open:
            what = "a positive number"
        elif low == 0:
            what = "a non-negative number"
        elif low is not None:
            what = f"a number {'>' if low_open else '>='} {low:g}"
        elif high is not None:
            what = f"a number {'<' if high_open else '<='} {high:g}"
        else:
            what = "a finite real number"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{func}: {name} must be {what}, got {value!r} ({type(value).__name__})")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{func}: {name} must be {what}, got {value!r}")
    if low is not None and (number <= low if low_open else number < low):
        raise ValueError(f"{func}: {name} must be {what}, got {value!r}")
    if high is not None and (number >= high if high_open else number > high):
        raise ValueError(f"{func}: {name} must be {what}, got {value!r}")
    return number


def _memory_bytes():
    """This machine's physical memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_size(func, shape, dtype, what):
    """A `TooLargeError` naming ``func`` if an array of ``shape`` would not fit in memory.

    The size is counted in Python integers, so shapes with astronomically large entries (a
    padding of 10**30) are refused too instead of overflowing.
    """
    nbytes = math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
    total = _memory_bytes()
    if total is not None and nbytes > total:
        raise TooLargeError(f"{func}: the {what} {tuple(int(n) for n in shape)} in "
                            f"{np.dtype(dtype).name} needs {_gib(nbytes)} GiB, more than "
                            f"this machine's {total / 2**30:.1f} GiB of memory; use a smaller "
                            f"batch, padding or float32")
    return nbytes


def _gib(nbytes):
    gib = nbytes / 2**30
    return f"{gib:.1f}" if gib < 1e6 else f"{gib:.3g}"


def new_array(func, shape, dtype, what, fill=None):
    """np.empty (or np.full with ``fill``) after `check_size`; a failed allocation is a
    `TooLargeError` naming ``func`` too."""
    nbytes = check_size(func, shape, dtype, what)
    try:
        return np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
    except (MemoryError, ValueError):  # ValueError: "array is too big" on 32-bit sizes
        raise TooLargeError(f"{func}: the {what} {tuple(shape)} in {np.dtype(dtype).name} needs "
                            f"{_gib(nbytes)} GiB, which could not be allocated; use a "
                            f"smaller batch, padding or float32") from None


@contextlib.contextmanager
def quiet_overflow():
    """Silence NumPy's overflow and invalid-value warnings: the caller checks the result
    (`finite_result`) or knows it right (an exp of -inf is 0)."""
    with np.errstate(over="ignore", invalid="ignore"):
        yield


@contextlib.contextmanager
def refuse_overflow(func, dtype, what="the result"):
    """Run a computation on finite inputs with NumPy's overflow (and invalid-operation) flags
    raising, and turn the first into a NonFiniteError naming ``func``.

    Free when nothing overflows (no pass over the result, unlike `finite_result`); used where
    an inf or NaN can only come from an overflow that then reaches the result.
    """
    try:
        with np.errstate(over="raise", invalid="raise"):
            yield
    except FloatingPointError:
        raise NonFiniteError(_overflow_message(func, np.dtype(dtype), what)) from None


def _overflow_message(func, dtype, what):
    limit = f" (the largest {dtype} is {np.finfo(dtype).max:.4g})" if dtype.kind == "f" else ""
    hint = "scale the inputs down" + ("" if dtype == np.float64 else " or compute in float64")
    return f"{func}: {what} overflows {dtype}{limit}; {hint}"


def finite_result(func, out, what="the result"):
    """``out``, or a NonFiniteError naming ``func`` if finite inputs overflowed to inf or NaN."""
    arr = np.asarray(out)
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        raise NonFiniteError(_overflow_message(func, arr.dtype, what))
    return out


def float_dtype(func, dtype):
    """``dtype`` as a floating NumPy dtype (float64, float32...), else a TypeError."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{func}: dtype must be a floating NumPy dtype such as np.float64 or "
                        f"np.float32, got {dtype!r}") from None
    if resolved.kind != "f":
        raise TypeError(f"{func}: dtype must be a floating NumPy dtype such as np.float64 or "
                        f"np.float32 (weights need fractions), got {resolved}")
    return resolved


def sample_shape(func, value):
    """One sample's shape (a tuple or list of positive integers, no batch axis) as a tuple."""
    if (not isinstance(value, (tuple, list)) or not value
            or not all(isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_))
                       and n > 0 for n in value)):
        raise TypeError(f"{func}: input_shape must be a tuple of positive integers (one "
                        f"sample's shape, without the batch axis), got {value!r}")
    return tuple(int(n) for n in value)


def positive_int(func, name, value, minimum=1):
    """An integer >= ``minimum`` (bools and floats with a fraction are refused).

    A 0-d integer array (``np.array(2)``) counts as the integer it holds.
    """
    value = _scalar(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be an integer, got {value!r}")
    if value < minimum:
        word = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{func}: {name} must be {word}, got {value}")
    return int(value)


def int_pair(func, name, value, minimum=1):
    """An int or a pair of ints (rows, cols), each >= ``minimum``; returned as a tuple.

    A 0-d integer array (``np.array(2)``) counts as the integer it holds.
    """
    value = _scalar(value)
    word = "a positive integer" if minimum == 1 else "a non-negative integer"
    expected = f"{word} or a pair of them"
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be {expected}, got {value!r}")
    if isinstance(value, numbers.Integral):
        pair = (value, value)
    elif isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2:
        pair = tuple(_scalar(v) for v in value)
        if any(isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) for v in pair):
            raise TypeError(f"{func}: {name} must be {expected}, got {value!r}")
    else:
        raise TypeError(f"{func}: {name} must be {expected}, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{func}: {name} must be {expected}, got {value!r}")
    return int(pair[0]), int(pair[1])


PADDING_WORDS = ("valid", "same")


def padding_pair(func, padding, kernel_hw=None, dilation=(1, 1)):
    """Resolve ``padding`` (int, pair, "valid" or "same") to a pair of non-negative ints.

    "same" keeps H and W at stride 1 and needs an odd (effective) kernel, so that the padding
    can be split equally on both sides.
    """
    if isinstance(padding, str):
        word = padding.lower()
        if word == "valid":
            return 0, 0
        if word == "same":
            if kernel_hw is None:
                raise ValueError(f"{func}: padding='same' needs a kernel size")
            pads = []
            for k, d in zip(kernel_hw, dilation):
                span = d * (k - 1) + 1
                if span % 2 == 0:
                    raise ValueError(
                        f"{func}: padding='same' needs an odd kernel size, got kernel "
                        f"{tuple(kernel_hw)} (dilation {tuple(dilation)}); pad explicitly instead"
                    )
                pads.append((span - 1) // 2)
            return tuple(pads)
        raise ValueError(
            f"{func}: padding must be a non-negative integer, a pair of them, or one of "
            f"{PADDING_WORDS}, got {padding!r}"
        )
    return int_pair(func, "padding", padding, minimum=0)


def output_length(func, n, f, stride, padding, dilation, axis_name="", what="filter"):
    """floor((n + 2p - d(f - 1) - 1) / s) + 1, or a ValueError when nothing fits."""
    span = dilation * (f - 1) + 1
    if n + 2 * padding < span:
        where = f" along {axis_name}" if axis_name else ""
        size = f"size {n} + 2*{padding} = {n + 2 * padding}" if padding else f"size {n}"
        raise ValueError(
            f"{func}: the {what} (size {f}"
            + (f", dilation {dilation}, so it spans {span}" if dilation != 1 else "")
            + f") is larger than the {'padded ' if padding else ''}input{where} ({size})"
        )
    return (n + 2 * padding - span) // stride + 1


def conv_args(func, x, w, b, stride, padding, dilation, groups):
    """Checked arrays and the resolved (stride, padding, dilation, groups) of a conv2d call."""
    x = as_float_array(func, "x", x, ndim=4)
    w = as_float_array(func, "w", w, ndim=4)
    if b is not None:
        b = as_float_array(func, "b", b, ndim=1)
    groups = positive_int(func, "groups", groups)
    geometry = conv_geometry(func, x.shape, w.shape, b, stride, padding, dilation, groups,
                               shapes=f"(x.shape={x.shape}, w.shape={w.shape})")
    return x, w, b, geometry


def conv_geometry(func, x_shape, w_shape, b, stride, padding, dilation, groups, shapes):
    c, f = x_shape[1], w_shape[0]
    if c % groups or f % groups:
        raise ValueError(f"{func}: groups={groups} must divide both the input channels ({c}) and "
                         f"the number of filters ({f}) {shapes}")
    if c // groups != w_shape[1]:
        per_group = "" if groups == 1 else f" ({c} channels / groups={groups})"
        raise ValueError(f"{func}: x has {c // groups} channels{per_group} but w expects "
                         f"{w_shape[1]} {shapes}")
    if b is not None and b.shape[0] != f:
        raise ValueError(f"{func}: b must have one entry per filter, {f}, got shape {b.shape}")
    if 0 in w_shape[2:]:
        raise ValueError(f"{func}: the kernel must not be empty, got shape {tuple(w_shape)}")
    stride = int_pair(func, "stride", stride)
    dilation = int_pair(func, "dilation", dilation)
    padding = padding_pair(func, padding, w_shape[2:], dilation)
    for axis, name in ((0, "height"), (1, "width")):
        output_length(func, x_shape[2 + axis], w_shape[2 + axis], stride[axis], padding[axis],
                        dilation[axis], axis_name=name)
    return stride, padding, dilation, groups


def single_map_args(func, image, kernel, stride, padding):
    """Checked (image, kernel, geometry) of `correlate2d` and `convolve2d`: 2-D, kernel not empty."""
    image = as_float_array(func, "image", image, ndim=2)
    kernel = as_float_array(func, "kernel", kernel, ndim=2)
    if kernel.size == 0:
        raise ValueError(f"{func}: kernel must not be empty, got shape {kernel.shape}")
    geometry = conv_geometry(func, (1, 1) + image.shape, (1, 1) + kernel.shape, None, stride,
                             padding, 1, 1,
                             shapes=f"(image.shape={image.shape}, kernel.shape={kernel.shape})")
    return image, kernel, geometry


def output_size_args(func, n, f, stride, padding, dilation):
    """The checked integers of `output_size`."""
    return (positive_int(func, "n", n), positive_int(func, "f", f),
            positive_int(func, "stride", stride), positive_int(func, "padding", padding, minimum=0),
            positive_int(func, "dilation", dilation))


def pad_args(func, x, padding, value):
    """Checked (x, (ph, pw), value) of `pad2d`."""
    x = as_float_array(func, "x", x, min_ndim=2)
    pair = int_pair(func, "padding", padding, minimum=0)
    value = _scalar(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{func}: value must be a real number, got {value!r}")
    value = float(value)
    if math.isfinite(value) and abs(value) > float(np.finfo(x.dtype).max):
        raise ValueError(f"{func}: value {value:g} does not fit in x's dtype {x.dtype} (largest "
                         f"{np.finfo(x.dtype).max:.4g})")
    return x, pair, value


POOL_MODES = ("max", "avg", "sum")


def pool_window(func, shape, size, stride, padding=None):
    """Checked (size, stride), and padding too when given, of a pooling of input ``shape``."""
    size = int_pair(func, "size", size)
    stride = size if stride is None else int_pair(func, "stride", stride)
    pads = (0, 0) if padding is None else int_pair(func, "padding", padding, minimum=0)
    for axis, name in ((0, "rows"), (1, "columns")):
        if shape[-2 + axis] == 0:  # every window would hold padding only
            raise ValueError(f"{func}: x has no {name} to pool (x.shape={tuple(shape)})")
    if any(2 * p > k for p, k in zip(pads, size)):
        raise ValueError(f"{func}: padding must be at most half the window size {size}, got "
                         f"{padding!r}")
    for axis, name in ((0, "height"), (1, "width")):
        output_length(func, shape[-2 + axis], size[axis], stride[axis], pads[axis], 1,
                      axis_name=name, what="window")
    return (size, stride) if padding is None else (size, stride, pads)


def pool_mode(mode, func="pool2d"):
    """``mode`` checked against `POOL_MODES`."""
    if not isinstance(mode, str) or mode not in POOL_MODES:
        raise ValueError(f"{func}: mode must be one of {POOL_MODES}, got {mode!r}")
    return mode


def linear_args(func, x, W, b):
    """Checked (x, W, b) of `linear`: x (N, D_in), W (D_in, D_out), b (D_out,) or None."""
    x = as_float_array(func, "x", x, ndim=2)
    W = as_float_array(func, "W", W, ndim=2)
    if x.shape[1] != W.shape[0]:
        raise ValueError(
            f"{func}: x has {x.shape[1]} features but W expects {W.shape[0]} "
            f"(x.shape={x.shape}, W.shape={W.shape}); flatten x first if it is an image batch"
        )
    if b is not None:
        b = as_float_array(func, "b", b, ndim=1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(f"{func}: b must have D_out = {W.shape[1]} entries, got shape {b.shape}")
    return x, W, b
