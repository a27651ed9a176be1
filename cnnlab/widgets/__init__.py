"""Interactive explorers for the course notebooks (needs ipywidgets).

Each function returns an ipywidgets container with a ``controls`` dict (setting name -> control
widget). Setting a control's ``value`` from Python recomputes and redraws at once, so the
explorers can be tested and timed without a browser. Settings that do not fit show a message in
the widget (``explorer.message``) instead of raising; a slider left with a single value is
disabled and says why; photos larger than 512 pixels a side are shrunk, with a note
(``explorer.notice``). Wrong argument types raise TypeError, bad values ValueError, naming the
function and the argument. Each explorer has a static twin of the same name in
:mod:`cnnlab.viz` that draws the same figure with matplotlib; both take their numbers, colours
and number formats from the same private modules (``cnnlab._explore``, ``cnnlab._display``).

=============================  ==========================================================
explorer                       controls
=============================  ==========================================================
``conv_explorer``              kernel (preset), size, stride, padding, relu (+ ``cells``)
``conv_stepper``               play, position, stride, padding
``arithmetic_explorer``        input_size, filter_size, padding, stride, dilation, position
``pooling_explorer``           mode, size, stride, position
``param_counter``              image_size, channels, hidden, filters, filter_size
``feature_map_explorer``       image, layer
``flip_explorer``              kernel (preset), step
``softmax_explorer``           logit0, logit1, ..., temperature, label
``gradient_descent_explorer``  lr, momentum, steps
``receptive_field_explorer``   depth, kernel1, stride1, dilation1, ..., dilation4
=============================  ==========================================================

Examples
--------
>>> from cnnlab import widgets
>>> ex = widgets.conv_explorer([[1, 2, 0], [0, 1, 3], [2, 2, 1]], kernel="identity")
>>> ex.output
array([[1.]])
>>> ex.controls["size"].value = 5
>>> ex.message.startswith("The filter (size 5) is larger than")
True
"""

from .arithmetic import arithmetic_explorer
from .conv import conv_explorer
from .descent import gradient_descent_explorer
from .features import feature_map_explorer
from .flip import flip_explorer
from .params import param_counter
from .pooling import pooling_explorer
from .receptive import receptive_field_explorer
from .softmax import softmax_explorer
from .stepper import conv_stepper

__all__ = ["conv_explorer", "conv_stepper", "arithmetic_explorer", "pooling_explorer",
           "param_counter", "feature_map_explorer", "flip_explorer", "softmax_explorer",
           "gradient_descent_explorer", "receptive_field_explorer"]
