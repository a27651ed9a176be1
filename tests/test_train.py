"""cnnlab/train.py: optimisers against hand-computed steps, and a real training run."""

import re
import subprocess
import sys

import numpy as np
import pytest

import cnnlab as cl
from cnnlab import data
from cnnlab.train import SGD, Adam, AdamW, SoftmaxCrossEntropy, accuracy, fit


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
     ValueError, r"fit: y must lie in 0..2"),
    (lambda m: fit(m, np.zeros((0, 4)), np.zeros(0, int), 1, 2, SGD(m, lr=0.1), progress=False),
     ValueError, r"fit: X must hold at least one sample, got shape \(0, 4\)"),
    (lambda m: fit(m, np.zeros((4, 4)), np.array([0, 1, -1, 2]), 1, 2, SGD(m, lr=0.1), progress=False),
     ValueError, r"fit: y must be class indices 0, 1, 2, ..., got -1"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(4), 1, 2, SGD(m, lr=0.1), progress=False),
     TypeError, r"fit: y must be integer class indices, got dtype float64"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(4, int), 1, 2, SGD(m, lr=0.1), X_val=np.zeros((2, 4)),
                   y_val=np.array([0, 5]), progress=False), ValueError, r"fit: y_val must lie in 0..2"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(4, int), 1, 2, SGD(m, lr=0.1), X_val=np.zeros((2, 5)),
                   y_val=np.zeros(2, int), progress=False), ValueError,
     r"fit: X_val must have samples of the shape of X's, \(4,\), got \(5,\)"),
    (lambda m: Adam(m, betas=0.9), TypeError, r"Adam: betas must be a pair of numbers \(beta1, beta2\)"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(4, int), 1, 2, "sgd", progress=False),
     TypeError, r"fit: optimizer must have a step\(\) method"),
    (lambda m: fit(m, np.zeros((4, 4)), np.zeros(4, int), 1, 2, SGD(m, lr=0.1), X_val=np.zeros((2, 4)),
                   progress=False), ValueError, r"fit: give both X_val and y_val, or neither"),
])
def test_rejected_input(call, error, message):
    model = cl.Sequential(cl.Linear(4, 3, rng=0))
    with pytest.raises(error, match=message):
        call(model)


# --- weight decay, AdamW, augment, modes, divergence, the notebook bar -------------------------

def test_sgd_weight_decay_adds_the_l2_gradient():
    p, g = _pair([1.0, -2.0], [0.5, 1.0])
    opt = SGD([(p, g)], lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step()          # g' = g + 0.01 p = (0.51, 0.98); v = -0.1 g'
    np.testing.assert_allclose(p, [1 - 0.051, -2 - 0.098])
    opt.step()          # g' = g + 0.01 p (new p); v = 0.9 v - 0.1 g'
    g2 = np.array([0.5 + 0.01 * 0.949, 1.0 + 0.01 * -2.098])
    np.testing.assert_allclose(p, [0.949, -2.098] + (0.9 * np.array([-0.051, -0.098]) - 0.1 * g2))


def test_adam_weight_decay_is_added_to_the_gradient_and_adamw_shrinks_the_weights():
    from cnnlab.train import AdamW
    # zero gradient: Adam's L2 term alone gives a first step of lr * sign(p); AdamW only decays
    p, g = _pair([2.0, -4.0], [0.0, 0.0])
    Adam([(p, g)], lr=0.01, weight_decay=0.1).step()
    np.testing.assert_allclose(p, [1.99, -3.99], rtol=1e-7)
    p, g = _pair([2.0, -4.0], [0.0, 0.0])
    AdamW([(p, g)], lr=0.01, weight_decay=0.1).step()
    np.testing.assert_allclose(p, [2.0 * 0.999, -4.0 * 0.999])
    # with a gradient: decay first, then Adam's step of about lr * sign(g)
    p, g = _pair([2.0], [3.0])
    AdamW([(p, g)], lr=0.01, weight_decay=0.1).step()
    np.testing.assert_allclose(p, [2.0 * 0.999 - 0.01], rtol=1e-7)


@pytest.mark.parametrize("make, message", [
    (lambda m: SGD(m, lr=0.1, weight_decay=-1), r"SGD: weight_decay must be a non-negative number"),
    (lambda m: Adam(m, weight_decay=float("nan")), r"Adam: weight_decay must be a non-negative number"),
    (lambda m: __import__("cnnlab.train").train.AdamW(m, lr=-1), r"AdamW: lr must be a positive number"),
])
def test_weight_decay_rejected_input(make, message):
    with pytest.raises(ValueError, match=message):
        make(cl.Sequential(cl.Linear(2, 2)))


def test_a_hyperparameter_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"Adam: weight_decay must be a non-negative number, got 'a' \(str\)"):
        Adam(cl.Linear(2, 2), weight_decay="a")


def _tiny_problem():
    X, y = data.load_digits("test")
    return X[:120, None] / 16, y[:120]


def test_fit_calls_augment_with_its_rng_and_trains_on_what_it_returns():
    X, y = _tiny_problem()
    seen = []

    def augment(xb, rng):
        assert isinstance(rng, np.random.Generator)
        seen.append(xb.shape)
        return np.zeros_like(xb)    # an all-zero batch: the weights of Linear never change

    model = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    w = model[1].params["W"].copy()
    fit(model, X, y, 2, 50, SGD(model, lr=0.5), rng=1, progress=False, augment=augment)
    assert seen == [(50, 1, 8, 8), (50, 1, 8, 8), (20, 1, 8, 8)] * 2
    np.testing.assert_array_equal(model[1].params["W"], w)
    with pytest.raises(ValueError, match=r"fit: augment must return a batch of the shape it was given"):
        fit(model, X, y, 1, 50, SGD(model, lr=0.1), progress=False, augment=lambda xb, rng: xb[:, 0])
    with pytest.raises(TypeError, match=r"fit: augment must be a function augment\(x_batch, rng\)"):
        fit(model, X, y, 1, 50, SGD(model, lr=0.1), progress=False, augment="shift")


def test_fit_trains_in_training_mode_and_validates_in_evaluation_mode():
    X, y = _tiny_problem()
    modes = []

    class Spy(cl.layers.Layer):
        def forward(self, x):
            modes.append(self.training)
            return x

        def backward(self, dout):
            return dout

    model = cl.Sequential(cl.Flatten(), Spy(), cl.Linear(64, 10, rng=0))
    model.eval()
    fit(model, X, y, 1, 60, SGD(model, lr=0.1), X_val=X[:30], y_val=y[:30], progress=False)
    # 2 training batches, then validation: the loss (1 batch) and the accuracy (1 batch)
    assert modes == [True, True, False, False]
    assert not model.training   # left as found


def test_a_diverging_loss_stops_fit_with_a_message_and_the_history_so_far(capsys):
    X, y = _tiny_problem()
    model = cl.Sequential(cl.Flatten(), cl.Linear(64, 32, rng=0), cl.ReLU(), cl.Linear(32, 10, rng=1))
    history = fit(model, X * 50, y, 20, 20, SGD(model, lr=50.0), rng=0, progress=False)
    out = capsys.readouterr().out
    assert history.stopped and "the loss diverged at epoch" in history.stopped
    assert "fit stopped early" in out and "smaller learning rate" in out
    assert len(history["loss"]) < 20 and all(np.isfinite(history["loss"]))
    assert "stopped" in repr(history)
    calm = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    assert fit(calm, X, y, 1, 20, SGD(calm, lr=0.1), progress=False).stopped is None


def test_the_notebook_progress_bar_is_stored_as_its_final_text(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import numpy as np, cnnlab as cl\n"
        "from cnnlab.train import fit, SGD\n"
        "rng = np.random.default_rng(0)\n"
        "X, y = rng.normal(size=(40, 1, 4, 4)), rng.integers(0, 3, 40)\n"
        "model = cl.Sequential(cl.Flatten(), cl.Linear(16, 3, rng=0))\n"
        "h = fit(model, X, y, 2, 10, SGD(model, lr=0.1), rng=0)")]
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "HBox" not in text and "FloatProgress" not in text
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert "[##############################] 100%  2 epochs of 4 batches" in text
    assert "epoch 1/2: loss" in text and "epoch 2/2: loss" in text
    assert not re.search(r"\d s\b", text)  # no timings: the stored text is the same every run
    assert all(o.get("name") != "stderr" for o in outputs)
    # What nbval sees when it re-runs the cell (it ignores display updates) equals what was stored
    path = tmp_path / "bar.ipynb"
    nbformat.write(nb, path)
    run = subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-q",
                          "-p", "no:cacheprovider", str(path)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-2000:]


# --- silent failures made loud (issue 14) ------------------------------------------------------

def test_a_parameter_array_replaced_after_building_the_optimiser_is_the_one_trained():
    X, y = _tiny_problem()
    model = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    opt = SGD(model, lr=0.5)
    old = model[1].params["W"]
    before = old.copy()
    new = np.random.default_rng(1).normal(0.0, 0.1, size=old.shape)
    model[1].params["W"] = new                          # replaced, not assigned in place
    assert model.params["1.W"] is new                   # the model's view follows the layer
    start = new.copy()
    fit(model, X, y, 1, 40, opt, rng=0, progress=False)
    assert model[1].params["W"] is new
    assert np.abs(new - start).max() > 1e-3            # trained
    np.testing.assert_array_equal(old, before)          # the old array is left alone
    # the model's view writes through to the layer too
    newer = np.zeros_like(new)
    model.params["1.W"] = newer
    assert model[1].params["W"] is newer


def test_an_optimiser_refuses_a_model_whose_parameters_changed_shape():
    model = cl.Sequential(cl.Flatten(), cl.Linear(4, 3, rng=0))
    opt = SGD(model, lr=0.1)
    model.layers[1] = cl.Linear(4, 2, rng=0)
    with pytest.raises(ValueError, match=r"SGD.step: the model's parameters changed since the "
                                         r"optimiser was built"):
        opt.step()


def test_fit_rejects_an_optimiser_built_on_another_model():
    X, y = _tiny_problem()
    model = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    other = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    with pytest.raises(ValueError, match=r"fit: optimizer updates 2 of its 2 arrays that are not "
                                         r"parameters of model"):
        fit(model, X, y, 1, 40, SGD(other, lr=0.1), progress=False)
    # an optimiser on part of the model (the rest frozen) is fine
    deep = cl.Sequential(cl.Flatten(), cl.Linear(64, 16, rng=0), cl.ReLU(), cl.Linear(16, 10, rng=1))
    frozen = deep[1].params["W"].copy()
    fit(deep, X, y, 1, 40, SGD(deep[3], lr=0.1), progress=False)
    np.testing.assert_array_equal(deep[1].params["W"], frozen)


def test_bad_labels_anywhere_are_reported_by_fit_before_training():
    X, y = _tiny_problem()
    y = y.copy()
    y[-1] = 10                                           # in the last batch of the epoch
    model = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    w = model[1].params["W"].copy()
    with pytest.raises(ValueError, match=r"fit: y must lie in 0..9 \(one per class of logits\), "
                                         r"got values from 0 to 10"):
        fit(model, X, y, 1, 20, SGD(model, lr=0.1), rng=0, progress=False)
    np.testing.assert_array_equal(model[1].params["W"], w)   # not one step was taken


class _PoisonAt(cl.layers.Layer):
    """Identity, except that forward call number ``at`` returns NaN (as a diverged layer would)."""

    def __init__(self, at):
        super().__init__()
        self.at, self.calls = at, 0

    def forward(self, x):
        self.calls += 1
        return x * np.nan if self.calls == self.at else x

    def backward(self, dout):
        return dout


def test_nan_activations_inside_the_model_stop_fit_as_divergence_with_the_history(capsys):
    X, y = _tiny_problem()                              # 120 samples: 3 batches of 40
    model = cl.Sequential(cl.Flatten(), _PoisonAt(5), cl.ReLU(), cl.Linear(64, 10, rng=0))
    history = fit(model, X, y, 3, 40, SGD(model, lr=0.1), rng=0, progress=False)
    assert history.stopped == ("the loss diverged at epoch 2, batch 2: NaN or infinite numbers "
                               "reached ReLU")
    assert len(history.loss) == 1 and np.isfinite(history.loss[0])
    out = capsys.readouterr().out
    assert "fit stopped early: the loss diverged at epoch 2, batch 2" in out
    assert "smaller learning rate" in out


def test_weights_blown_up_by_a_huge_learning_rate_stop_fit_as_divergence():
    X, y = _tiny_problem()
    model = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    history = fit(model, X, y, 3, 40, SGD(model, lr=1e308), rng=0, progress=False)
    assert history.stopped.startswith("the loss diverged at epoch 1, batch 2")
    assert history.loss == []


# --- no silent wrong result, no lost work (issue 27) -------------------------------------------

def _steps_by_hand(model, X, y, batch_size, seed, n_steps, lr):
    """The first ``n_steps`` SGD steps of `fit` (same shuffles), written out: the reference."""
    rng = np.random.default_rng(seed)
    loss, opt, done = SoftmaxCrossEntropy(), SGD(model, lr=lr), 0
    while done < n_steps:
        order = rng.permutation(len(X))
        for b in range(0, len(X), batch_size):
            if done == n_steps:
                break
            idx = order[b:b + batch_size]
            loss.forward(model.forward(X[idx]), y[idx])
            model.backward(loss.backward())
            opt.step()
            done += 1
    return model


def _two_layer(seed=0):
    return cl.Sequential(cl.Flatten(), cl.Linear(64, 16, rng=seed), cl.ReLU(), cl.Linear(16, 10, rng=seed + 1))


def _weights(model):
    return [p.copy() for p, _ in model.parameters()]


def test_an_interrupt_stops_fit_with_the_finished_epochs_and_the_weights_of_the_last_step(capsys):
    X, y = _tiny_problem()                              # 120 samples: 3 batches of 40
    calls = []

    def augment(xb, rng):                               # the stop button, during batch 2 of epoch 2
        calls.append(len(calls))
        if len(calls) == 5:
            raise KeyboardInterrupt
        return xb

    model = _two_layer()
    model.eval()
    history = fit(model, X, y, 4, 40, SGD(model, lr=0.1), rng=0, progress=False, augment=augment)
    assert history.stopped == "interrupted at epoch 2, batch 2"
    fresh = _two_layer()
    one_epoch = fit(fresh, X, y, 1, 40, SGD(fresh, lr=0.1), rng=0, progress=False)
    assert history.loss == pytest.approx(one_epoch.loss) and len(history.accuracy) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("fit interrupted at epoch 2, batch 2: batch 2 took no step")
    assert "4 step(s)" in out[0] and "1 completed epoch(s)" in out[0]
    reference = _steps_by_hand(_two_layer(), X, y, 40, 0, 4, 0.1)   # epoch 1's 3 steps + batch 1
    for got, want in zip(_weights(model), _weights(reference)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert not model.training                           # left in the mode it was in
    import signal
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_inside_a_layer_closes_the_progress_bar_and_keeps_the_running_statistics(monkeypatch):
    X, y = _tiny_problem()
    closed = []

    class Bar:
        def __init__(self, epochs, n_batches):
            pass

        def update(self, *args):
            pass

        def end_epoch(self, *args):
            pass

        def close(self, stopped=None):
            closed.append(stopped)

    class StopAt(cl.layers.Layer):                      # raises in forward call number `at`
        def __init__(self, at):
            super().__init__()
            self.at, self.calls = at, 0

        def forward(self, x):
            self.calls += 1
            if self.calls == self.at:
                raise KeyboardInterrupt
            return x

        def backward(self, dout):
            return dout

    monkeypatch.setattr(cl.train, "_ProgressBar", Bar)
    bn = cl.BatchNorm1D(64)
    model = cl.Sequential(cl.Flatten(), bn, StopAt(3), cl.Linear(64, 10, rng=0))
    seen = []
    original = bn.forward

    def forward(x):                                     # the statistics before each batch
        seen.append((bn.running_mean.copy(), bn.running_var.copy()))
        return original(x)

    bn.forward = forward
    history = fit(model, X, y, 2, 40, SGD(model, lr=0.1), rng=0, progress=True)
    assert history.stopped == "interrupted at epoch 1, batch 3" and history.loss == []
    assert closed == ["interrupted at epoch 1, batch 3"]
    # batch 3 went through the batch normalisation, then was interrupted: its update is undone
    np.testing.assert_array_equal(bn.running_mean, seen[2][0])
    np.testing.assert_array_equal(bn.running_var, seen[2][1])
    assert not np.array_equal(seen[2][0], seen[1][0])   # (the batches before did update them)


def test_an_interrupt_during_validation_keeps_every_list_one_entry_per_completed_epoch(capsys):
    X, y = _tiny_problem()

    class StopInEval(cl.layers.Layer):                  # raises in its second evaluation pass
        def __init__(self):
            super().__init__()
            self.evals = 0

        def forward(self, x):
            if not self.training:
                self.evals += 1
                if self.evals == 3:                     # epoch 2's validation loss (1 + 1 passes per epoch)
                    raise KeyboardInterrupt
            return x

        def backward(self, dout):
            return dout

    model = cl.Sequential(cl.Flatten(), StopInEval(), cl.Linear(64, 10, rng=0))
    history = fit(model, X, y, 3, 40, SGD(model, lr=0.1), X_val=X[:40], y_val=y[:40], rng=0,
                  progress=False)
    assert history.stopped == "interrupted at epoch 2, after its 3 batches"
    assert [len(v) for v in history.values()] == [1, 1, 1, 1]
    assert "the weights are those after the epoch's last step (6 step(s) in all)" in capsys.readouterr().out


class _SignalInStep(SGD):
    """SGD whose step sends the process SIGINT (the stop button) between two parameter updates."""

    def __init__(self, model, lr, at, times=1):
        super().__init__(model, lr=lr)
        self.at, self.times, self.steps = at, times, 0

    def step(self):
        import signal
        self.steps += 1
        for i, ((param, grad), vel) in enumerate(zip(self._current_pairs(), self.velocity)):
            if self.steps == self.at and i == 1:
                for _ in range(self.times):
                    signal.raise_signal(signal.SIGINT)
            vel *= self.momentum
            vel -= self.lr * grad
            param += vel


def test_an_interrupt_inside_the_optimiser_step_waits_until_the_step_is_done(capsys):
    X, y = _tiny_problem()
    model = _two_layer()
    history = fit(model, X, y, 2, 40, _SignalInStep(model, 0.1, at=5), rng=0, progress=False)
    assert history.stopped == "interrupted at epoch 2, batch 2"
    assert "batch 2's step was completed first" in capsys.readouterr().out
    reference = _steps_by_hand(_two_layer(), X, y, 40, 0, 5, 0.1)   # every weight got step 5
    for got, want in zip(_weights(model), _weights(reference)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_a_second_interrupt_inside_the_step_stops_at_once_and_says_the_weights_may_be_partly_updated(capsys):
    X, y = _tiny_problem()
    model = _two_layer()
    history = fit(model, X, y, 2, 40, _SignalInStep(model, 0.1, at=2, times=2), rng=0, progress=False)
    assert history.stopped == "interrupted at epoch 1, batch 2, inside the optimiser's step"
    assert "some weights may hold this step's update and others not" in capsys.readouterr().out


@pytest.mark.parametrize("labels, error, message", [
    (lambda y: y[:, None], ValueError, r"accuracy: y must have shape \(120,\), one label per sample of X, "
                                       r"got \(120, 1\)"),
    (lambda y: y[:-1], ValueError, r"accuracy: y must have shape \(120,\).*got \(119,\)"),
    (lambda y: y.astype(float), TypeError, r"accuracy: y must be integer class indices"),
    (lambda y: -y - 1, ValueError, r"accuracy: y must be class indices 0, 1, 2, ..., got -10"),
])
def test_accuracy_checks_the_labels_as_fit_does(labels, error, message):
    X, y = _tiny_problem()
    model = cl.Sequential(cl.Flatten(), cl.Linear(64, 10, rng=0))
    right = np.mean(model.predict(X) == y)              # the reference: one label per sample
    assert accuracy(model, X, y) == pytest.approx(right)
    with pytest.raises(error, match=message):
        accuracy(model, X, labels(y))
    with pytest.raises(ValueError, match=r"accuracy: X must hold at least one sample"):
        accuracy(model, X[:0], y[:0])


def test_the_stop_button_of_a_kernel_stops_fit_with_the_history_and_no_traceback():
    """JupyterLab's stop button is a SIGINT to the kernel (interrupt_kernel): fit returns."""
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        code = (
            "import numpy as np, cnnlab as cl\n"
            "from cnnlab.train import fit, SGD\n"
            "rng = np.random.default_rng(0)\n"
            "X, y = rng.normal(size=(64, 1, 8, 8)), rng.integers(0, 3, 64)\n"
            "model = cl.Sequential(cl.Conv2D(1, 4, 3, rng=0), cl.ReLU(), cl.Flatten(), cl.Linear(144, 3, rng=0))\n"
            "def augment(xb, rng, seen=[]):\n"
            "    if len(seen) == 20:\n"
            "        print('training', flush=True)\n"
            "    seen.append(1)\n"
            "    return xb\n"
            "h = fit(model, X, y, 10**6, 8, SGD(model, lr=0.01), rng=0, augment=augment)\n"
            "print('returned:', h.stopped.split(',')[0], len(h.loss) >= 2)\n")
        msg_id = kc.execute(code)
        out, interrupted = "", False
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out += content["text"]
                if "training" in out and not interrupted:
                    km.interrupt_kernel()                      # the stop button
                    interrupted = True
            elif kind == "error":
                out += "ERROR " + content["ename"]
            elif kind == "status" and content["execution_state"] == "idle":
                break
        reply = kc.get_shell_msg(timeout=60)
        assert reply["content"]["status"] == "ok", out
        assert "ERROR" not in out and "KeyboardInterrupt" not in out
        assert re.search(r"fit interrupted at epoch \d+, batch \d+", out), out
        assert "returned: interrupted at epoch" in out and out.rstrip().endswith("True")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# --- hyperparameters as NumPy scalars, fit on a single layer ----------------------------------
@pytest.mark.parametrize("make", [
    lambda m: SGD(m, lr=np.float32(0.1), momentum=np.float64(0.5), weight_decay=np.float32(0.01)),
    lambda m: Adam(m, lr=np.float32(0.01), betas=(np.float32(0.9), np.float64(0.99)), eps=np.float32(1e-7)),
    lambda m: AdamW(m, lr=np.float16(0.01), betas=[np.float64(0.8), 0.9]),
])
def test_optimisers_take_numpy_scalars_as_python_numbers(make):
    model = cl.Linear(2, 2, rng=0)
    opt = make(model)
    assert all(type(x) is float for x in (opt.lr, *getattr(opt, "betas", ())))
    assert opt.lr == pytest.approx(float(make(model).lr))


def test_fit_trains_and_validates_a_single_layer():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    layer = cl.Linear(3, 2, rng=0)
    history = fit(layer, X, y, 2, 8, SGD(layer, lr=0.1), X_val=X, y_val=y, progress=False)
    assert len(history["val_accuracy"]) == 2
    expected = (X @ layer.params["W"] + layer.params["b"]).argmax(axis=1)
    np.testing.assert_array_equal(layer.predict(X, batch_size=7), expected)
    assert accuracy(layer, X, y) == pytest.approx(np.mean(expected == y))
