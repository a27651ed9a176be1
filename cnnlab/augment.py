"""Data augmentation: random shifts, small rotations and scalings of an image batch.

Training on slightly moved, turned and resized copies of the images teaches a network that
these changes do not change the class, which it cannot learn from 4,000 fixed images alone
(Simard et al. 2003 reached 99.3 % on MNIST with distortions of this kind). Every function takes
a batch (N, C, H, W) or (N, H, W), returns a new batch of the same shape and dtype, and draws its
randomness from ``rng``, so a seeded run repeats exactly. The resampling is scipy.ndimage's
(linear interpolation, with zeros all around the image: the background of MNIST-style digits
scaled to 0..1).

Dtypes: float32 and float64 batches keep their dtype; float16 batches are resampled in float32
(scipy.ndimage has no float16) and returned as float16; integer and bool batches (uint8 photos)
are returned as float64. An empty batch, or images with no pixels, come back as an empty copy.

Use with `cnnlab.train.fit`: ``fit(..., augment=random_affine(max_shift=2, max_rotation=10))``.
"""

import numpy as np
from scipy import ndimage

from . import _validation as v

__all__ = ["affine", "random_shift", "random_rotation", "random_scale", "random_affine"]


def affine(x, shifts=None, angles=None, scales=None):
    """Move, rotate and scale each image of a batch by its own amounts.

    Each image is scaled by ``scales[n]`` and rotated by ``angles[n]`` degrees about its
    centre, then shifted by ``shifts[n]`` pixels. All channels of an image move together.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W) or (N, H, W)
    shifts : array_like, shape (N, 2) or (2,), optional
        (rows, columns): positive moves the content down and to the right. Default 0.
    angles : array_like, shape (N,) or scalar, optional
        Degrees, positive counter-clockwise as displayed (row 0 at the top). Default 0.
    scales : array_like, shape (N,) or scalar, optional
        Positive factors; above 1 enlarges the content. Default 1.

    Returns
    -------
    ndarray, same shape as ``x``
        ``out[n, c, i, j] = x[n, c, p]`` at the source point ``p`` of (i, j), by linear
        interpolation; 0 where ``p`` falls outside. Integer shifts alone move the pixels exactly.

    Examples
    --------
    >>> x = np.zeros((1, 3, 3)); x[0, 1, 1] = 1.0
    >>> affine(x, shifts=[1, -1])[0]
    array([[0., 0., 0.],
           [0., 0., 0.],
           [1., 0., 0.]])
    """
    x = v.as_float_array("affine", "x", x)
    if x.ndim not in (3, 4):
        raise ValueError(f"affine: x must be a batch (N, C, H, W) or (N, H, W), got shape {x.shape}")
    n = x.shape[0]
    shifts = _per_image("affine", "shifts", shifts, n, (2,), 0.0)
    angles = _per_image("affine", "angles", angles, n, (), 0.0)
    scales = _per_image("affine", "scales", scales, n, (), 1.0)
    if np.any(scales <= 0):
        raise ValueError(f"affine: scales must be positive, got {scales.min()}")
    return _transform(x, shifts, np.deg2rad(angles), scales)


def _per_image(func, name, value, n, shape, default):
    if value is None:
        return np.full((n,) + shape, default)
    arr = v.as_float_array(func, name, value)
    if arr.shape == shape:
        return np.broadcast_to(arr, (n,) + shape)
    if arr.shape != (n,) + shape:
        want = f"({n}, 2) or (2,)" if shape else f"({n},) or a number"
        raise ValueError(f"{func}: {name} must have shape {want}, one per image of x, got {arr.shape}")
    return arr


def _transform(x, shifts, radians, scales, func="affine"):
    """Resample (N, [C,] H, W) with one map_coordinates call over the whole batch."""
    if x.size == 0:  # no images, or no pixels: nothing to move
        return x.copy()
    if x.dtype == np.float16:  # scipy.ndimage computes in float32 and float64 only
        return _transform(x.astype(np.float32), shifts, radians, scales, func).astype(np.float16)
    images = x.reshape((-1,) + x.shape[-2:])            # (N*C, H, W)
    per = images.shape[0] // x.shape[0]                  # channels per image
    h, w = x.shape[-2:]
    ci, cj = (h - 1) / 2, (w - 1) / 2
    i, j = np.meshgrid(np.arange(h, dtype=float), np.arange(w, dtype=float), indexing="ij")
    with v.quiet_overflow():
        # the source point of each output pixel: undo the shift, then the rotation and the scale
        di = i[None] - ci - shifts[:, 0, None, None]
        dj = j[None] - cj - shifts[:, 1, None, None]
        cos = (np.cos(radians) / scales)[:, None, None]
        sin = (np.sin(radians) / scales)[:, None, None]
        # counter-clockwise on screen (rows grow downwards): the output pixel at offset (di, dj)
        # from the centre comes from the offset turned clockwise, (cos di + sin dj, cos dj - sin di)
        src_i = ci + cos * di + sin * dj
        src_j = cj - sin * di + cos * dj
    if not (np.isfinite(src_i).all() and np.isfinite(src_j).all()):
        raise ValueError(f"{func}: the shifts (up to {np.abs(shifts).max():g} pixels) and scales "
                         f"(down to {scales.min():g}) move the image beyond float64's range; use "
                         f"shifts below the image size and scales near 1")
    src_i, src_j = (np.repeat(a, per, axis=0) for a in (src_i, src_j))
    k = np.broadcast_to(np.arange(images.shape[0], dtype=float)[:, None, None], src_i.shape)
    out = ndimage.map_coordinates(images, [k, src_i, src_j], order=1, mode="grid-constant",
                                  cval=0.0)
    return out.reshape(x.shape).astype(x.dtype, copy=False)


def _amount(func, name, value, upper):
    """A real number in [0, upper): Python or NumPy scalars alike, never NaN."""
    number = v.real_number(func, name, value, what="a number")
    if not 0 <= number < upper:
        raise ValueError(f"{func}: {name} must be >= 0 and below {upper}, got {value!r}")
    return number


#: Largest ``max_shift``: random shifts are drawn as 64-bit integers (any shift beyond the image
#: size empties it anyway).
MAX_SHIFT = 2**62


def _max_shift(func, value):
    value = v.positive_int(func, "max_shift", value, minimum=0)
    if value > MAX_SHIFT:
        raise ValueError(f"{func}: max_shift must be at most 2**62 (a shift beyond the image "
                         f"size leaves it empty anyway), got {value}")
    return value


def _check_rng(func, rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{func}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _batch_size(func, x):
    x = v.as_float_array(func, "x", x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{func}: x must be a batch (N, C, H, W) or (N, H, W), got shape {x.shape}")
    return x


def random_shift(x, max_shift, rng):
    """Shift each image by a random whole number of pixels, -max_shift..max_shift per axis.

    Examples
    --------
    >>> x = np.ones((4, 1, 5, 5))
    >>> random_shift(x, 2, np.random.default_rng(0)).shape
    (4, 1, 5, 5)
    """
    x = _batch_size("random_shift", x)
    max_shift = _max_shift("random_shift", max_shift)
    rng = _check_rng("random_shift", rng)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))
    return _transform(x, shifts.astype(float), np.zeros(len(x)), np.ones(len(x)))


def random_rotation(x, max_degrees, rng):
    """Rotate each image about its centre by a random angle in [-max_degrees, max_degrees]."""
    x = _batch_size("random_rotation", x)
    max_degrees = _amount("random_rotation", "max_degrees", max_degrees, upper=180)
    rng = _check_rng("random_rotation", rng)
    angles = rng.uniform(-max_degrees, max_degrees, len(x))
    return _transform(x, np.zeros((len(x), 2)), np.deg2rad(angles), np.ones(len(x)))


def random_scale(x, max_scale, rng):
    """Scale each image about its centre by a random factor in [1 - max_scale, 1 + max_scale]."""
    x = _batch_size("random_scale", x)
    max_scale = _amount("random_scale", "max_scale", max_scale, upper=1)
    rng = _check_rng("random_scale", rng)
    scales = rng.uniform(1 - max_scale, 1 + max_scale, len(x))
    return _transform(x, np.zeros((len(x), 2)), np.zeros(len(x)), scales)


def random_affine(max_shift=2, max_rotation=10, max_scale=0.1):
    """A function ``augment(x_batch, rng)`` for `fit`: random shift, rotation and scale together.

    Each image gets its own whole-pixel shift in -max_shift..max_shift per axis, angle in
    [-max_rotation, max_rotation] degrees and factor in [1 - max_scale, 1 + max_scale], applied
    in one resampling (see :func:`affine`).

    Parameters
    ----------
    max_shift : int, optional
        Pixels.
    max_rotation : float, optional
        Degrees, below 180.
    max_scale : float, optional
        Below 1.

    Returns
    -------
    callable
        ``augment(x_batch, rng)`` -> a batch of the same shape; ``rng`` a numpy Generator.

    Examples
    --------
    >>> augment = random_affine(max_shift=2, max_rotation=10, max_scale=0.1)
    >>> batch = np.random.default_rng(0).random((8, 1, 28, 28))
    >>> out = augment(batch, np.random.default_rng(1))
    >>> out.shape, np.array_equal(out, augment(batch, np.random.default_rng(1)))
    ((8, 1, 28, 28), True)
    """
    max_shift = _max_shift("random_affine", max_shift)
    max_rotation = _amount("random_affine", "max_rotation", max_rotation, upper=180)
    max_scale = _amount("random_affine", "max_scale", max_scale, upper=1)

    def augment(x_batch, rng):
        x_batch = _batch_size("random_affine", x_batch)
        rng = _check_rng("random_affine", rng)
        n = len(x_batch)
        shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2)).astype(float)
        angles = np.deg2rad(rng.uniform(-max_rotation, max_rotation, n))
        scales = rng.uniform(1 - max_scale, 1 + max_scale, n)
        return _transform(x_batch, shifts, angles, scales)

    augment.__doc__ = (f"Random shift (up to {max_shift} px), rotation (up to {max_rotation:g} "
                       f"degrees) and scale (up to {max_scale:g}) of a batch; see random_affine.")
    return augment
