"""NNI-shaped JSON straight from a store reader, without a server (``nnictl trial ls``, ``experiment show``)."""

from __future__ import annotations

from typing import Any

from ._shapes import profile_json, trial_json
from ._store_adapter import StoreData

__all__ = ["trial_jobs_from_reader", "profile_json_from_reader"]


def trial_jobs_from_reader(reader: Any, *, status: str | None = None, head: int | None = None,
                           tail: int | None = None) -> list[dict[str, Any]]:
    """NNI's ``trial-jobs`` list; ``head``/``tail`` read only that many trials from the store."""
    data = StoreData(reader)
    if head is None and tail is None:
        return [trial_json(t) for t in data.trials(status)]
    total = reader.trial_count(status)
    offset, limit = (0, head) if head is not None else (max(total - (tail or 0), 0), tail)
    records = reader.trials(status=status, offset=offset, limit=limit)
    return [trial_json(data._view(r, {})) for r in records]


def profile_json_from_reader(reader: Any) -> dict[str, Any]:
    return profile_json(StoreData(reader).profile())
