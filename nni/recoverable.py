"""NNI's ``Recoverable``: checkpoint hooks shared by tuners and assessors."""

from __future__ import annotations

import os


class Recoverable:
    """Base of tuners and assessors; ``NNI_CHECKPOINT_DIRECTORY`` names where checkpoints go."""

    def load_checkpoint(self) -> None:
        """Restore state from :meth:`get_checkpoint_path` (default: nothing to restore)."""

    def save_checkpoint(self) -> None:
        """Save state under :meth:`get_checkpoint_path` (default: nothing to save)."""

    def get_checkpoint_path(self) -> str | None:
        path = os.environ.get("NNI_CHECKPOINT_DIRECTORY")
        if path:
            os.makedirs(path, exist_ok=True)
        return path
