"""The softmax explorer: scores (logits) and a temperature in, probabilities and the loss out."""

import html
import math

import numpy as np

from .. import _explore_learning as L
from . import _charts as G
from ._base import Explorer, Panel, float_slider, integer, number, toggle

__all__ = ["softmax_explorer", "SoftmaxExplorer"]


class SoftmaxExplorer(Explorer):
    """Widget returned by :func:`softmax_explorer`; see there."""

    title_text = "Softmax and cross-entropy"
    picture_height = 240

    def __init__(self, logits, label, temperature, classes):
        self.classes = list(classes)
        top = max(6.0, math.ceil(float(np.abs(logits).max())))
        controls = {f"logit{k}": float_slider(f"score z{k} ({name})", float(z), -top, top)
                    for k, (z, name) in enumerate(zip(logits, self.classes))}
        controls["temperature"] = float_slider("temperature T", temperature, 0.1, 5.0)
        controls["label"] = toggle("true class", [(name, k) for k, name in enumerate(self.classes)],
                                   label)
        self._top = top
        self.state = None
        panels = [Panel("scores z / T (what softmax sees)"), Panel("probabilities")]
        super().__init__(controls, panels)
        self.update()

    def _layout_controls(self):
        return list(self.controls.values())

    @property
    def logits(self):
        return np.array([self.controls[f"logit{k}"].value for k in range(len(self.classes))])

    def _draw(self):
        T = self.controls["temperature"].value
        label = self.controls["label"].value
        s = L.softmax_state(self.logits, T, label)
        self.state = s
        self.panels[0].set(G.bars(s["scaled"], self.classes, highlight=label,
                                  top_value=max(self._top, float(np.abs(s["scaled"]).max())),
                                  fmt="{:.1f}", signed=True))
        self.panels[1].set(G.bars(s["p"], self.classes, highlight=label, top_value=1.0))
        name, pred = self.classes[label], self.classes[s["predicted"]]
        plain = (f"p_i = exp(z_i / T) / \u03a3_j exp(z_j / T) with T = {T:.1f}; "
                 f"the probabilities sum to {s['p'].sum():.2f}\n"
                 f"prediction: {pred} (p = {s['p'][s['predicted']]:.2f}); "
                 f"true class: {name}, p = {s['p'][label]:.3f}\n"
                 f"cross-entropy loss = \u2212log p({name}) = {s['loss']:.3f} "
                 f"(equal scores would give log {len(self.classes)} = {s['uniform_loss']:.3f})")
        self.set_info("<br>".join(html.escape(t) for t in plain.split("\n")), plain)

    def _on_message(self):
        self.state = None
        for p in self.panels:
            p.clear()
        self.set_info("", "")


def softmax_explorer(logits=None, label=0, temperature=1.0, classes=None):
    """Scores (logits) and a temperature as sliders; the softmax probabilities as bars and the
    cross-entropy loss for the true class, live.

    Parameters
    ----------
    logits : array_like, shape (K,), optional
        2 to 8 scores (default: [2.0, 1.0, 0.1, -1.0]).
    label : int
        The true class, 0..K-1 (highlighted in orange).
    temperature : float
        T in softmax(z / T), 0.1..5: below 1 sharpens the probabilities, above 1 flattens them.
    classes : sequence of str, optional
        Class names (default "class 0", "class 1", ...).

    Returns
    -------
    SoftmaxExplorer
        An ipywidgets VBox. ``controls``: "logit0", "logit1", ..., "temperature", "label";
        ``state``: dict with "p" (probabilities), "loss", "predicted", "scaled" (z / T);
        ``info``, ``message``.

    Examples
    --------
    >>> ex = softmax_explorer([2.0, 1.0, 0.1], label=0)
    >>> round(ex.state["loss"], 4)
    0.417
    >>> ex.controls["temperature"].value = 2.0
    >>> round(ex.state["loss"], 4)
    0.6898
    """
    func = "softmax_explorer"
    z = np.asarray(L.DEFAULT_LOGITS if logits is None else logits)
    if z.dtype == object or z.dtype.kind not in "biuf":
        raise TypeError(f"{func}: logits must be numbers, got dtype {z.dtype}")
    if z.ndim != 1 or not 2 <= z.size <= 8:
        raise ValueError(f"{func}: logits must be 1-D with 2 to 8 scores, got shape {z.shape}")
    if not np.all(np.isfinite(z)) or np.abs(z).max() > 20:
        raise ValueError(f"{func}: logits must be finite numbers between -20 and 20, got {z.tolist()}")
    label = integer(func, "label", label, 0)
    if label >= z.size:
        raise ValueError(f"{func}: label must be a class 0..{z.size - 1}, got {label!r}")
    temperature = number(func, "temperature", temperature, 0.1, 5)
    if classes is None:
        classes = [f"class {k}" for k in range(z.size)]
    elif isinstance(classes, str) or len(classes) != z.size:
        raise ValueError(f"{func}: classes must be {z.size} names, one per score, got {classes!r}")
    return SoftmaxExplorer(z.astype(float), int(label), float(temperature), [str(c) for c in classes])
