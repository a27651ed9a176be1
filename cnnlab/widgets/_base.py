"""What every explorer shares: the container, the layout, the message line and image panels."""

import contextlib
import html

import ipywidgets as W
import numpy as np

from ..viz import _raster as R

__all__ = []  # private module

# Large, readable text for a classroom projector; scoped to the explorers only.
_CSS = """<style>
.cnnlab-explorer .widget-label, .cnnlab-explorer .widget-readout,
.cnnlab-explorer .widget-dropdown select, .cnnlab-explorer .widget-toggle-button,
.cnnlab-explorer .widget-checkbox, .cnnlab-explorer .widget-text input,
.cnnlab-explorer button { font-size: 15px; }
.cnnlab-explorer .cnnlab-title { font-size: 20px; font-weight: 600; margin: 4px 0; }
.cnnlab-explorer .cnnlab-panel-title { font-size: 15px; font-weight: 600; text-align: center; }
.cnnlab-explorer .cnnlab-info { font-size: 16px; line-height: 1.5; }
.cnnlab-explorer .cnnlab-message { font-size: 16px; background: #fff4e0;
  border-left: 5px solid #e69f00; padding: 6px 10px; border-radius: 3px; }
</style>"""

_SLIDER_STYLE = {"description_width": "initial"}


def int_slider(description, value, lo, hi, step=1):
    """An IntSlider with the explorers' look (synchronous updates, readable label)."""
    return W.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                       continuous_update=True, style=_SLIDER_STYLE,
                       layout=W.Layout(width="300px"))


def float_slider(description, value, lo, hi, step=0.1, readout_format=".1f"):
    """A FloatSlider with the explorers' look."""
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                         continuous_update=True, readout_format=readout_format,
                         style=_SLIDER_STYLE, layout=W.Layout(width="300px"))


def toggle(description, options, value):
    """ToggleButtons for a small choice of words."""
    return W.ToggleButtons(options=options, value=value, description=description,
                           style={"description_width": "initial", "button_width": "auto"})


def friendly(exc):
    """A learner-facing sentence from a cnnlab ValueError (drops the ``func:`` prefix)."""
    text = str(exc)
    head, sep, tail = text.partition(": ")
    if sep and " " not in head:
        text = tail
    return text[:1].upper() + text[1:]


class Panel(W.VBox):
    """A titled image: ``panel.set(pil_image)`` encodes and shows it."""

    def __init__(self, title, width=None):
        self.title = W.HTML(self._title_html(title))
        self.image = W.Image(format="png", layout=W.Layout(width=width or "auto",
                                                           height="auto"))
        self.fixed_width = width
        super().__init__([self.title, self.image], layout=W.Layout(align_items="center",
                                                                   margin="0 10px 0 0"))

    @staticmethod
    def _title_html(text):
        return f'<div class="cnnlab-panel-title">{html.escape(text)}</div>'

    def set_title(self, text):
        self.title.value = self._title_html(text)

    def set(self, img, photo=False):
        """Show a PIL image; large photos are sent as JPEG (fast, small), the rest as PNG."""
        fmt = "jpeg" if photo else "png"
        data = R.to_png(img, fmt)
        self.image.format = fmt
        self.image.value = data
        if self.fixed_width is None:
            self.image.layout.width = f"{img.width}px"

    def clear(self):
        self.image.format = "png"
        self.image.value = R.blank()


class Explorer(W.VBox):
    """Base class: ``controls`` (name -> widget), ``message`` (text shown when a setting does not
    fit, else ``""``), ``info`` text, and a synchronous redraw on every control change.

    Layout, the same in every explorer: title, controls, ``extra`` widgets, the image panels
    (one row, or the given ``rows`` of panels), the info line, the message line.
    """

    title_text = ""
    #: What to try when a setting does not fit (appended to the message).
    hint = ""

    def __init__(self, controls, panels, extra=(), rows=None):
        self.controls = dict(controls)
        self.panels = list(panels)
        self.message = ""
        self._info_text = ""
        self._holding = 0
        self._title = W.HTML(f'{_CSS}<div class="cnnlab-title">{html.escape(self.title_text)}</div>')
        self._info = W.HTML(layout=W.Layout(margin="4px 0"))
        self._message = W.HTML(layout=W.Layout(margin="4px 0"))
        rows = [self._title, W.HBox([c for c in self._layout_controls()],
                                    layout=W.Layout(flex_flow="row wrap", align_items="center")),
                *extra,
                *[W.HBox(row, layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
                  for row in (rows or [self.panels])],
                self._info, self._message]
        super().__init__(rows)
        self.add_class("cnnlab-explorer")
        for w in self.controls.values():
            w.observe(self._on_change, names="value")

    def _layout_controls(self):
        return [w for w in self.controls.values() if not isinstance(w, W.Play)]

    def __repr__(self):
        # What a page without a live kernel shows in place of the widget.
        return (f"{type(self).__name__} with controls {', '.join(self.controls)} "
                "(run the notebook to use it)")

    @contextlib.contextmanager
    def hold(self):
        """Change several controls with a single redraw at the end."""
        with self.quietly():
            yield self
        if not self._holding:
            self.update()

    @contextlib.contextmanager
    def quietly(self):
        """Change controls (e.g. a slider's range) without any redraw."""
        self._holding += 1
        try:
            yield self
        finally:
            self._holding -= 1

    def _on_change(self, change=None):
        if not self._holding:
            self.update()

    @property
    def info(self):
        """The text under the panels (formulas, sums), as plain text."""
        return self._info_text

    def set_info(self, text_html, plain):
        self._info.value = f'<div class="cnnlab-info">{text_html}</div>'
        self._info_text = plain

    def update(self):
        """Recompute and redraw from the controls' current values (never raises)."""
        try:
            self._draw()
        except ValueError as exc:
            text = friendly(exc).rstrip(".")
            self._show_message(f"{text}. {self.hint}".strip())
        except Exception as exc:  # a bug must not put a traceback in front of a class
            self._show_message(f"Something went wrong ({type(exc).__name__}: {exc}).")
        else:
            self._show_message("")

    def _show_message(self, text, clear=True):
        """Show ``text`` (or hide the line when empty); ``clear`` blanks what no longer fits."""
        self.message = text
        if text:
            self._message.value = (f'<div class="cnnlab-message">&#9888; {html.escape(text)}'
                                   "</div>")
            self._message.layout.display = None
            if clear:
                self._on_message()
        else:
            self._message.value = ""
            self._message.layout.display = "none"

    def _on_message(self):
        """Hook: what to blank when a setting does not fit (default: every panel after the
        first)."""
        for p in self.panels[1:]:
            p.clear()

    def _draw(self):
        raise NotImplementedError


def as_display_array(image, func, name="image"):
    """Check an input image for an explorer: 2-D or (H, W, 3), finite numbers."""
    if image is None:
        return None
    arr = np.asarray(image)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{func}: {name} must be an array of numbers, got dtype {arr.dtype}")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise ValueError(f"{func}: {name} must have shape (H, W) or (H, W, 3), got {arr.shape}")
    if arr.ndim == 3:
        arr = arr[:, :, :3]
    if min(arr.shape[:2]) < 1:
        raise ValueError(f"{func}: {name} must not be empty, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{func}: {name} contains NaN or infinite values")
    return arr
