"""A small deep-learning project laid out as real projects are (lecture 07, section 9).

Three files, each short enough to read in one go and to copy as a template:

=============  ===============================================================
``dataset``    the data: a ``Dataset`` of 8 x 8 digit images, one-pixel-shift
               augmentation, seeded ``DataLoader``s (``generator``,
               ``worker_init_fn``)
``model``      the model: a small CNN with ``BatchNorm2d``
``train``      the training script: a device-safe loop, evaluation, a resumable
               checkpoint, and a command line
               (``python -m course_lib.project.train --help``)
=============  ===============================================================

The files use only PyTorch, NumPy and ``course_lib.data`` (to load the digits), so a
project of your own can start from a copy of them.
"""
