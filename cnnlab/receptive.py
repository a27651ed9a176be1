"""Receptive fields: which input pixels one output pixel of a stack of layers can see.

For each layer l with kernel k, stride s, dilation d and padding p (per axis), starting from the
input (r = 1, j = 1):

    r_l = r_{l-1} + (k_l - 1) * d_l * j_{l-1}        receptive field size
    j_l = j_{l-1} * s_l                              jump: input pixels between neighbouring outputs
    first_l = first_{l-1} - p_l * j_{l-1}            input index of the first output's first pixel

and the first output's field is centred at ``start_l = first_l + (r_l - 1) / 2`` (Araujo, Norris
and Sim, 2019, "Computing receptive fields of convolutional neural networks", Distill). Output
pixel ``a`` of layer l sees input indices ``first_l + a * j_l`` to ``first_l + a * j_l + r_l - 1``
(with dilation, not every pixel in that range: the field has holes until later layers fill them).
Pooling windows count as kernels (d = 1); ReLU and other element-wise layers change nothing;
after Flatten, Linear or a global pooling every output sees the whole input.
"""

import html

import numpy as np

from . import _validation as v

__all__ = ["receptive_field", "ReceptiveField"]

_FUNC = "receptive_field"
_GLOBAL = ("Flatten", "Linear")


def _layer_geometry(layer):
    """(kernel, stride, dilation, padding) pairs for a layer, None for one that keeps the
    geometry, or "global" for one whose every output sees its whole input."""
    name = type(layer).__name__
    inner = getattr(layer, "body", None)
    if inner is None and hasattr(layer, "layers"):
        inner = layer
    if inner is not None:  # Sequential, Residual: the whole stack acts as one kernel
        rf = receptive_field(inner)
        if rf.is_global[-1]:
            return "global"
        return rf.size[-1], rf.jump[-1], (1, 1), tuple(-f for f in rf.first[-1])
    if name in _GLOBAL or name.startswith("Global"):
        return "global"
    if hasattr(layer, "kernel_size"):
        return (layer.kernel_size, layer.stride, getattr(layer, "dilation", (1, 1)),
                getattr(layer, "padding", (0, 0)))
    if hasattr(layer, "size") and hasattr(layer, "stride"):  # pooling windows
        return layer.size, layer.stride, (1, 1), getattr(layer, "padding", (0, 0))
    return None


def _spec_geometry(i, spec):
    if not isinstance(spec, (tuple, list)) or len(spec) not in (3, 4):
        raise TypeError(f"{_FUNC}: layers[{i}] must be a cnnlab layer or a (kernel, stride, "
                        f"dilation) triple (optionally with padding as a 4th entry), got {spec!r}")
    k = v.int_pair(_FUNC, f"kernel of layers[{i}]", spec[0])
    s = v.int_pair(_FUNC, f"stride of layers[{i}]", spec[1])
    d = v.int_pair(_FUNC, f"dilation of layers[{i}]", spec[2])
    p = v.int_pair(_FUNC, f"padding of layers[{i}]", spec[3], minimum=0) if len(spec) == 4 else (0, 0)
    return k, s, d, p


def receptive_field(layers, input_size=None):
    """Receptive field size, jump and start of every layer of a stack, per axis.

    Parameters
    ----------
    layers : Sequential, list of layers, or list of (kernel, stride, dilation) triples
        Triples hold ints or (rows, cols) pairs; a 4th entry is the padding (default 0).
        Conv2D and pooling layers have a geometry; ReLU and other element-wise layers keep it;
        after Flatten, Linear or a global pooling each output sees the whole input.
    input_size : int or pair of int, optional
        The input's (H, W). With it, each layer's output size is computed too (and checked) and
        `ReceptiveField.region` can clip regions to the image.

    Returns
    -------
    ReceptiveField
        A table (print it or show it in a notebook) with plain attributes: ``names``,
        ``size``, ``jump``, ``start``, ``first`` (lists of (rows, cols) pairs, one per row; row 0
        is the input) and ``out_size`` ((OH, OW) per row, or None without ``input_size``).

    Raises
    ------
    TypeError, ValueError
        For entries that are neither layers nor triples, non-positive sizes, or (with
        ``input_size``) a layer whose window does not fit.

    Examples
    --------
    Two 3 x 3 convolutions see 5 x 5 pixels; a stride-2 pooling in between makes it 6 x 6:

    >>> rf = receptive_field([(3, 1, 1), (3, 1, 1)])
    >>> rf.size[-1], rf.jump[-1]
    ((5, 5), (1, 1))
    >>> receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)]).size[-1]
    (8, 8)
    >>> import cnnlab as cl
    >>> model = cl.Sequential(cl.Conv2D(1, 4, 3, rng=0), cl.ReLU(), cl.MaxPool2D(2),
    ...                       cl.Conv2D(4, 8, 3, dilation=2, rng=0))
    >>> print(receptive_field(model, input_size=28))
    Layer       Output    Field       Jump   Start
    ----------------------------------------------
    Input       28 x 28   1 x 1          1     0.0
    Conv2D      26 x 26   3 x 3          1     1.0
    ReLU        26 x 26   3 x 3          1     1.0
    MaxPool2D   13 x 13   4 x 4          2     1.5
    Conv2D      9 x 9     12 x 12        2     5.5
    >>> receptive_field(model, input_size=28).region(0, 8)
    (slice(0, 12, None), slice(16, 28, None))
    """
    if hasattr(layers, "layers") and not isinstance(layers, (list, tuple)):
        items = list(layers.layers)
    elif isinstance(layers, (list, tuple)):
        items = list(layers)
    else:
        raise TypeError(f"{_FUNC}: layers must be a Sequential, a list of layers or a list of "
                        f"(kernel, stride, dilation) triples, got {type(layers).__name__}")
    size = None if input_size is None else v.int_pair(_FUNC, "input_size", input_size)
    rf = ReceptiveField(size)
    for i, item in enumerate(items):
        if hasattr(item, "forward") and hasattr(item, "params"):
            name, geom = type(item).__name__, _layer_geometry(item)
        else:
            name, geom = f"layer {i + 1}", _spec_geometry(i, item)
        rf._add(name, geom)
    return rf


class ReceptiveField:
    """What `receptive_field` returns: one row per layer (row 0 is the input).

    Attributes
    ----------
    names : list of str
    size, jump, first : list of (int, int)
        Field size r, jump j and the first output's first input index, per axis (rows, cols).
        For a row after a global layer they are the whole input (``is_global`` True).
    start : list of (float, float)
        Centre of the first output's field.
    out_size : list of (int, int) or None
        Each row's output (OH, OW), when ``input_size`` was given.
    kernel, stride, dilation, padding : list of (int, int) or None
        Each row's geometry (None for the input and for layers that keep the geometry).
    """

    def __init__(self, input_size=None):
        self.input_size = input_size
        self.names = ["Input"]
        self.size, self.jump, self.first = [(1, 1)], [(1, 1)], [(0, 0)]
        self.is_global = [False]
        self.out_size = [input_size] if input_size else None
        self.kernel, self.stride, self.dilation, self.padding = [None], [None], [None], [None]

    def _add(self, name, geom):
        r, j, f, out = self.size[-1], self.jump[-1], self.first[-1], None
        glob = self.is_global[-1] or geom == "global"
        if self.out_size is not None:
            out = self.out_size[-1]
        if glob:
            whole = self.input_size
            r, j, f = (whole or (None, None)), (None, None), (0, 0)
            out = None  # a vector: no output pixels
            geom = None
        elif geom is not None:
            k, s, d, p = geom
            r = tuple(r[a] + (k[a] - 1) * d[a] * j[a] for a in range(2))
            f = tuple(f[a] - p[a] * j[a] for a in range(2))
            j = tuple(j[a] * s[a] for a in range(2))
            if out is not None:
                out = tuple(v.output_length(f"{_FUNC} ({name}, row {len(self.names)})", out[a],
                                            k[a], s[a], p[a], d[a], axis_name=ax, what="window")
                            for a, ax in enumerate(("height", "width")))
        self.names.append(name)
        self.size.append(r)
        self.jump.append(j)
        self.first.append(f)
        self.is_global.append(glob)
        if self.out_size is not None:
            self.out_size.append(out)
        for attr, value in zip(("kernel", "stride", "dilation", "padding"), geom or (None,) * 4):
            getattr(self, attr).append(value)

    @property
    def start(self):
        return [(None, None) if g else tuple(f[a] + (r[a] - 1) / 2 for a in range(2))
                for f, r, g in zip(self.first, self.size, self.is_global)]

    def __len__(self):
        return len(self.names)

    def bounds(self, row, col, layer=-1):
        """Input rows and columns (inclusive, not clipped: may reach into the padding or
        beyond the image) seen by output pixel (row, col) of ``layer``: ((top, bottom),
        (left, right))."""
        row = v.positive_int("ReceptiveField.bounds", "row", row, minimum=0)
        col = v.positive_int("ReceptiveField.bounds", "col", col, minimum=0)
        if isinstance(layer, (bool, np.bool_)) or not isinstance(layer, (int, np.integer)):
            raise TypeError(f"ReceptiveField.bounds: layer must be an integer row index, got "
                            f"{layer!r}")
        if not -len(self) <= layer < len(self):
            raise ValueError(f"ReceptiveField.bounds: layer must be in -{len(self)}..{len(self) - 1}, "
                             f"got {layer}")
        if self.is_global[layer]:
            if self.input_size is None:
                raise ValueError("ReceptiveField.bounds: this layer sees the whole input; "
                                 "give input_size to receptive_field to know how large it is")
            return (0, self.input_size[0] - 1), (0, self.input_size[1] - 1)
        if self.out_size is not None and self.out_size[layer] is not None:
            oh, ow = self.out_size[layer]
            if row >= oh or col >= ow:
                raise ValueError(f"ReceptiveField.bounds: output pixel ({row}, {col}) is outside "
                                 f"the {oh} x {ow} output of layer {layer} ({self.names[layer]})")
        r, j, f = self.size[layer], self.jump[layer], self.first[layer]
        return tuple((f[a] + i * j[a], f[a] + i * j[a] + r[a] - 1) for a, i in enumerate((row, col)))

    def region(self, row, col, layer=-1):
        """The input region output pixel (row, col) of ``layer`` sees, clipped to the image
        (the part in the padding is dropped): a pair of slices, ``image[rows, cols]``.

        Needs ``input_size``.
        """
        if self.input_size is None:
            raise ValueError("ReceptiveField.region: give input_size to receptive_field to clip "
                             "the region to the image")
        (top, bottom), (left, right) = self.bounds(row, col, layer)
        h, w = self.input_size
        return (slice(max(top, 0), min(bottom, h - 1) + 1),
                slice(max(left, 0), min(right, w - 1) + 1))

    @staticmethod
    def _pair(p, fmt="{}"):
        if p is None or p[0] is None:
            return "whole input"
        return fmt.format(p[0]) if p[0] == p[1] else f"{fmt.format(p[0])}, {fmt.format(p[1])}"

    def _cells(self):
        heads = ["Layer"] + (["Output"] if self.out_size else []) + ["Field", "Jump", "Start"]
        rows = []
        for i, name in enumerate(self.names):
            o = self.out_size[i] if self.out_size else None
            out = [f"{o[0]} x {o[1]}" if o else "-"] if self.out_size else []
            field = ("whole input" if self.is_global[i] and self.input_size is None
                     else f"{self.size[i][0]} x {self.size[i][1]}")
            jump = "-" if self.is_global[i] else self._pair(self.jump[i])
            start = "-" if self.is_global[i] else self._pair(self.start[i], "{:.1f}")
            rows.append([name] + out + [field, jump, start])
        return heads, rows

    def __str__(self):
        heads, rows = self._cells()
        widths = [max(len(r[c]) for r in [heads] + rows) + 2
                  for c in range(len(heads))]
        aligns = ["<"] * (len(widths) - 2) + [">", ">"]

        def line(cells):
            return " ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, aligns, widths)).rstrip()

        first = line(heads)
        return "\n".join([first, "-" * len(first)] + [line(r) for r in rows])

    __repr__ = __str__

    def _repr_html_(self):
        heads, rows = self._cells()
        th = "".join(f"<th style='text-align:left'>{h}</th>" for h in heads)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(c))}</td>"
                                        for c in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
