"""The gradient-descent explorer: lesson 08's edge filter learned live, with lr, momentum, steps."""

import html

import ipywidgets as W
import numpy as np

from .. import _display as D
from .. import _explore_learning as L
from .._explore_learning import FILTER_LIMIT, divergence_text, summary_lines
from . import _charts as G
from . import _raster as R
from ._base import SLIDER_WIDTH, Explorer, Panel, int_slider, integer, one_of

__all__ = ["gradient_descent_explorer", "GradientDescentExplorer", "LEARNING_RATES", "MOMENTA"]

LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0, 4.0)
MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
_GREY = (150, 150, 150)


def _selection(description, options, value):
    return W.SelectionSlider(options=list(options), value=value, description=description,
                             continuous_update=True, style={"description_width": "initial"},
                             layout=W.Layout(width=SLIDER_WIDTH))


class GradientDescentExplorer(Explorer):
    """Widget returned by :func:`gradient_descent_explorer`; see there."""

    title_text = "Gradient descent: learning a 3\u00d73 edge filter"

    def __init__(self, problem, lr, momentum, steps):
        self.problem = problem
        controls = {
            "lr": _selection("learning rate", LEARNING_RATES, lr),
            "momentum": _selection("momentum", MOMENTA, momentum),
            "steps": int_slider("steps", steps, 10, 500, step=10),
        }
        panels = [Panel("loss (mean squared error, log scale)"), Panel("learned filter"),
                  Panel("target: Sobel x")]
        self.state = None
        super().__init__(controls, panels)
        self.panels[2].set(self._filter_image(problem.target))
        self.update()

    @staticmethod
    def _filter_image(w):
        return R.matrix_image(w, cell=48, cmap=D.DIVERGING, vmin=-FILTER_LIMIT, vmax=FILTER_LIMIT)

    def update(self):
        super().update()
        text = divergence_text(self.state) if self.state is not None else None
        if text and not self.message:
            self._show_message(text, clear=False)  # a warning beside the curve, not an error

    def _draw(self):
        lr, mom, steps = (self.controls[k].value for k in ("lr", "momentum", "steps"))
        run = L.descent_state(self.problem, lr, mom, steps)
        self.state = run
        series = []
        if run["plain"] is not None:
            series.append((run["plain"]["losses"], _GREY, 2))
        series.append((run["losses"], D.SECOND, 3))
        marks = [(len(run["losses"]) - 1, run["losses"][-1], D.HIGHLIGHT)] if run["diverged"] else []
        values = np.concatenate([s for s, _, _ in series])
        lo = min(1e-4, float(values[values > 0].min()))
        hi = max(0.1, min(float(values.max()), 1e6))
        legend = [(f"lr {lr:g}, momentum {mom:g}", D.SECOND)]
        if run["plain"] is not None:
            legend.append(("plain descent, same lr", _GREY))
        self.panels[0].set(G.line_chart(series, x_max=steps, y_range=(lo, hi), marks=marks,
                                        legend=legend))
        self.panels[1].set(self._filter_image(run["filter"]))
        self.panels[1].set_title(f"learned filter (bias {round(run['bias'], 2) + 0.0:.2f})")
        lines = summary_lines(run, steps)
        self.set_info("<br>".join(html.escape(t) for t in lines), "\n".join(lines))


def gradient_descent_explorer(lr=0.1, momentum=0.0, steps=100, seed=0):
    """Learn lesson 08's 3 x 3 edge filter by full-batch gradient descent, live.

    128 seeded 12 x 12 patches of the cameraman photo (each patch's mean subtracted) and their
    Sobel-x responses are the data; one 3 x 3 filter and a bias, started from
    ``Conv2D(1, 1, 3, rng=seed)``, learn to reproduce the responses by minimising the mean
    squared error, with `cnnlab.train.SGD`'s update (``v = momentum * v - lr * grad``,
    ``w += v``). Moving a slider re-runs the whole training from the same start.

    Parameters
    ----------
    lr : float
        One of 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0, 4.0.
    momentum : float
        One of 0, 0.5, 0.8, 0.9, 0.95, 0.99.
    steps : int
        10..500, a multiple of 10.
    seed : int
        The random start filter.

    Returns
    -------
    GradientDescentExplorer
        An ipywidgets VBox. ``controls``: "lr", "momentum", "steps"; ``state``: dict with
        "losses" (after 0..steps updates), "filter", "bias", "diverged" (the step at which the
        loss blew up, or None), "plain" (the same run without momentum), "effective",
        "limit"; ``info``; ``message`` (says so when the loss diverges).

    Examples
    --------
    >>> ex = gradient_descent_explorer(lr=0.1, momentum=0.9, steps=300)
    >>> ex.state["filter"].round(1)
    array([[-1.2, -0.1,  1.3],
           [-1.6, -0.2,  1.7],
           [-1. ,  0.2,  0.9]])
    >>> ex.controls["lr"].value = 4.0
    >>> ex.message.startswith("The loss diverged")
    True
    """
    func = "gradient_descent_explorer"
    one_of(func, "lr", lr, LEARNING_RATES)
    one_of(func, "momentum", momentum, MOMENTA)
    steps = integer(func, "steps", steps, 10, 500)
    if steps % 10:
        raise ValueError(f"{func}: steps must be a multiple of 10 from 10 to 500, got {steps!r}")
    seed = integer(func, "seed", seed, 0)
    return GradientDescentExplorer(L.lesson08_problem(seed), lr, momentum, steps)
