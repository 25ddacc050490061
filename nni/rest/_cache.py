""":class:`TrialJobsCache`: NNI's trial-jobs list kept encoded, re-encoding only the trials that changed."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from nni.storage import StoreReader, TrialRecord

from ._shapes import export_json, trial_json

__all__ = ["TrialJobsCache"]


class TrialJobsCache:
    """Every trial's trial-jobs JSON, refreshed from ``reader.trial_changes`` (one SQL query per change)."""

    def __init__(self, reader: StoreReader, experiment_dir: Path) -> None:
        self.reader = reader
        self.experiment_dir = experiment_dir
        self._cache: dict[str, tuple[TrialRecord, bytes]] = {}
        self._ordered: list[tuple[TrialRecord, bytes]] = []
        self._revision: int | None = None
        self._lock = threading.Lock()

    def _refresh(self) -> list[tuple[TrialRecord, bytes]]:
        """Every trial with its encoded JSON, by sequence id."""
        with self._lock:
            if self._revision is None or self.reader.revision() != self._revision:
                changes = self.reader.trial_changes(self._revision)
                for record in changes.trials:
                    encoded = json.dumps(trial_json(record, self.experiment_dir)).encode()
                    self._cache[record.trial_job_id] = (record, encoded)
                self._revision = changes.revision
                self._ordered = sorted(self._cache.values(), key=lambda item: item[0].sequence_id)
            return self._ordered

    def records(self) -> tuple[int, list[TrialRecord]]:
        """``(store revision, every trial by sequence id)``, refreshed."""
        ordered = self._refresh()
        return self._revision or 0, [record for record, _ in ordered]

    def trial_jobs_json(self, status: str | None = None) -> bytes:
        """NNI's trial-jobs list, encoded (the fast path of ``GET /trial-jobs``)."""
        parts = [encoded for record, encoded in self._refresh() if status is None or record.status == status]
        return b"[" + b",".join(parts) + b"]"

    def export_json(self) -> bytes:
        """NNI's export-data from the cached trial records."""
        return json.dumps(export_json(record for record, _ in self._refresh())).encode()
