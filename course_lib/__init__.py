"""course_lib: the small shared library of the deep-learning fundamentals course.

One module per idea, each introduced by a lecture:

===================  ==============================================================  =======
module               what it holds                                                   lecture
===================  ==============================================================  =======
``autograd``         ``Value``, a scalar reverse-mode autodiff engine;               01
                     ``draw_graph``
``gradcheck``        ``numerical_gradient``, ``rel_error``                           01
``saved_tensors``    ``SavedTensors``: the bytes autograd keeps for backward         01
``hessian``          exact and finite-difference Hessians, critical points,          02
                     Hessian-vector products, power iteration
``critical_points``  batched Hessians, Newton's method on the gradient               02
``surfaces``         toy loss surfaces with value / grad / hessian                   02-04
``optim``            NumPy ``SGD``, ``Adagrad``, ``RMSprop``, ``Adam``, ``AdamW``;   03-04
                     ``clip_grad_norm_`` (gradient clipping)
``stacked``          ``StackedMLPs``: many small MLPs trained side by side           03
``schedules``        learning-rate schedules as functions of the step                04
``losses``           softmax, cross-entropy, BCE, hinge, MSE with gradients          05
``layers``           ``Linear``, activations, ``Dropout``, ``BatchNorm1d``,          01, 06
                     ``BatchNorm2d``, ``Sequential`` with forward / backward
``data``             offline synthetic and bundled data sets, splits, batches        03-07
``training``         seeding, device, a ``fit`` loop for ``torch.nn`` models         07
``plots``            the course's figures in one visual style                        all
``homework``         the homework self-check: questions, public cases, references    01-07
``project``          a project template: ``dataset``, ``model`` (a CNN), ``train``   07
                     (device-safe loop, resumable checkpoint, command line)
===================  ==============================================================  =======

Import the module you need, e.g. ``from course_lib import optim``. Nothing here touches
the network. The instructor's tooling (grader, generator, book, timing) is the separate
package ``course_tools``.
"""

__version__ = "0.1.0"

__all__ = [
    "autograd",
    "critical_points",
    "data",
    "gradcheck",
    "hessian",
    "homework",
    "layers",
    "losses",
    "optim",
    "plots",
    "project",
    "saved_tensors",
    "schedules",
    "stacked",
    "surfaces",
    "training",
]
