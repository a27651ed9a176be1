"""Data that works offline: handwritten digits and real photographs.

Both come from packages installed with the course, never from a download:

- the 8 x 8 handwritten digits bundled with scikit-learn (1,797 images, 10 classes, intensities
  0..16), from the UCI "Optical Recognition of Handwritten Digits" data set (Alpaydin and
  Kaynak, 1998);
- photographs bundled with scikit-image and scikit-learn (see `PHOTOS`).
"""

import numpy as np

__all__ = ["load_digits", "load_photo", "PHOTOS", "to_gray"]

#: Photographs by name: (package, loader, description).
PHOTOS = {
    "camera": ("skimage", "camera", "the cameraman, 512 x 512 grayscale (scikit-image)"),
    "astronaut": ("skimage", "astronaut", "astronaut Eileen Collins, 512 x 512 RGB, NASA (scikit-image)"),
    "cat": ("skimage", "chelsea", "Chelsea the cat, 300 x 451 RGB (scikit-image)"),
    "coffee": ("skimage", "coffee", "a cup of coffee, 400 x 600 RGB (scikit-image)"),
    "china": ("sklearn", "china.jpg", "a temple in China, 427 x 640 RGB (scikit-learn)"),
    "flower": ("sklearn", "flower.jpg", "a flower, 427 x 640 RGB (scikit-learn)"),
}

_TEST_FRACTION = 0.2


def load_digits(split="train"):
    """The 8 x 8 handwritten digits with a fixed train/test split.

    Parameters
    ----------
    split : {"train", "test", "all"}
        The split is fixed (stratified by class, the same on every machine): 80 % train
        (1,438 images), 20 % test (359 images).

    Returns
    -------
    images : ndarray, shape (N, 8, 8), float64, values 0..16
    labels : ndarray, shape (N,), int64, values 0..9

    Examples
    --------
    >>> images, labels = load_digits("test")
    >>> images.shape, labels.shape
    ((359, 8, 8), (359,))
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"load_digits: split must be one of ('train', 'test', 'all'), got {split!r}")
    from sklearn.datasets import load_digits as _sk_load_digits

    bunch = _sk_load_digits()
    images, labels = bunch.images.astype(np.float64), bunch.target.astype(np.int64)
    if split == "all":
        return images, labels
    test = _test_mask(labels)
    mask = test if split == "test" else ~test
    return images[mask], labels[mask]


def _test_mask(labels):
    # RandomState's stream is frozen by NumPy's compatibility policy: the split never changes.
    rs = np.random.RandomState(0)
    mask = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        chosen = rs.permutation(idx)[: int(round(_TEST_FRACTION * len(idx)))]
        mask[chosen] = True
    return mask


def load_photo(name="camera", gray=False):
    """A real photograph as a uint8 array, (H, W) grayscale or (H, W, 3) RGB, values 0..255.

    Parameters
    ----------
    name : str
        One of the keys of `PHOTOS`: "camera", "astronaut", "cat", "coffee", "china", "flower".
    gray : bool
        Convert a colour photo to grayscale (ITU-R BT.601 luma: 0.299 R + 0.587 G + 0.114 B).

    Examples
    --------
    >>> load_photo("camera").shape, load_photo("astronaut").shape, load_photo("cat", gray=True).shape
    ((512, 512), (512, 512, 3), (300, 451))
    """
    if name not in PHOTOS:
        raise ValueError(f"load_photo: name must be one of {tuple(PHOTOS)}, got {name!r}")
    package, key, _ = PHOTOS[name]
    if package == "skimage":
        import skimage.data

        image = getattr(skimage.data, key)()
    else:
        from sklearn.datasets import load_sample_image

        image = load_sample_image(key)
    image = np.asarray(image, dtype=np.uint8)
    return to_gray(image) if gray and image.ndim == 3 else image


def to_gray(image):
    """RGB (H, W, 3) -> grayscale (H, W) with BT.601 luma weights, keeping uint8 as uint8.

    Examples
    --------
    >>> to_gray(np.array([[[255, 0, 0]]], dtype=np.uint8))
    array([[76]], dtype=uint8)
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"to_gray: image must be (H, W, 3) RGB, got shape {image.shape}")
    luma = image[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    if image.dtype == np.uint8:
        return np.clip(np.round(luma), 0, 255).astype(np.uint8)
    return luma
