"""Static figures for the course (needs matplotlib): plotting helpers and the explorers' twins.

Helpers (take ``ax=None``; with no ``ax`` they draw into a new pyplot figure and return the Axes):
``show_image`` (photos and feature maps), ``show_matrix`` (small matrices with numbers in the
cells). Multi-panel helpers return a Figure: ``show_feature_maps``, ``show_filters``.

Models and training runs: ``show_architecture`` (a model as a chain of blocks with shapes and
parameter counts; a Figure), ``plot_history`` (loss and accuracy per epoch; a Figure),
``plot_confusion`` (the confusion matrix; an Axes) and ``confusion_matrix`` (the counts).

Static twins of the explorers in :mod:`cnnlab.widgets`, same names, same settings as arguments,
each returning a matplotlib Figure that is not registered with pyplot (end a notebook cell with
it and it is shown once): ``conv_explorer``, ``conv_stepper``, ``arithmetic_explorer``,
``pooling_explorer``, ``param_counter``, ``feature_map_explorer``, ``flip_explorer``, ``softmax_explorer``,
``gradient_descent_explorer``, ``receptive_field_explorer``.

Named filters: ``get_kernel(name, size)`` with ``KERNEL_NAMES``.

Colours: grey for photos, cividis for non-negative maps, RdBu_r with limits symmetric about zero
for signed maps (white is zero); highlights in the colour-blind-safe Okabe-Ito orange and blue.
Nothing here changes matplotlib's global settings.
"""

from .architecture import show_architecture
from .kernels import KERNEL_NAMES, get_kernel
from .learning import gradient_descent_explorer, receptive_field_explorer, softmax_explorer
from .plots import color_limits, new_figure, show_feature_maps, show_filters, show_image, show_matrix
from .training import confusion_matrix, plot_confusion, plot_history
from .twins import (
    arithmetic_explorer,
    conv_explorer,
    conv_stepper,
    feature_map_explorer,
    flip_explorer,
    param_counter,
    pooling_explorer,
)

__all__ = ["show_image", "show_matrix", "show_feature_maps", "show_filters", "new_figure",
           "color_limits", "get_kernel", "KERNEL_NAMES",
           "show_architecture", "plot_history", "plot_confusion", "confusion_matrix",
           "conv_explorer", "conv_stepper", "arithmetic_explorer", "pooling_explorer",
           "param_counter", "feature_map_explorer", "flip_explorer",
           "softmax_explorer", "gradient_descent_explorer", "receptive_field_explorer"]

from .backprop import show_backprop_graph, show_conv_backward, show_pool_backward  # noqa: E402

__all__ += ["show_backprop_graph", "show_conv_backward", "show_pool_backward"]
