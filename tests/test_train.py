"""cnnlab/train.py: optimisers against hand-computed steps, and a real training run."""

import numpy as np
import pytest

import cnnlab as cl
from cnnlab import data
from cnnlab.train import SGD, Adam, SoftmaxCrossEntropy, accuracy, fit


def _pair(value, grad):
    return np.array(value, dtype=float), np.array(grad, dtype=float)


def test_sgd_with_momentum_matches_hand_computed_steps():
    p, g = _pair([1.0, -2.0], [0.5, 1.0])
    opt = SGD([(p, g)], lr=0.1, momentum=0.9)
    opt.step()                      # v = -0.1 g
    np.testing.assert_allclose(p, [0.95, -2.1])
    opt.step()                      # v = 0.9 * (-0.1 g) - 0.1 g = -0.19 g
    np.testing.assert_allclose(p, [0.95 - 0.095, -2.1 - 0.19])


def test_adam_first_step_moves_each_parameter_by_lr():
    p, g = _pair([1.0, 1.0, 1.0], [0.5, -5.0, 300.0])
    Adam([(p, g)], lr=0.01).step()
    # bias-corrected m / sqrt(v) = sign(g) on the first step
    np.testing.assert_allclose(p, [0.99, 1.01, 0.99], rtol=1e-6)


def test_softmax_cross_entropy_backward_is_softmax_minus_onehot_over_n():
    logits = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, np.array([1, 0]))
    assert value == pytest.approx(cl.cross_entropy(logits, [1, 0]))
    expected = cl.softmax(logits)
    expected[[0, 1], [1, 0]] -= 1
    np.testing.assert_allclose(loss.backward(), expected / 2)
    with pytest.raises(RuntimeError, match="SoftmaxCrossEntropy.backward: forward must run first"):
        SoftmaxCrossEntropy().backward()


def test_a_small_cnn_learns_the_digits():
    X, y = data.load_digits("train")
    Xt, yt = data.load_digits("test")
    X, Xt = X[:, None] / 16, Xt[:, None] / 16
    rng = np.random.default_rng(0)
    model = cl.Sequential(cl.Conv2D(1, 8, 3, padding=1, rng=rng), cl.ReLU(), cl.MaxPool2D(2),
                          cl.Flatten(), cl.Linear(128, 10, rng=rng))
    before = cl.cross_entropy(model.forward(Xt), yt)
    history = fit(model, X, y, epochs=3, batch_size=32, optimizer=Adam(model, lr=3e-3),
                  X_val=Xt, y_val=yt, rng=1, progress=False)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.loss) == 3
    assert history.loss[-1] < history.loss[0] < before
    assert history.val_loss[-1] < before / 3
    assert history.val_accuracy[-1] == pytest.approx(accuracy(model, Xt, yt))
    assert history.val_accuracy[-1] > 0.9


def test_fit_is_deterministic_with_a_seed():
    X, y = data.load_digits("test")
    X = X[:, None] / 16

    def run():
        rng = np.random.default_rng(3)
        model = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=rng))
        return fit(model, X, y, 2, 50, SGD(model, lr=0.1, momentum=0.9), rng=4, progress=False)

    assert run() == run()


def test_fit_progress_bar_on_a_terminal(capsys):
    X, y = data.load_digits("test")
    model = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    fit(model, X[:, None] / 16, y, 2, 100, SGD(model, lr=0.1), rng=0, progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/2: loss" in err and "epoch 2/2: loss" in err and "%" in err


@pytest.mark.parametrize("call, error, message", [
    (lambda m: SGD(m, lr=0), ValueError, r"SGD: lr must be a positive number, got 0"),
    (lambda m: SGD(m, lr=0.1, momentum=1.0), ValueError, r"SGD: momentum must be a number in \[0, 1\)"),
    (lambda m: SGD([1, 2], lr=0.1), TypeError, r"SGD: params_and_grads must be a model or a list"),
    (lambda m: SGD(cl.Sequential(cl.ReLU()), lr=0.1), ValueError, r"SGD: params_and_grads is empty"),
    (lambda m: Adam(m, betas=(0.9, 1.5)), ValueError, r"Adam: betas must be two numbers in \[0, 1\)"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(3, int), 1, 2, SGD(m, lr=0.1), progress=False),
     ValueError, r"fit: y must have shape \(4,\)"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(4, int), 0, 2, SGD(m, lr=0.1), progress=False),
     ValueError, r"fit: epochs must be a positive integer, got 0"),
    (lambda m: fit(m, np.zeros((4, 4)), np.full(4, 7), 1, 2, SGD(m, lr=0.1), progress=False),
     ValueError, r"fit: labels must lie in 0..2"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(4, int), 1, 2, "sgd", progress=False),
     TypeError, r"fit: optimizer must have a step\(\) method"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(4, int), 1, 2, SGD(m, lr=0.1), X_val=np.zeros((2, 4)),
                   progress=False), ValueError, r"fit: give both X_val and y_val, or neither"),
])
def test_rejected_input(call, error, message):
    model = cl.Sequential(cl.Linear(4, 3, rng=0))
    with pytest.raises(error, match=message):
        call(model)
