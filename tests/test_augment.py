"""cnnlab/augment.py: shifts against np.roll, rotations against np.rot90, scaling by hand,
identity, seeding, shapes and errors."""

import numpy as np
import pytest

from cnnlab import augment


def _digit_like(n=3, size=12, seed=0):
    x = np.zeros((n, 1, size, size))
    x[:, :, 3:9, 4:8] = np.random.default_rng(seed).uniform(0.2, 1.0, size=(n, 1, 6, 4))
    return x


@pytest.mark.parametrize("dy, dx", [(2, 0), (0, -3), (1, 2), (-2, -1)])
def test_a_whole_pixel_shift_equals_np_roll_on_a_padded_image(dy, dx):
    x = _digit_like()
    pad = 4
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    expected = np.roll(padded, (dy, dx), axis=(2, 3))[:, :, pad:-pad, pad:-pad]
    np.testing.assert_allclose(augment.affine(x, shifts=[dy, dx]), expected, atol=1e-12)


def test_each_image_gets_its_own_shift_and_channels_move_together():
    x = np.repeat(_digit_like(2), 2, axis=1)         # (2, 2, 12, 12), equal channels
    out = augment.affine(x, shifts=[[1, 0], [0, -2]])
    np.testing.assert_allclose(out[0, 0], np.roll(x[0, 0], 1, axis=0), atol=1e-12)
    np.testing.assert_allclose(out[1, 1], np.roll(x[1, 1], -2, axis=1), atol=1e-12)
    np.testing.assert_array_equal(out[:, 0], out[:, 1])


def test_rotation_by_0_and_scale_1_is_the_identity():
    x = np.random.default_rng(1).random((4, 2, 9, 10)).astype(np.float32)
    out = augment.affine(x, angles=0.0, scales=1.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(augment.random_affine(0, 0, 0)(x, np.random.default_rng(0)), x)


def test_rotation_by_90_degrees_is_np_rot90_counter_clockwise():
    x = np.random.default_rng(2).random((2, 7, 7))   # (N, H, W) batches are fine too
    np.testing.assert_allclose(augment.affine(x, angles=90.0), np.rot90(x, 1, axes=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(augment.affine(x, angles=[-90.0, 180.0])[1], np.rot90(x[1], 2), atol=1e-12)


def test_scaling_by_2_about_the_centre_moves_a_pixel_twice_as_far():
    x = np.zeros((1, 9, 9))
    x[0, 5, 6] = 1.0                                  # centre (4, 4); offset (1, 2)
    out = augment.affine(x, scales=2.0)
    assert out[0, 6, 8] == pytest.approx(1.0)          # offset (2, 4)
    assert out[0, 4:9:2, 4:9:2].sum() == pytest.approx(1.0)


def test_random_augmentations_are_seeded_and_keep_shapes():
    x = _digit_like(5, 28)
    for fn in (lambda x, r: augment.random_shift(x, 2, r), lambda x, r: augment.random_rotation(x, 15, r),
               lambda x, r: augment.random_scale(x, 0.2, r), augment.random_affine()):
        a, b = fn(x, np.random.default_rng(3)), fn(x, np.random.default_rng(3))
        c = fn(x, np.random.default_rng(4))
        assert a.shape == x.shape
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_random_shift_moves_by_whole_pixels_within_the_bound():
    x = np.zeros((50, 1, 11, 11))
    x[:, 0, 5, 5] = 1.0
    out = augment.random_shift(x, 2, np.random.default_rng(5))
    positions = [np.argwhere(img[0] == 1.0)[0] - 5 for img in out]
    assert all(np.abs(p).max() <= 2 for p in positions) and len({tuple(p) for p in positions}) > 10
    assert np.all(out.sum(axis=(1, 2, 3)) == 1.0)


@pytest.mark.parametrize("call, error, message", [
    (lambda: augment.affine(np.zeros((4, 4))), ValueError, r"affine: x must be a batch \(N, C, H, W\) or \(N, H, W\)"),
    (lambda: augment.affine(np.zeros((2, 4, 4)), shifts=[[1, 2, 3]]), ValueError,
     r"affine: shifts must have shape \(2, 2\) or \(2,\), one per image of x"),
    (lambda: augment.affine(np.zeros((2, 4, 4)), scales=0.0), ValueError, r"affine: scales must be positive"),
    (lambda: augment.random_shift(np.zeros((2, 4, 4)), -1, np.random.default_rng(0)), ValueError,
     r"random_shift: max_shift must be an integer >= 0"),
    (lambda: augment.random_rotation(np.zeros((2, 4, 4)), 200, np.random.default_rng(0)), ValueError,
     r"random_rotation: max_degrees must be >= 0 and below 180"),
    (lambda: augment.random_scale(np.zeros((2, 4, 4)), 0.1, 3), TypeError,
     r"random_scale: rng must be a numpy.random.Generator"),
    (lambda: augment.random_affine(max_scale=1.5), ValueError, r"random_affine: max_scale must be >= 0 and below 1"),
    (lambda: augment.random_affine(max_rotation="10"), TypeError, r"random_affine: max_rotation must be a number"),
])
def test_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
