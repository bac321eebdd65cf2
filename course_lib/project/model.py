"""model.py of the digits project: a small convolutional network with batch normalization.

Lecture 07, section 9. The training script imports the class from here, and so does any
script that later loads the saved weights: the architecture lives in one place.
"""

from __future__ import annotations

import torch
from torch import nn


class DigitsCNN(nn.Module):
    """(B, 1, 8, 8) images -> (B, 10) logits.

    Two blocks of a 3 x 3 convolution ('same' padding), ``BatchNorm2d`` and a ReLU; a 2 x 2
    max pooling between them halves the image to 4 x 4; a linear layer maps the flattened
    (channels[1] * 4 * 4) features to the logits. The convolutions have no bias: the
    batch normalization's shift (β_BN, lecture 06) takes its place.

    Args:
        channels: output channels of the two convolutions.
        num_classes: number of logits.
    """

    def __init__(self, channels: tuple[int, int] = (16, 32), num_classes: int = 10) -> None:
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=3, padding=1, bias=False),  # (B, c1, 8, 8)
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c1, 4, 4)
            nn.Conv2d(c1, c2, kernel_size=3, padding=1, bias=False),  # (B, c2, 4, 4)
            nn.BatchNorm2d(c2),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(c2 * 4 * 4, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"x must have shape (B, 1, 8, 8), got {tuple(x.shape)}")
        return self.classifier(self.features(x).flatten(1))
