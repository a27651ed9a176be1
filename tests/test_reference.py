"""cnnlab/reference.py's backward passes: equal to the fast pairs of cnnlab.ops on random shapes,
strides, paddings, dilations and groups, and to numerical gradients (central differences)."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab import ops, reference
from cnnlab.gradcheck import numerical_gradient


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def _numeric(f, arrays, dout):
    """Gradient of sum(f() * dout) with respect to each array, by central differences."""
    return [numerical_gradient(lambda: float(np.sum(f() * dout)), a) for a in arrays]


def _conv_case(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    c, f = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kh, kw = (int(k) for k in rng.integers(1, 4, 2))
    geometry = dict(stride=tuple(int(s) for s in rng.integers(1, 3, 2)),
                    padding=tuple(int(p) for p in rng.integers(0, 2, 2)),
                    dilation=tuple(int(d) for d in rng.integers(1, 3, 2)), groups=groups)
    x = rng.normal(size=(int(rng.integers(1, 3)), c, int(rng.integers(5, 8)), int(rng.integers(5, 8))))
    w = rng.normal(size=(f, c // groups, kh, kw))
    return rng, x, w, rng.normal(size=f), geometry


@pytest.mark.parametrize("seed", range(8))
def test_conv2d_backward_loops_equal_the_fast_pair_and_numerical_gradients(seed):
    rng, x, w, b, geometry = _conv_case(seed)
    out, ctx = ops.conv2d_forward(x, w, b, **geometry)
    _close(out, reference.conv2d(x, w, b, **geometry))
    dout = rng.normal(size=out.shape)
    loops = reference.conv2d_backward(dout, x, w, **geometry)
    for fast in (cl.conv2d_backward(dout, ctx), cl.conv2d_backward(dout, x, w, **geometry)):
        for a, e in zip(fast, loops):
            _close(a, e)
    for a, e in zip(loops, _numeric(lambda: cl.conv2d(x, w, b, **geometry), (x, w, b), dout)):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode", ["max", "avg", "sum"])
@pytest.mark.parametrize("seed", range(4))
def test_pool2d_backward_loops_equal_the_fast_pair_and_numerical_gradients(mode, seed):
    rng = np.random.default_rng(seed)
    size = tuple(int(k) for k in rng.integers(2, 4, 2))
    stride = tuple(int(s) for s in rng.integers(1, 3, 2))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in size)
    shape = (2, 2, int(rng.integers(5, 8)), int(rng.integers(5, 8)))
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.01   # no near-ties: steps of 0.01 >> h
    out, ctx = ops.pool2d_forward(x, size, stride, mode, padding)
    dout = rng.normal(size=out.shape)
    loops = reference.pool2d_backward(dout, x, size, stride, mode, padding)
    _close(cl.pool2d_backward(dout, ctx), loops)
    _close(cl.pool2d_backward(dout, x, size, stride, mode, padding), loops)
    (numeric,) = _numeric(lambda: cl.pool2d(x, size, stride, mode, padding), (x,), dout)
    np.testing.assert_allclose(loops, numeric, rtol=1e-6, atol=1e-7)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_in_both():
    x = np.ones((1, 1, 2, 2))
    expected = [[[[5.0, 0.0], [0.0, 0.0]]]]
    _close(reference.pool2d_backward([[[[5.0]]]], x, 2), expected)
    _close(cl.pool2d_backward([[[[5.0]]]], x, 2), expected)


@pytest.mark.parametrize("seed", range(3))
def test_linear_relu_and_cross_entropy_backward_loops(seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)
    out, ctx = ops.linear_forward(x, W, b)
    dout = rng.normal(size=out.shape)
    loops = reference.linear_backward(dout, x, W)
    for a, e in zip(cl.linear_backward(dout, ctx), loops):
        _close(a, e)
    for a, e in zip(loops, _numeric(lambda: cl.linear(x, W, b), (x, W, b), dout)):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-7)

    z = rng.normal(size=(3, 4)) + 0.5          # away from the kink at 0
    out, ctx = ops.relu_forward(z)
    dz = rng.normal(size=z.shape)
    _close(reference.relu_backward(dz, z), np.where(z > 0, dz, 0))
    _close(cl.relu_backward(dz, ctx), reference.relu_backward(dz, z))

    labels = rng.integers(0, 5, 3)
    logits = x @ W
    loss, ctx = ops.cross_entropy_forward(logits, labels)
    (numeric,) = [numerical_gradient(lambda: cl.cross_entropy(logits, labels), logits)]
    _close(reference.cross_entropy_backward(logits, labels), cl.cross_entropy_backward(ctx))
    np.testing.assert_allclose(reference.cross_entropy_backward(logits, labels), numeric, rtol=1e-6,
                               atol=1e-8)
    assert loss == pytest.approx(reference.cross_entropy(logits, labels))


@pytest.mark.parametrize("shape, stats", [((4, 3), False), ((3, 2, 3, 2), False), ((3, 2, 3, 2), True)])
def test_batchnorm_pair_loops_equal_the_fast_pair_and_numerical_gradients(shape, stats):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape) * 2 + 1
    c = shape[1]
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    given = (rng.normal(size=c), rng.uniform(0.5, 2, size=c)) if stats else (None, None)
    out, ctx = ops.batchnorm_forward(x, gamma, beta, 1e-5, *given)
    out_loops, ctx_loops = reference.batchnorm_forward(x, gamma, beta, 1e-5, *given)
    _close(out, out_loops)
    dout = rng.normal(size=shape)
    loops = reference.batchnorm_backward(dout, ctx_loops)
    for a, e in zip(ops.batchnorm_backward(dout, ctx), loops):
        _close(a, e)
    f = lambda: ops.batchnorm_forward(x, gamma, beta, 1e-5, *given)[0]  # noqa: E731
    for a, e in zip(loops, _numeric(f, (x, gamma, beta), dout)):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


def test_batchnorm_layer_matches_the_pair():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3, 2, 2))
    bn = cl.BatchNorm2D(3)
    out, ctx = ops.batchnorm_forward(x, bn.params["gamma"], bn.params["beta"], bn.eps)
    _close(bn.forward(x), out)
    dout = rng.normal(size=x.shape)
    _close(bn.backward(dout), ops.batchnorm_backward(dout, ctx)[0])


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.conv2d_backward(np.ones((1, 1, 1, 1)), ops.conv2d_forward(np.ones((1, 1, 2, 2)),
                                np.ones((1, 1, 2, 2)))[1], np.ones((1, 1, 2, 2))),
     TypeError, r"conv2d_backward: give either a ctx from conv2d_forward or x and w"),
    (lambda: cl.conv2d_backward(np.ones((1, 1, 2, 2)), ops.conv2d_forward(np.ones((1, 1, 2, 2)),
                                np.ones((1, 1, 2, 2)))[1]),
     ValueError, r"conv2d_backward: dout must have the output's shape \(1, 1, 1, 1\)"),
    (lambda: ops.batchnorm_backward(np.ones((2, 1)), (1, 2)), TypeError,
     r"batchnorm_backward: ctx must be what batchnorm_forward returned"),
    (lambda: ops.batchnorm_forward(np.ones((2, 2)), [1.0], [0.0]), ValueError,
     r"batchnorm_forward: gamma must have one entry per channel, 2"),
    (lambda: reference.conv2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)),
                                       np.ones((1, 1, 2, 2))),
     ValueError, r"conv2d_backward: dout must have the output's shape \(1, 1, 1, 1\)"),
    (lambda: reference.pool2d_backward(np.ones((1, 1)), np.ones((2, 2)), 2, mode="median"),
     ValueError, r"pool2d_backward: mode must be one of"),
])
def test_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
