"""NNI-shaped JSON straight from a store reader, without a server (``nnictl trial ls``, ``experiment show``)."""

from __future__ import annotations

from typing import Any

from nni.storage import StoreReader

from ._shapes import profile_json, trial_json

__all__ = ["trial_jobs_from_reader", "profile_json_from_reader"]


def trial_jobs_from_reader(reader: StoreReader, *, status: str | None = None, head: int | None = None,
                           tail: int | None = None) -> list[dict[str, Any]]:
    """NNI's ``trial-jobs`` list; ``head``/``tail`` read only that many trials from the store."""
    offset, limit = 0, None
    if head is not None:
        limit = head
    elif tail is not None:
        offset, limit = max(reader.trial_count(status) - tail, 0), tail
    return [trial_json(r, reader.experiment_dir) for r in reader.trials(status=status, offset=offset, limit=limit)]


def profile_json_from_reader(reader: StoreReader, *, live: bool) -> dict[str, Any]:
    """NNI's experiment profile; ``live``: the experiment's manager runs (its clock goes on)."""
    return profile_json(reader.profile(), reader.experiment_dir, reader.next_sequence_id(), live=live)
