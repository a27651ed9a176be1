"""Named filters for the explorers and the notebooks: identity, blurs, sharpen, edges, emboss.

All kernels are meant for cross-correlation (what deep learning calls convolution): ``sobel_x``
gives positive values where the intensity grows from left to right.
"""

import numpy as np

__all__ = ["KERNEL_NAMES", "get_kernel"]

#: Preset names in the order the explorers list them.
KERNEL_NAMES = ("identity", "box blur", "gaussian blur", "sharpen", "sobel x", "sobel y",
                "laplacian", "emboss", "random")

_SMOOTH5 = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
_DERIV5 = np.array([-1.0, -2.0, 0.0, 2.0, 1.0])


def _identity(k):
    out = np.zeros((k, k))
    out[k // 2, k // 2] = 1.0
    return out


def _gaussian(k):
    if k == 3:
        return np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
    return np.outer(_SMOOTH5, _SMOOTH5) / 256.0


def _sobel_x(k):
    if k == 3:
        return np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    return np.outer(_SMOOTH5, _DERIV5) / 16.0


def _laplacian(k):
    if k == 3:
        return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    return np.array([[0, 0, 1, 0, 0], [0, 1, 2, 1, 0], [1, 2, -16, 2, 1],
                     [0, 1, 2, 1, 0], [0, 0, 1, 0, 0]], dtype=float)


def _emboss(k):
    i, j = np.indices((k, k))
    out = np.sign(i + j - (k - 1)).astype(float)
    if k == 3:
        out[0, 0], out[2, 2] = -2.0, 2.0
    return out


def get_kernel(name, size=3, rng=None):
    """A named square filter.

    Parameters
    ----------
    name : str
        One of :data:`KERNEL_NAMES` (case and the characters ``_``/``-`` are ignored:
        ``"sobel_x"`` works too).
    size : {3, 5}
        Filter height and width.
    rng : numpy.random.Generator or int, optional
        Used only by ``"random"`` (values drawn from a normal distribution, rounded to 0.1).

    Returns
    -------
    ndarray, shape (size, size), float64

    Raises
    ------
    ValueError
        For an unknown name or a size other than 3 or 5.

    Examples
    --------
    >>> get_kernel("sobel x")
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    key = str(name).lower().replace("_", " ").replace("-", " ")
    if key not in KERNEL_NAMES:
        raise ValueError(f"get_kernel: name must be one of {KERNEL_NAMES}, got {name!r}")
    if size not in (3, 5):
        raise ValueError(f"get_kernel: size must be 3 or 5, got {size!r}")
    k = int(size)
    if key == "identity":
        return _identity(k)
    if key == "box blur":
        return np.full((k, k), 1.0 / (k * k))
    if key == "gaussian blur":
        return _gaussian(k)
    if key == "sharpen":
        if k == 3:
            return np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])
        return 2.0 * _identity(k) - _gaussian(k)
    if key == "sobel x":
        return _sobel_x(k)
    if key == "sobel y":
        return _sobel_x(k).T.copy()
    if key == "laplacian":
        return _laplacian(k)
    if key == "emboss":
        return _emboss(k)
    rng = np.random.default_rng(rng)
    return np.round(rng.normal(0.0, 1.0, (k, k)), 1)
