"""cnnlab/layers.py: forward against the functions, backward against numerical gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab as cl
from cnnlab.gradcheck import check_layer


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _nonzero_bias(layer, seed=1):
    # random, non-zero parameters: zero biases could hide a wrong bias gradient
    for p in layer.params.values():
        p[...] = np.random.default_rng(seed).normal(size=p.shape)
    return layer


@pytest.mark.parametrize("layer, x", [
    (cl.Conv2D(2, 3, 3, rng=0), _x(2, 2, 6, 7)),
    (cl.Conv2D(2, 3, (3, 2), stride=2, padding=1, rng=0), _x(2, 2, 7, 7)),
    (cl.Conv2D(1, 2, 3, stride=(2, 1), padding="same", rng=0), _x(3, 1, 6, 5)),
    (cl.Conv2D(2, 2, 3, dilation=2, padding=(2, 1), rng=0), _x(2, 2, 7, 7)),
    (cl.Linear(5, 4, rng=0), _x(3, 5)),
    (cl.ReLU(), _x(2, 3, 4, 4)),
    (cl.MaxPool2D(2), _x(2, 2, 6, 6)),
    (cl.MaxPool2D(3, stride=2), _x(2, 2, 7, 7)),     # overlapping windows
    (cl.MaxPool2D(3, stride=1), _x(1, 2, 5, 6)),
    (cl.AvgPool2D(2), _x(2, 2, 5, 5)),              # last row/column dropped
    (cl.AvgPool2D((3, 2), stride=(2, 1)), _x(2, 2, 7, 6)),
    (cl.Flatten(), _x(2, 3, 2, 2)),
])
def test_backward_matches_numerical_gradients(layer, x):
    report = check_layer(_nonzero_bias(layer), x, rng=2)
    assert report.passed, str(report)
    assert set(report.errors) == {"x", *layer.params}


def test_whole_model_gradient_check():
    rng = np.random.default_rng(3)
    model = cl.Sequential(cl.Conv2D(1, 3, 3, padding=1, rng=rng), cl.ReLU(), cl.MaxPool2D(2),
                          cl.Conv2D(3, 4, 2, rng=rng), cl.ReLU(), cl.Flatten(), cl.Linear(16, 5, rng=rng))
    report = check_layer(model, rng.normal(size=(2, 1, 6, 6)), rng=4)
    assert report.passed, str(report)
    assert len(report.errors) == 1 + 6


def test_forward_equals_the_loop_reference():
    # the layers compute with cnnlab's fast functions; the reference loops are independent
    from cnnlab import reference as ref
    rng = np.random.default_rng(5)
    conv = _nonzero_bias(cl.Conv2D(3, 4, 3, stride=2, padding=1, rng=rng))
    x = rng.normal(size=(2, 3, 9, 9))
    np.testing.assert_allclose(conv.forward(x), ref.conv2d(x, conv.params["W"], conv.params["b"], 2, 1))
    lin = _nonzero_bias(cl.Linear(6, 2, rng=rng))
    z = rng.normal(size=(4, 6))
    np.testing.assert_allclose(lin(z), ref.linear(z, lin.params["W"], lin.params["b"]))
    np.testing.assert_array_equal(cl.MaxPool2D(2).forward(x), ref.max_pool2d(x, 2))
    np.testing.assert_allclose(cl.AvgPool2D(3, 2).forward(x), ref.avg_pool2d(x, 3, 2))
    np.testing.assert_array_equal(cl.ReLU().forward(x), ref.relu(x))


def test_params_are_live_and_grads_update_in_place():
    conv = cl.Conv2D(1, 1, 3, rng=0)
    x = np.ones((1, 1, 3, 3))
    conv.params["W"][...] = 2.0
    conv.params["b"][...] = 1.0
    assert conv.forward(x)[0, 0, 0, 0] == 19.0
    grad_array = conv.grads["W"]
    conv.backward(np.ones((1, 1, 1, 1)))
    assert conv.grads["W"] is grad_array
    np.testing.assert_array_equal(grad_array, np.ones((1, 1, 3, 3)))


def test_he_initialisation_scale_and_seeding():
    conv = cl.Conv2D(16, 64, 3, rng=0)
    assert conv.params["W"].shape == (64, 16, 3, 3)
    assert conv.params["W"].std() == pytest.approx(np.sqrt(2 / (16 * 9)), rel=0.05)
    np.testing.assert_array_equal(conv.params["b"], 0)
    np.testing.assert_array_equal(cl.Linear(4, 3, rng=7).params["W"], cl.Linear(4, 3, rng=7).params["W"])
    assert not np.array_equal(cl.Linear(4, 3, rng=7).params["W"], cl.Linear(4, 3, rng=8).params["W"])
    assert cl.Conv2D(1, 2, 3, dtype=np.float32).params["W"].dtype == np.float32


def test_lenet5_summary_counts_61706_parameters():
    lenet = cl.Sequential(
        cl.Conv2D(1, 6, 5, padding=2), cl.ReLU(), cl.AvgPool2D(2),
        cl.Conv2D(6, 16, 5), cl.ReLU(), cl.AvgPool2D(2), cl.Flatten(),
        cl.Linear(400, 120), cl.ReLU(), cl.Linear(120, 84), cl.ReLU(), cl.Linear(84, 10))
    summary = lenet.summary((1, 28, 28))
    # (5*5*1+1)*6, (5*5*6+1)*16, 400*120+120, 120*84+84, 84*10+10
    assert [n for _, _, n, _ in summary.rows if n] == [156, 2416, 48120, 10164, 850]
    assert summary.total == 61706 == cl.count_params(lenet)
    # MACs: 6*28*28*(1*5*5), 16*10*10*(6*5*5), 400*120, 120*84, 84*10; none for ReLU, pooling
    assert [m for _, _, _, m in summary.rows if m] == [117600, 240000, 48000, 10080, 840]
    assert summary.total_macs == 416520 == cl.count_macs(lenet, (1, 28, 28))
    text = str(summary)
    assert "(6, 28, 28)" in text and "(16, 5, 5)" in text and "61,706" in text
    assert "MACs" in text and "416,520" in text
    assert "<table>" in summary._repr_html_()
    assert lenet.forward(np.zeros((2, 1, 28, 28))).shape == (2, 10)


def test_sequential_predict_and_parameters():
    rng = np.random.default_rng(6)
    model = cl.Sequential(cl.Flatten(), cl.Linear(4, 3, rng=rng))
    x = rng.normal(size=(5, 1, 2, 2))
    scores = x.reshape(5, 4) @ model[1].params["W"]
    np.testing.assert_array_equal(model.predict(x, batch_size=2), scores.argmax(1))
    assert len(model.parameters()) == 2 and set(model.params) == {"1.W", "1.b"}
    assert model.params["1.W"] is model[1].params["W"]


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.ReLU().backward(np.ones(3)), RuntimeError, r"ReLU.backward: forward must run first"),
    (lambda: cl.Conv2D(1, 2, 3).backward(np.ones((1, 2, 1, 1))), RuntimeError,
     r"Conv2D.backward: forward must run first"),
    (lambda: cl.Sequential(cl.ReLU()).backward(np.ones(3)), RuntimeError,
     r"Sequential.backward: forward must run first"),
    (lambda: cl.Conv2D(1, 2, 3).forward(np.zeros((1, 3, 8, 8))), ValueError,
     r"Conv2D: input has 3 channels but the layer expects 1"),
    (lambda: cl.Conv2D(1, 2, 3).forward(np.zeros((8, 8))), ValueError,
     r"Conv2D: input must be 4-D \(N, C, H, W\), got shape \(8, 8\)"),
    (lambda: cl.Conv2D(1, 2, 5).forward(np.zeros((1, 1, 4, 8))), ValueError,
     r"Conv2D: the filter \(size 5\) is larger than the input along height"),
    (lambda: cl.Linear(4, 2).forward(np.zeros((2, 5))), ValueError,
     r"Linear: input must have 4 features, got shape \(5,\)"),
    (lambda: cl.MaxPool2D(3).forward(np.zeros((1, 1, 2, 2))), ValueError, r"MaxPool2D: the window"),
    (lambda: cl.Conv2D(0, 2, 3), ValueError, r"Conv2D: in_channels must be a positive integer, got 0"),
    (lambda: cl.Conv2D(1, 2, 2, padding="same"), ValueError, r"Conv2D: padding='same' needs an odd"),
    (lambda: cl.Linear(3, 2, rng="seed"), TypeError, r"Linear: rng must be a numpy.random.Generator"),
    (lambda: cl.Sequential(cl.ReLU(), "relu"), TypeError, r"Sequential: argument 1 must be a cnnlab layer"),
    (lambda: cl.Sequential(cl.Linear(3, 2)).summary((4,)), ValueError, r"Linear: input must have 3 features"),
    (lambda: cl.count_params([1, 2]), TypeError, r"count_params: model must be a cnnlab layer"),
])
def test_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_backward_checks_the_upstream_shape():
    layer = cl.Linear(3, 2, rng=0)
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Linear.backward: dout must have the output's shape \(4, 2\)"):
        layer.backward(np.zeros((4, 3)))


@settings(max_examples=25)
@given(data=st.data())
def test_conv2d_backward_on_random_geometry(data):
    # both window layouts (stride 1 and strided), padding, dilation, rectangular kernels
    kh, kw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    padding = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
    dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 6))
    w = data.draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 6))
    seed = data.draw(st.integers(0, 2**16))
    layer = cl.Conv2D(2, 2, (kh, kw), stride=stride, padding=padding, dilation=dilation, rng=seed)
    report = check_layer(_nonzero_bias(layer, seed), _x(2, 2, h, w, seed=seed), rng=seed)
    assert report.passed, str(report)


# --- grouped convolution, GlobalAvgPool2D, modes, MACs ----------------------------------------

@pytest.mark.parametrize("layer, x", [
    (cl.Conv2D(4, 6, 3, padding=1, groups=2, rng=0), _x(2, 4, 5, 5)),
    (cl.Conv2D(3, 3, 3, stride=2, padding=1, groups=3, rng=0), _x(2, 3, 6, 5)),     # depthwise
    (cl.Conv2D(2, 4, (2, 3), dilation=(2, 1), groups=2, rng=0), _x(2, 2, 6, 6)),
    (cl.Conv2D(4, 2, 1, groups=2, bias=False, rng=0), _x(3, 4, 3, 3)),
    (cl.GlobalAvgPool2D(), _x(3, 4, 3, 5)),
])
def test_new_layers_backward_matches_numerical_gradients(layer, x):
    report = check_layer(_nonzero_bias(layer), x, rng=2)
    assert report.passed, str(report)
    assert set(report.errors) == {"x", *layer.params}


def test_grouped_conv2d_layer_equals_the_loop_reference():
    from cnnlab import reference as ref
    layer = _nonzero_bias(cl.Conv2D(6, 4, 3, stride=2, padding=1, groups=2, rng=0))
    x = _x(2, 6, 7, 7)
    out = layer.forward(x)
    np.testing.assert_allclose(out, ref.conv2d(x, layer.params["W"], layer.params["b"], 2, 1, groups=2))


def test_conv2d_groups_shape_bias_and_he_initialisation():
    layer = cl.Conv2D(32, 64, 3, groups=4, bias=False, rng=0)
    assert layer.params["W"].shape == (64, 8, 3, 3) and list(layer.params) == ["W"] == list(layer.grads)
    # He: std sqrt(2 / fan_in), fan_in = C/groups * KH * KW = 72
    assert abs(layer.params["W"].std() / np.sqrt(2 / 72) - 1) < 0.03
    assert "groups=4" in repr(layer) and "bias=False" in repr(layer)
    assert cl.count_params(layer) == 64 * 8 * 9


def test_global_avg_pool_is_the_mean_of_each_map():
    x = _x(2, 3, 4, 5)
    np.testing.assert_allclose(cl.GlobalAvgPool2D().forward(x), x.mean(axis=(2, 3)))
    layer = cl.GlobalAvgPool2D()
    layer.forward(x)
    dx = layer.backward(np.array([[20.0, 0, 0], [0, 0, 40.0]]))
    np.testing.assert_allclose(dx[0, 0], np.ones((4, 5)))      # 20 spread over 20 positions
    np.testing.assert_allclose(dx[1, 2], 2 * np.ones((4, 5)))
    assert layer.output_shape((3, 4, 5)) == (3,)


def test_modes_pass_down_and_predict_evaluates_and_restores_the_mode():
    rng = np.random.default_rng(0)
    model = cl.Sequential(cl.Flatten(), cl.Linear(8, 6, rng=rng), cl.BatchNorm1D(6), cl.ReLU(),
                          cl.Dropout(0.5, rng=rng), cl.Linear(6, 3, rng=rng))
    assert all(layer.training for layer in model) and model.training
    assert model.eval() is model and not any(layer.training for layer in model)
    assert model.train() is model and all(layer.training for layer in model)
    x = rng.normal(size=(10, 2, 2, 2))
    model.forward(x)  # moves the running statistics away from 0 and 1
    running = model[2].running_mean.copy()
    expected = model.eval().forward(x).argmax(axis=1)
    model.train()
    np.testing.assert_array_equal(model.predict(x, batch_size=3), expected)
    assert model.training and model[4].training
    np.testing.assert_array_equal(model[2].running_mean, running)   # eval did not update them
    model.eval()
    model.predict(x)
    assert not model.training


def test_count_macs_of_standard_shapes():
    # 3x3 conv 16 -> 32 on 8x8 'same': 32*8*8*16*9; depthwise 16 channels: 16*8*8*1*9
    assert cl.count_macs(cl.Conv2D(16, 32, 3, padding=1), (16, 8, 8)) == 32 * 64 * 16 * 9
    assert cl.count_macs(cl.Conv2D(16, 16, 3, padding=1, groups=16), (16, 8, 8)) == 16 * 64 * 9
    assert cl.count_macs(cl.Linear(10, 4), (10,)) == 40
    assert cl.count_macs(cl.Sequential(cl.ReLU(), cl.MaxPool2D(2), cl.Dropout(0.5)), (1, 4, 4)) == 0


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.Conv2D(4, 6, 3, groups=4), ValueError,
     r"Conv2D: groups=4 must divide both in_channels \(4\) and out_channels \(6\)"),
    (lambda: cl.Conv2D(4, 4, 3, groups=0), ValueError, r"Conv2D: groups must be a positive integer"),
    (lambda: cl.Conv2D(4, 4, 3, bias="no"), TypeError, r"Conv2D: bias must be True or False"),
    (lambda: cl.GlobalAvgPool2D().forward(np.zeros((2, 3))), ValueError,
     r"GlobalAvgPool2D: input must be 4-D \(N, C, H, W\), got shape \(2, 3\)"),
    (lambda: cl.count_macs("model", (1, 2, 2)), TypeError, r"count_macs: model must be a cnnlab layer"),
    (lambda: cl.count_macs(cl.ReLU(), 5), TypeError, r"count_macs: input_shape must be a tuple of positive"),
    (lambda: cl.count_macs(cl.Linear(3, 2), (4,)), ValueError, r"Linear: input must have 3 features"),
])
def test_new_rejected_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("layer", [cl.MaxPool2D(3, stride=2, padding=1), cl.AvgPool2D(3, stride=2, padding=1),
                                   cl.MaxPool2D((2, 3), stride=1, padding=(1, 0))])
def test_padded_pooling_backward_matches_numerical_gradients(layer):
    report = check_layer(layer, _x(2, 2, 7, 6), rng=3)
    assert report.passed, str(report)


def test_padded_max_pool_never_picks_the_padding_and_avg_counts_it():
    x = -np.ones((1, 1, 2, 2))                      # all negative: zeros would win
    np.testing.assert_array_equal(cl.MaxPool2D(2, stride=2, padding=1).forward(x), -np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(cl.AvgPool2D(2, stride=2, padding=1).forward(x), -0.25 * np.ones((1, 1, 2, 2)))
    assert cl.MaxPool2D(3, stride=2, padding=1).output_shape((64, 112, 112)) == (64, 56, 56)
    with pytest.raises(ValueError, match=r"MaxPool2D: padding must be at most half the window size"):
        cl.MaxPool2D(2, padding=2)


# --- silent failures made loud (issue 14) ------------------------------------------------------

@pytest.mark.parametrize("make, key, bad, error, message", [
    (lambda: cl.Conv2D(1, 2, 3, rng=0), "W", np.zeros((3, 1, 3, 3)), ValueError,
     r"Conv2D: params\['W'\] must have shape \(2, 1, 3, 3\), got \(3, 1, 3, 3\)"),
    (lambda: cl.Conv2D(1, 2, 3, rng=0), "b", np.zeros(3), ValueError,
     r"Conv2D: params\['b'\] must have shape \(2,\), got \(3,\)"),
    (lambda: cl.Linear(3, 2, rng=0), "W", np.zeros((2, 3)), ValueError,
     r"Linear: params\['W'\] must have shape \(3, 2\), got \(2, 3\)"),
    (lambda: cl.Linear(3, 2, rng=0), "W", [[0.0, 0.0]] * 3, TypeError,
     r"Linear: params\['W'\] must be a floating NumPy array, got list; assign in place"),
    (lambda: cl.Linear(3, 2, rng=0), "W", np.zeros((3, 2), int), TypeError,
     r"Linear: params\['W'\] must be a floating NumPy array, got dtype int64"),
    (lambda: cl.Linear(3, 2, rng=0), "b", np.full(2, np.nan), ValueError,
     r"Linear: params\['b'\] contains NaN or infinite values"),
    (lambda: cl.BatchNorm1D(3), "gamma", np.ones(4), ValueError,
     r"BatchNorm1D: params\['gamma'\] must have shape \(3,\), got \(4,\)"),
])
def test_a_replaced_parameter_that_cannot_work_is_refused_in_forward(make, key, bad, error, message):
    layer = make()
    layer.params[key] = bad
    x = np.ones((2, 1, 5, 5)) if isinstance(layer, cl.Conv2D) else np.ones((2, 3))
    with pytest.raises(error, match=message):
        layer.forward(x)


def test_a_replaced_parameter_of_the_right_shape_is_used():
    layer = cl.Linear(2, 1, rng=0)
    layer.params["W"] = np.array([[2.0], [3.0]])
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 1.0]])), [[5.0]])


@pytest.mark.parametrize("build, message", [
    (lambda lin: cl.Sequential(lin, cl.ReLU(), lin),
     r"Sequential: the same Linear object is used twice \(as layer 0 and as layer 2\)"),
    (lambda lin: cl.Sequential(cl.Sequential(lin), cl.Residual(lin)),
     r"Sequential: the same Linear object is used twice \(as layer 0.0 and as layer 1.body\)"),
    (lambda lin: cl.Residual(lin, shortcut=lin),
     r"Residual: the same Linear object is used twice \(as layer body and as layer shortcut\)"),
])
def test_a_layer_object_used_twice_in_one_model_is_refused(build, message):
    with pytest.raises(ValueError, match=message + r".*Use a separate layer"):
        build(cl.Linear(4, 4, rng=0))


def test_two_separate_layers_of_the_same_kind_are_fine():
    model = cl.Sequential(cl.Linear(4, 4, rng=0), cl.ReLU(), cl.Linear(4, 4, rng=1))
    report = check_layer(_nonzero_bias(model), _x(3, 4), rng=0)
    assert report.passed, str(report)


@pytest.mark.parametrize("dout, error, message", [
    (np.full((2, 3), np.nan), ValueError, r"ReLU.backward: dout contains NaN or infinite values"),
    (np.ones((2, 3)) * 1j, TypeError, r"ReLU.backward: dout must hold real numbers, got dtype complex128"),
    (np.array([[1, 2, 3], [4, 5, "a"]], dtype=object), ValueError,
     r"ReLU.backward: dout must be a rectangular array of numbers"),
])
def test_backward_rejects_what_forward_would_reject(dout, error, message):
    layer = cl.ReLU()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(error, match=message):
        layer.backward(dout)


@pytest.mark.parametrize("layer, x", [
    (cl.Linear(3, 2, rng=0), np.ones((2, 3))), (cl.Conv2D(1, 1, 1, rng=0), np.ones((2, 1, 2, 2))),
    (cl.MaxPool2D(1), np.ones((2, 1, 2, 2))), (cl.Flatten(), np.ones((2, 1, 2, 2))),
    (cl.GlobalAvgPool2D(), np.ones((2, 1, 2, 2))), (cl.Dropout(0.5, rng=0), np.ones((2, 3))),
    (cl.BatchNorm1D(3), np.arange(6.0).reshape(2, 3)),
])
def test_every_layer_checks_dout_for_nan(layer, x):
    out = layer.forward(x)
    with pytest.raises(ValueError, match=rf"{layer.name}.backward: dout contains NaN"):
        layer.backward(np.full(out.shape, np.nan))


@pytest.mark.parametrize("make, name", [
    (lambda: cl.Linear(3, 2, dtype=int), "Linear"),
    (lambda: cl.Conv2D(1, 2, 3, dtype=np.int32), "Conv2D"),
    (lambda: cl.BatchNorm2D(3, dtype=bool), "BatchNorm2D"),
    (lambda: cl.Linear(3, 2, dtype="float"), None),
])
def test_layers_refuse_non_floating_dtypes(make, name):
    if name is None:   # "float" is numpy's float64: fine
        assert make().params["W"].dtype == np.float64
        return
    with pytest.raises(TypeError, match=rf"{name}: dtype must be a floating NumPy dtype"):
        make()


def test_a_batch_of_zero_samples_flows_through_flatten():
    layer = cl.Flatten()
    assert layer.forward(np.zeros((0, 2, 3))).shape == (0, 6)
    assert layer.backward(np.zeros((0, 6))).shape == (0, 2, 3)


@pytest.mark.parametrize("shape", ["abc", (1, "a", 3), (1, 2.5, 3), (1, 0, 3), 28, ()])
def test_summary_refuses_what_is_not_a_shape(shape):
    model = cl.Sequential(cl.Flatten(), cl.Linear(9, 2, rng=0))
    with pytest.raises(TypeError, match=r"Sequential.summary: input_shape must be a tuple of positive integers"):
        model.summary(shape)


def test_summary_accepts_numpy_integers():
    model = cl.Sequential(cl.Flatten(), cl.Linear(9, 2, rng=0))
    assert model.summary(np.array([1, 3, 3]).tolist()).total == 20
    assert model.summary(tuple(np.int64(n) for n in (1, 3, 3))).total == 20


def test_layer_modules_call_operation_pairs_only():
    # each layer computes with an operation pair of cnnlab.ops: the core (``_forward``,
    # ``_backward``) of a module whose public pair (``x_forward``, ``x_backward``) a learner can
    # call; otherwise the modules of cnnlab.nn share no private names but _validation and the
    # base layer's (cnnlab/nn/layer.py)
    import ast
    import importlib
    import pathlib
    root = pathlib.Path(cl.__file__).parent / "nn"
    for name in ("layers", "sequential", "normalization", "regularization", "residual"):
        tree = ast.parse((root / f"{name}.py").read_text())
        ops_aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                module = node.module or ""
                names = [a.name for a in node.names]
                if module == "layer":
                    continue
                if module == "ops":
                    ops_aliases.update({a.asname or a.name: a.name for a in node.names})
                elif module.startswith("ops."):
                    ops_aliases.update({a.asname or a.name: module[4:] for a in node.names
                                        if a.asname and a.asname.startswith("_")})
                private = [n for n in names if n.startswith("_") and n != "_validation"]
                assert not private, f"cnnlab/nn/{name}.py imports private {private} from .{module}"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in ops_aliases and node.attr.startswith("_")):
                assert node.attr in ("_forward", "_backward"), (name, node.attr)
                op = importlib.import_module(f"cnnlab.ops.{ops_aliases[node.value.id]}")
                suffix = node.attr[1:]
                assert [n for n in op.__all__ if n.endswith("_" + suffix)], (name, op.__name__, suffix)


# --- the input changed in place between forward and backward (issue 27) ------------------------

def _conv_block(seed):
    rng = np.random.default_rng(seed)
    return cl.Sequential(cl.Conv2D(2, 2, 3, padding=1, rng=rng), cl.ReLU(), cl.Conv2D(2, 2, 3, padding=1, rng=rng))


_EVERY_LAYER = [
    ("Conv2D", lambda: _nonzero_bias(cl.Conv2D(2, 3, 3, rng=0)), (2, 2, 6, 7)),
    ("Conv2D strided, grouped", lambda: cl.Conv2D(2, 4, 3, stride=2, padding=1, groups=2, rng=0), (2, 2, 7, 7)),
    ("Linear", lambda: _nonzero_bias(cl.Linear(5, 4, rng=0)), (3, 5)),
    ("ReLU", cl.ReLU, (2, 3, 4, 4)),
    ("MaxPool2D", lambda: cl.MaxPool2D(2), (2, 2, 6, 6)),
    ("MaxPool2D padded", lambda: cl.MaxPool2D(3, stride=2, padding=1), (2, 2, 7, 7)),
    ("AvgPool2D", lambda: cl.AvgPool2D(2), (2, 2, 6, 6)),
    ("GlobalAvgPool2D", cl.GlobalAvgPool2D, (2, 3, 4, 4)),
    ("Flatten", cl.Flatten, (2, 3, 4, 4)),
    ("BatchNorm2D", lambda: _nonzero_bias(cl.BatchNorm2D(3)), (4, 3, 2, 2)),
    ("BatchNorm2D eval", lambda: _nonzero_bias(cl.BatchNorm2D(3)).eval(), (4, 3, 2, 2)),
    ("BatchNorm1D", lambda: _nonzero_bias(cl.BatchNorm1D(3)), (6, 3)),
    ("Dropout", lambda: cl.Dropout(0.5, rng=0), (3, 8)),
    ("Residual", lambda: cl.Residual(_conv_block(1)), (2, 2, 4, 4)),
    ("Residual with a shortcut", lambda: cl.Residual(_conv_block(2), shortcut=cl.Conv2D(2, 2, 1, rng=3)),
     (2, 2, 4, 4)),
    ("Sequential", lambda: cl.Sequential(cl.Conv2D(1, 2, 3, padding=1, rng=0), cl.ReLU(), cl.MaxPool2D(2),
                                         cl.Flatten(), cl.Linear(2 * 3 * 3, 4, rng=1)), (2, 1, 6, 6)),
    ("Sequential, Flatten first", lambda: cl.Sequential(cl.Flatten(), cl.Linear(8, 3, rng=0), cl.ReLU(),
                                                        cl.Linear(3, 2, rng=1)), (4, 2, 2, 2)),
]


@pytest.mark.parametrize("name, make, shape", _EVERY_LAYER, ids=[c[0] for c in _EVERY_LAYER])
@pytest.mark.parametrize("change", ["x += noise", "x *= -1"])
def test_changing_the_input_in_place_after_forward_leaves_the_gradients_of_the_input_forward_saw(
        name, make, shape, change):
    import copy
    layer = make()
    twin = copy.deepcopy(layer)                 # the same layer (and the same dropout mask)
    x = _x(*shape, seed=4)
    original = x.copy()
    out = layer.forward(x).copy()               # (Flatten's output is a view of x, as a reshape is)
    if change == "x += noise":
        x += np.random.default_rng(5).normal(size=shape)
    else:
        x *= -1
    g = _x(*out.shape, seed=6)
    dx = layer.backward(g)
    np.testing.assert_array_equal(twin.forward(original), out)
    np.testing.assert_array_equal(dx, twin.backward(g))     # as if x had not been touched
    for key in twin.grads:
        np.testing.assert_array_equal(layer.grads[key], twin.grads[key], err_msg=f"{name}: grads[{key!r}]")


@pytest.mark.parametrize("given", [
    lambda: np.arange(10).reshape(2, 5),                      # integers: converted, a new array
    lambda: np.arange(10.0).reshape(2, 5),                    # float64: the caller's own array
    lambda: np.arange(20.0).reshape(2, 10)[:, ::2],           # a view of the caller's array
])
def test_a_linear_layer_keeps_the_input_forward_saw_whatever_its_form(given):
    x = given()
    original = np.array(x, dtype=float)
    layer = _nonzero_bias(cl.Linear(5, 2, rng=0))
    layer.forward(x)
    x[...] = 0
    layer.backward(np.ones((2, 2)))
    np.testing.assert_allclose(layer.grads["W"], original.T @ np.ones((2, 2)))   # dW = x^T dout


# --- one check per array, one geometry per step (issue 24) --------------------------------------

def _count_calls(monkeypatch, module, name):
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("make, shape", [
    (lambda: cl.Conv2D(2, 4, 3, stride=2, padding=1, groups=2, rng=0), (2, 2, 7, 7)),
    (lambda: cl.Linear(5, 3, rng=0), (4, 5)),
    (lambda: cl.MaxPool2D(2), (2, 3, 4, 4)),
    (lambda: cl.ReLU(), (2, 3)),
])
def test_a_layer_step_scans_each_array_for_nan_once(monkeypatch, make, shape):
    from cnnlab import _validation
    from cnnlab.ops import _conv_fast
    layer = make()
    x = np.random.default_rng(0).normal(size=shape)
    scans = _count_calls(monkeypatch, _validation, "as_float_array")
    geometries = _count_calls(monkeypatch, _conv_fast, "_Geometry")
    out = layer.forward(x)
    layer.backward(np.ones_like(out))
    scanned = sorted(args[1] for args in scans)
    assert scanned == sorted(["x", "dout"] + [f"params[{k!r}]" for k in layer.params]), scanned
    assert len(geometries) == (1 if isinstance(layer, cl.Conv2D) else 0)
