"""The examples' own modules (``cifar10_data``) import as the trials import them: from the example's folder."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CIFAR10_EXAMPLE = REPO / "examples" / "cifar10_pytorch"
MNIST_EXAMPLE = REPO / "examples" / "mnist_annotation_pytorch"

if str(CIFAR10_EXAMPLE) not in sys.path:
    sys.path.insert(0, str(CIFAR10_EXAMPLE))
