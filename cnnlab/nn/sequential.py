"""`Sequential`: layers applied one after the other, with its summary table and counters.

The layers themselves are in :mod:`cnnlab.layers` (which exports everything here too).
"""


from .. import _validation as v
from .layer import Layer, _check_unique, _Gathered

__all__ = ["Sequential", "Summary", "count_params", "count_macs"]


class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse.

    ``params`` and ``grads`` gather the layers' arrays under keys such as ``"0.W"`` (and
    ``"3.body.0.W"`` for a layer inside a `Residual`). ``train()`` and ``eval()`` switch every
    layer; ``predict`` always computes in evaluation mode.

    One layer object can appear only once (its saved input would be overwritten by a second
    use, making the gradients wrong): a repeated layer is refused with a ValueError. ``params``
    is a live view of the layers' dicts: replacing ``model.params["0.W"]`` replaces
    ``model[0].params["W"]``.

    Examples
    --------
    >>> from cnnlab.layers import Conv2D, Flatten, Linear, MaxPool2D, ReLU
    >>> model = Sequential(Conv2D(1, 6, 5, rng=0), ReLU(), MaxPool2D(2), Flatten(), Linear(864, 10, rng=0))
    >>> print(model.summary((1, 28, 28)))
    Layer        Output shape    Parameters         MACs
    ----------------------------------------------------
    Input        (1, 28, 28)              0            0
    Conv2D       (6, 24, 24)            156       86,400
    ReLU         (6, 24, 24)              0            0
    MaxPool2D    (6, 12, 12)              0            0
    Flatten      (864,)                   0            0
    Linear       (10,)                8,650        8,640
    ----------------------------------------------------
    Total                             8,806       95,040
    >>> model.eval().training, model[0].training
    (False, False)
    """

    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: argument {i} must be a cnnlab layer, got "
                                f"{type(layer).__name__}")
        self.layers = list(layers)
        _check_unique("Sequential", self._named_children())
        self.params = _Gathered(self._named_children, "params")
        self.grads = _Gathered(self._named_children, "grads")

    def __repr__(self):
        inner = ",\n".join("    " + repr(layer).replace("\n", "\n    ") for layer in self.layers)
        return f"Sequential(\n{inner}\n)"

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def _named_children(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def parameters(self):
        return [pair for layer in self.layers for pair in layer.parameters()]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        self._cache = True
        return x

    def backward(self, dout):
        self._cached()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.output_shape(input_shape)
        return input_shape

    def macs(self, input_shape):
        """The layers' multiply-accumulates for one sample, added up."""
        total = 0
        for layer in self.layers:
            total += layer.macs(input_shape)
            input_shape = layer.output_shape(input_shape)
        return total

    def summary(self, input_shape):
        """Per layer: name, output shape of one sample, parameters and MACs; and the totals.

        Parameters
        ----------
        input_shape : tuple
            One sample's (C, H, W), without the batch axis.

        Returns
        -------
        Summary
            ``rows`` of (name, output shape, parameters, MACs); ``total`` parameters and
            ``total_macs``. A `Residual` is one row holding its body and shortcut.

        Notes
        -----
        MACs (multiply-accumulates) for one sample: F*OH*OW*(C/G)*KH*KW for a convolution,
        D_in*D_out for a dense layer, 0 for ReLU, pooling, batch normalisation, dropout and
        flatten (bias additions are not counted). Common counters (ptflops, fvcore) count the
        same way and report 1.81 G MACs for ResNet-18 on 224 x 224 images.
        """
        shape = v.sample_shape("Sequential.summary", input_shape)
        rows = [("Input", shape, 0, 0)]
        for layer in self.layers:
            macs = layer.macs(shape)
            shape = layer.output_shape(shape)
            rows.append((layer.name, shape, count_params(layer), macs))
        return Summary(rows)


class Summary:
    """The table `Sequential.summary` returns.

    ``rows`` are (name, output shape, parameters, MACs); ``total`` is the number of parameters
    and ``total_macs`` the multiply-accumulates for one sample.
    """

    def __init__(self, rows):
        self.rows = rows
        self.total = sum(r[2] for r in rows)
        self.total_macs = sum(r[3] for r in rows)

    def __str__(self):
        lines = [f"{'Layer':<12} {'Output shape':<15} {'Parameters':>10} {'MACs':>12}"]
        rule = "-" * len(lines[0])
        lines.append(rule)
        lines += [f"{name:<12} {str(shape):<15} {n:>10,} {m:>12,}" for name, shape, n, m in self.rows]
        lines += [rule, f"{'Total':<12} {'':<15} {self.total:>10,} {self.total_macs:>12,}"]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        body = "".join(
            f"<tr><td style='text-align:left'>{name}</td><td style='text-align:left'>{shape}</td>"
            f"<td>{n:,}</td><td>{m:,}</td></tr>" for name, shape, n, m in self.rows)
        return ("<table><thead><tr><th style='text-align:left'>Layer</th>"
                "<th style='text-align:left'>Output shape</th><th>Parameters</th><th>MACs</th>"
                f"</tr></thead><tbody>{body}<tr><th style='text-align:left'>Total</th><td></td>"
                f"<th>{self.total:,}</th><th>{self.total_macs:,}</th></tr></tbody></table>")


def count_params(model):
    """Number of trainable numbers (weights and biases) of a layer or a `Sequential`.

    Running statistics of batch normalisation are not trainable and not counted.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"count_params: model must be a cnnlab layer or Sequential, got "
                        f"{type(model).__name__}")
    return int(sum(p.size for p in model.params.values()))


def count_macs(model, input_shape):
    """Multiply-accumulates of one forward pass of one sample through ``model``.

    Parameters
    ----------
    model : cnnlab layer or Sequential
    input_shape : tuple
        One sample's shape without the batch axis, e.g. (C, H, W).

    Returns
    -------
    int
        The sum over layers of F*OH*OW*(C/G)*KH*KW for convolutions and D_in*D_out for dense
        layers; ReLU, pooling, batch normalisation, dropout and flatten count 0 (as ptflops and
        fvcore count them: ResNet-18 at 224 x 224 is 1.81 G MACs). One MAC is one multiplication
        and one addition, so FLOPs are about twice the MACs.

    Examples
    --------
    >>> from cnnlab.layers import Conv2D
    >>> count_macs(Conv2D(3, 8, 3, padding=1), (3, 32, 32))   # 8*32*32 outputs, 3*3*3 each
    221184
    """
    if not isinstance(model, Layer):
        raise TypeError(f"count_macs: model must be a cnnlab layer or Sequential, got "
                        f"{type(model).__name__}")
    return int(model.macs(v.sample_shape("count_macs", input_shape)))
