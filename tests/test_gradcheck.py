"""cnnlab/gradcheck.py: it must catch a wrong backward pass, not only pass right ones."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab.gradcheck import check_layer, numerical_gradient, relative_error


def test_numerical_gradient_of_known_functions():
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(numerical_gradient(lambda: float(np.sum(x ** 3)), x), 3 * x ** 2, rtol=1e-6)
    before = x.copy()
    numerical_gradient(lambda: float(np.prod(x)), x)
    np.testing.assert_array_equal(x, before)      # restored exactly


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0], [3.0]) == pytest.approx(2 / 3)
    assert relative_error([4.0, -1.0], [4.0, 1.0]) == pytest.approx(0.5)
    # an entry near zero is judged against the gradient's size, not its own
    assert relative_error([2.0, 1e-9], [2.0, 1.2e-9]) < 1e-9
    assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="relative_error: shapes differ"):
        relative_error([1.0], [1.0, 2.0])


class _WrongLinear(cl.Linear):
    """A subtly wrong backward pass: forgets to transpose W (square W keeps shapes right)."""

    def backward(self, dout):
        super().backward(dout)
        return dout @ self.params["W"]


class _WrongBias(cl.Linear):
    """Bias gradient as the mean instead of the sum over the batch."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"][...] = dout.mean(axis=0)
        return dx


@pytest.mark.parametrize("layer_cls, bad", [(_WrongLinear, "x"), (_WrongBias, "b")])
def test_check_layer_catches_wrong_gradients(layer_cls, bad):
    rng = np.random.default_rng(0)
    report = check_layer(layer_cls(4, 4, rng=rng), rng.normal(size=(3, 4)), rng=1)
    assert not report.passed
    assert report.errors[bad] > 1e-3
    assert "FAILED" in str(report)


def test_check_layer_report_on_a_right_layer():
    rng = np.random.default_rng(2)
    report = check_layer(cl.Conv2D(2, 2, 3, rng=rng), rng.normal(size=(1, 2, 5, 5)), rng=3)
    assert report.passed and bool(report)
    assert set(report.errors) == {"x", "W", "b"}
    assert "passed" in str(report)


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(TypeError, match="numerical_gradient: x must be a floating NumPy array"):
        numerical_gradient(lambda: 0.0, np.arange(3))


# --- no silent pass (issue 27) -----------------------------------------------------------------

class _NaNBias(cl.Linear):
    """Right except that the bias gradient is NaN (a 0 / 0 in a learner's backward, say)."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"][...] = np.nan
        return dx


class _InfiniteDx(cl.Linear):
    def backward(self, dout):
        dx = super().backward(dout)
        dx[0, 0] = np.inf
        return dx


class _BlowsUpWhenNudged(cl.layers.Layer):
    """The identity at the input it was first given, infinite anywhere else: the numerical
    gradient is NaN, the analytic one (the identity's) finite."""

    def forward(self, x):
        if self._cache is None:
            self._cache = x.copy()
        return x.copy() if np.array_equal(x, self._cache) else x * np.inf

    def backward(self, dout):
        return dout


@pytest.mark.parametrize("layer, key, where", [
    (_NaNBias(4, 3, rng=0), "b", "analytic"),
    (_InfiniteDx(4, 3, rng=0), "x", "analytic"),
    (_BlowsUpWhenNudged(), "x", "numerical"),
])
def test_check_layer_fails_on_a_nan_or_infinite_gradient_and_names_it(layer, key, where):
    x = np.random.default_rng(1).normal(size=(2, 4))
    with np.errstate(invalid="ignore"):
        report = check_layer(layer, x, rng=2)
    assert not report.passed and not bool(report)
    assert report.nonfinite == {key: where}
    text = str(report)
    assert f"d{key:<4} NaN or infinite entries ({where})" in text
    assert f"FAILED: NaN or infinite gradient in d{key}" in text
    # the other gradients are still measured and right
    assert all(err < 1e-6 for k, err in report.errors.items() if k != key)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f():                                       # raises on the second nudge (x[0] - h)
        calls.append(x.copy())
        if len(calls) == 2:
            raise RuntimeError("the learner's loss failed")
        return float(np.sum(x))

    with pytest.raises(RuntimeError, match="the learner's loss failed"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert calls[1][0] == 1.0 - 1e-5               # (it did raise while x was nudged)
