"""Converting between images for display, (H, W) or (H, W, 3), and NCHW batches."""

import numpy as np

from . import _validation as v

__all__ = ["to_nchw", "to_image"]


def to_nchw(image):
    """A display image as a batch of one: (H, W) -> (1, 1, H, W), (H, W, C) -> (1, C, H, W).

    Integer images (uint8 0..255) become float64 with the same values; nothing is rescaled.

    Examples
    --------
    >>> to_nchw(np.zeros((32, 48, 3), dtype=np.uint8)).shape
    (1, 3, 32, 48)
    """
    image = v.as_float_array("to_nchw", "image", image)
    if image.ndim == 2:
        return image[None, None].copy()
    if image.ndim == 3 and image.shape[2] in (1, 3, 4):
        return np.ascontiguousarray(image.transpose(2, 0, 1)[None])
    raise ValueError(
        "to_nchw: image must be (H, W) or (H, W, C) with C in 1, 3 or 4 channels, "
        f"got shape {image.shape}"
    )


def to_image(x):
    """One sample of an NCHW batch (or a CHW volume) for display.

    (1, 1, H, W) or (1, H, W) -> (H, W); (1, 3, H, W) or (3, H, W) -> (H, W, 3), and 4
    channels (RGBA, as `to_nchw` accepts) -> (H, W, 4). A batch with more than one sample is
    refused: pick one, ``to_image(x[i])``. Other channel counts (a feature-map volume) are
    refused too: show one map, ``x[c]``. So is an array that is already an (H, W, 3) image.

    Examples
    --------
    >>> to_image(np.zeros((1, 3, 32, 48))).shape
    (32, 48, 3)
    """
    x = v.as_float_array("to_image", "x", x)
    if x.ndim == 4:
        if x.shape[0] != 1:
            raise ValueError(f"to_image: x holds {x.shape[0]} samples; pass one, e.g. x[i] "
                             f"(x.shape={x.shape})")
        x = x[0]
    if x.ndim == 2:
        return x.copy()
    if x.ndim == 3:
        if x.shape[0] == 1:
            return x[0].copy()
        if x.shape[0] in (3, 4):
            return np.ascontiguousarray(x.transpose(1, 2, 0))
        if x.shape[-1] in (3, 4):
            raise ValueError(f"to_image: x looks like an (H, W, {x.shape[-1]}) image already "
                             f"(x.shape={x.shape}); to_image expects (C, H, W) or (N, C, H, W) "
                             f"with channels first: use the image as it is")
        raise ValueError(f"to_image: x must have 1 (grey) or 3 (colour) channels (or 4, RGBA), got "
                         f"{x.shape[0]} (x.shape={x.shape}); to show one feature map, pass x[c]")
    raise ValueError(f"to_image: x must be (N, C, H, W), (C, H, W) or (H, W), got shape {x.shape}")
