"""What every explorer shares: the container, the layout, the message line and image panels."""

import contextlib
import html
import itertools
import numbers

import ipywidgets as W
import numpy as np

from .. import _validation as V
from .._display import SMALL
from .._explore import TooBig
from . import _raster as R

__all__ = []  # private module

# Large, readable text for a classroom projector; scoped to the explorers only. The layout fits
# a 1024 x 768 screen (an output area about 590 px wide, 600 px tall at most): one compact row of
# controls (or a column beside the picture), picture rows that never wrap and whose panels shrink
# to the width, images no taller than the explorer's share of the screen height.
_CSS = """<style>
.cnnlab-explorer { max-width: 100%; }
.cnnlab-explorer .widget-label, .cnnlab-explorer .widget-readout,
.cnnlab-explorer .widget-dropdown select, .cnnlab-explorer .widget-toggle-button,
.cnnlab-explorer .widget-checkbox, .cnnlab-explorer .widget-text input,
.cnnlab-explorer button { font-size: 15px; }
.cnnlab-explorer .cnnlab-title { font-size: 18px; font-weight: 600; margin: 0 0 2px 0; }
.cnnlab-explorer .cnnlab-panel-title { font-size: 14px; font-weight: 600; text-align: center;
  line-height: 1.25; }
.cnnlab-explorer .cnnlab-info { font-size: 15px; line-height: 1.4; }
.cnnlab-explorer .cnnlab-message { font-size: 15px; background: #fff4e0;
  border-left: 5px solid #e69f00; padding: 4px 10px; border-radius: 3px; }
.cnnlab-explorer .cnnlab-notice { font-size: 14px; background: #e8f1f8;
  border-left: 5px solid #0072b2; padding: 4px 10px; border-radius: 3px; }
.cnnlab-explorer .cnnlab-controls { flex-wrap: wrap; align-items: center; overflow: visible;
  column-gap: 8px; }
.cnnlab-explorer .cnnlab-controls .widget-inline-hbox { align-items: center; }
.cnnlab-explorer .cnnlab-controls .widget-inline-hbox > .widget-label { width: auto !important;
  min-width: 0; margin-right: 6px; }
.cnnlab-explorer .cnnlab-compact .widget-inline-hbox { height: 26px; margin-top: 1px;
  margin-bottom: 1px; }
.cnnlab-explorer .cnnlab-compact .cnnlab-info, .cnnlab-explorer .cnnlab-small .cnnlab-info {
  font-size: 14px; line-height: 1.3; }
.cnnlab-explorer .widget-toggle-buttons { display: flex; flex-direction: row; flex-wrap: nowrap;
  align-items: center; }
.cnnlab-explorer .widget-toggle-buttons > .widget-label { width: auto; flex-shrink: 0;
  margin-right: 8px; }
.cnnlab-explorer .widget-toggle-buttons > div { display: flex; flex-wrap: nowrap; }
.cnnlab-explorer .cnnlab-body { flex-wrap: nowrap; align-items: flex-start; overflow: visible; }
.cnnlab-explorer .cnnlab-side { flex: 0 0 auto; overflow: visible; margin-right: 8px; }
.cnnlab-explorer .cnnlab-picture { flex: 1 1 auto; min-width: 0; overflow: visible; }
.cnnlab-explorer .cnnlab-row { flex-wrap: nowrap; align-items: flex-start; overflow: visible;
  min-width: 0; max-width: 100%; }
.cnnlab-explorer .cnnlab-panel { flex: 0 1 auto; min-width: 0; overflow: visible;
  margin: 0 8px 0 0; }
.cnnlab-explorer .cnnlab-panel .widget-html, .cnnlab-explorer .cnnlab-panel .widget-html-content {
  max-width: 100%; white-space: normal; }
.cnnlab-explorer .cnnlab-image { max-width: 100%; width: auto; height: auto; min-width: 0;
  object-fit: contain; }
</style>"""

_SLIDER_STYLE = {"description_width": "initial"}
#: Two sliders side by side fit the output area of a 1024 px wide screen.
SLIDER_WIDTH = "280px"
_instances = itertools.count()


def int_slider(description, value, lo, hi, step=1):
    """An IntSlider with the explorers' look (synchronous updates, readable label)."""
    return W.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                       continuous_update=True, style=_SLIDER_STYLE,
                       layout=W.Layout(width=SLIDER_WIDTH))


def float_slider(description, value, lo, hi, step=0.1, readout_format=".1f"):
    """A FloatSlider with the explorers' look."""
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                         continuous_update=True, readout_format=readout_format,
                         style=_SLIDER_STYLE, layout=W.Layout(width=SLIDER_WIDTH))


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
    """A titled image: ``panel.set(pil_image)`` encodes and shows it. The image keeps its
    aspect ratio and shrinks to the room it gets (at most ``width``, e.g. ``"300px"``)."""

    def __init__(self, title, width=None):
        self.title = W.HTML(self._title_html(title))
        self.image = W.Image(format="png", layout=W.Layout(max_width=width or "100%"))
        self.image.add_class("cnnlab-image")
        self.fixed_width = width
        super().__init__([self.title, self.image], layout=W.Layout(align_items="center"))
        self.add_class("cnnlab-panel")

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

    def clear(self):
        self.image.format = "png"
        self.image.value = R.blank()


class Explorer(W.VBox):
    """Base class: ``controls`` (name -> widget), ``message`` (text shown when a setting does not
    fit, else ``""``), ``info`` text, and a synchronous redraw on every control change.

    Layout, the same in every explorer: title, controls, ``extra`` widgets, the image panels
    (one row, or the given ``rows`` of panels; a row never wraps, its panels shrink to the
    width), the info line, the message line. With ``controls_beside`` the controls and ``extra``
    form a column left of the panels. The images are at most ``picture_height`` pixels tall in
    all at a 768 px high screen, so that the whole explorer fits 600 px.
    """

    title_text = ""
    #: What to try when a setting does not fit (appended to the message).
    hint = ""
    #: The height in pixels of all picture rows together at a 768 px high screen (taller
    #: screens add their extra height); what is left of 600 px holds the title, the controls,
    #: the panel titles and the info line.
    picture_height = 300
    #: Controls in a column beside the picture (many sliders) instead of a row above it.
    controls_beside = False
    #: A smaller font for a long info text.
    info_small = False

    def __init__(self, controls, panels, extra=(), rows=None, notice=""):
        self.controls = dict(controls)
        self.panels = list(panels)
        self.message = ""
        #: A standing remark about the input (e.g. that a huge photo was shrunk), else ``""``.
        self.notice = notice
        self._descriptions = {}
        self._info_text = ""
        self._holding = 0
        rows = rows or [self.panels]
        scope = f"cnnlab-x{next(_instances)}"
        each = max(self.picture_height // len(rows) - 20, 60)
        size_css = (f"<style>.{scope} .cnnlab-image {{ max-height: max(60px, calc({each}px + "
                    f"(100vh - 768px) / {len(rows)})); }}</style>")
        self._title = W.HTML(f'{_CSS}{size_css}<div class="cnnlab-title">'
                             f'{html.escape(self.title_text)}</div>')
        self._info = W.HTML(layout=W.Layout(margin="2px 0"))
        if self.info_small:
            self._info.add_class("cnnlab-small")
        self._message = W.HTML(layout=W.Layout(margin="2px 0"))
        self._notice = W.HTML(
            f'<div class="cnnlab-notice">&#9432; {html.escape(notice)}</div>' if notice else "",
            layout=W.Layout(margin="2px 0", display=None if notice else "none"))
        controls_box = (W.VBox if self.controls_beside else W.HBox)(self._layout_controls())
        controls_box.add_class("cnnlab-controls")
        row_boxes = []
        for row in rows:
            box = W.HBox(row)
            box.add_class("cnnlab-row")
            row_boxes.append(box)
        picture = W.VBox(row_boxes)
        picture.add_class("cnnlab-picture")
        if self.controls_beside:
            side = W.VBox([controls_box, *extra])
            side.add_class("cnnlab-side")
            body = W.HBox([side, picture])
            body.add_class("cnnlab-body")
            children = [self._title, self._notice, body, self._info, self._message]
        else:
            children = [self._title, self._notice, controls_box, *extra, picture, self._info,
                        self._message]
        super().__init__(children)
        self.add_class("cnnlab-explorer")
        self.add_class(scope)
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
        except TooBig as exc:  # says what to do itself
            self._show_message(friendly(exc).rstrip(".") + ".")
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

    def fit_slider(self, name, hi, lo=0, why="only one"):
        """Give the slider ``controls[name]`` the range lo..hi without a redraw. A range of a
        single value (``hi <= lo``) disables it and says ``why`` in its description, so it is
        not left movable with no effect; a wider range enables it again."""
        slider = self.controls[name]
        base = self._descriptions.setdefault(name, slider.description)
        with self.quietly():
            if hi < lo:
                hi = lo
            if slider.max != hi:
                slider.max = hi
            if slider.min != lo:
                slider.min = lo
        stuck = hi <= lo
        slider.disabled = stuck
        slider.description = f"{base} ({why})" if stuck else base

    def freeze_slider(self, name, why="none fit"):
        """Disable ``controls[name]`` with ``why`` in its description (the settings fit no
        window); the next `fit_slider` enables it again."""
        slider = self.controls[name]
        base = self._descriptions.setdefault(name, slider.description)
        slider.disabled = True
        slider.description = f"{base} ({why})"


def integer(func, name, value, lo=1, hi=None):
    """``value`` checked to be an integer from ``lo`` (to ``hi``): TypeError for a wrong type
    (a float, a bool, a string), ValueError for a value out of range, as the library does."""
    value = V.positive_int(func, name, value, minimum=lo)
    if hi is not None and value > hi:
        raise ValueError(f"{func}: {name} must be an integer from {lo} to {hi}, got {value}")
    return value


def number(func, name, value, lo, hi):
    """``value`` checked to be a real number from ``lo`` to ``hi`` (TypeError for a wrong type,
    ValueError out of range)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{func}: {name} must be a number, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{func}: {name} must be a number from {lo} to {hi}, got {value!r}")
    return float(value)


def one_of(func, name, value, options):
    """``value`` checked to be one of ``options`` (ValueError listing them otherwise)."""
    if isinstance(value, (bool, np.bool_)) or value not in options:
        raise ValueError(f"{func}: {name} must be one of {tuple(options)}, got {value!r}")
    return value


def numeric_array(func, name, value):
    """``value`` as an array of finite real numbers, checked by the library's own rules
    (TypeError for text, ValueError naming the argument for NaN or infinite values, not a
    message about a window); its dtype is kept (uint8 photos stay photos)."""
    if not (isinstance(value, np.ndarray) and value.dtype.kind in "biu"):  # ints are finite
        V.as_float_array(func, name, value)
    return np.asarray(value)


def kernel_arg(func, kernel):
    """A preset name (spelled in any case, ``_`` for a space) from ``KERNEL_NAMES``, returned
    in its canonical spelling, or the filter values as a checked array."""
    from ..viz.kernels import KERNEL_NAMES

    if isinstance(kernel, str):
        name = kernel.lower().replace("_", " ")
        if name not in KERNEL_NAMES:
            raise ValueError(f"{func}: kernel must be one of {KERNEL_NAMES} or an array, "
                             f"got {kernel!r}")
        return name
    return numeric_array(func, "kernel", kernel)


def small_matrix(func, name, value):
    """``value`` checked to be a 2-D matrix of finite numbers, at most SMALL x SMALL."""
    arr = numeric_array(func, name, value)
    if arr.ndim != 2 or min(arr.shape) < 1 or max(arr.shape) > SMALL:
        raise ValueError(f"{func}: {name} must be a 2-D matrix of at most "
                         f"{SMALL}x{SMALL}, got shape {arr.shape}")
    return arr


def as_display_array(image, func, name="image"):
    """Check an input image for an explorer: 2-D or (H, W, 3), finite numbers."""
    if image is None:
        return None
    arr = numeric_array(func, name, image)
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise ValueError(f"{func}: {name} must have shape (H, W) or (H, W, 3), got {arr.shape}")
    if arr.ndim == 3:
        arr = arr[:, :, :3]
    if min(arr.shape[:2]) < 1:
        raise ValueError(f"{func}: {name} must not be empty, got shape {arr.shape}")
    return arr
