"""Input checks shared by every public function, so that error messages read alike.

Every message names the function, the argument, what was expected and what came, e.g.
``conv2d: stride must be a positive integer or a pair of them, got 0``.
"""

import numbers

import numpy as np

__all__ = []  # private module


def as_float_array(func, name, value, ndim=None, min_ndim=None):
    """Return ``value`` as a floating NumPy array, checked.

    Floating arrays keep their dtype; integer and bool arrays become float64, so that uint8
    photographs are never computed with wrap-around. The input is never modified (callers must
    not write into the result when it is the caller's own array).
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
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{func}: {name} contains NaN or infinite values")
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


def result_dtype(*arrays):
    """The floating dtype a computation on ``arrays`` is carried out in."""
    return np.result_type(*[a.dtype for a in arrays if a is not None])


def positive_int(func, name, value, minimum=1):
    """An integer >= ``minimum`` (bools and floats with a fraction are refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be an integer, got {value!r}")
    if value < minimum:
        word = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{func}: {name} must be {word}, got {value}")
    return int(value)


def int_pair(func, name, value, minimum=1):
    """An int or a pair of ints (rows, cols), each >= ``minimum``; returned as a tuple."""
    word = "a positive integer" if minimum == 1 else "a non-negative integer"
    expected = f"{word} or a pair of them"
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be {expected}, got {value!r}")
    if isinstance(value, numbers.Integral):
        pair = (value, value)
    elif isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2:
        pair = tuple(value)
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
