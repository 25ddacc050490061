""":class:`StoreData`: the REST app's :class:`~nni.rest._data.ExperimentData` over ``nni.storage.StoreReader``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._data import MetricView, ProfileView, TrialView

__all__ = ["StoreData"]


def _metric(row: Any) -> MetricView:
    return MetricView(row.trial_job_id, row.parameter_id, row.type, row.sequence, row.value, row.timestamp)


def _duration_text(value: Any) -> Any:
    return f"{value:g}s" if isinstance(value, int | float) and not isinstance(value, bool) else value


class StoreData:
    """Reads one experiment's store and hands out REST views (one SQL query per list, whatever the size)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.experiment_dir = Path(getattr(reader, "experiment_dir", "."))
        self._trials_root = str(self.experiment_dir / "trials")
        # trial id -> (record, its trial-jobs JSON); refreshed with only the trials changed since _revision
        self._cache: dict[str, tuple[Any, bytes]] = {}
        self._revision = -1
        self._lock = threading.Lock()

    # -- profile --------------------------------------------------------------------------------------
    def profile(self) -> ProfileView:
        p = self.reader.profile()
        if p is None:
            return ProfileView(id=self.experiment_dir.name, config={}, status="INITIALIZED",
                               log_dir=str(self.experiment_dir))
        config = dict(p.config or {})
        if p.search_space is not None:
            config["searchSpace"] = p.search_space
            config.pop("searchSpaceFile", None)
        limits = p.limits or {}
        for key in ("trialConcurrency", "maxTrialNumber"):
            if limits.get(key) is not None:
                config[key] = limits[key]
        for key in ("maxExperimentDuration", "maxTrialDuration"):
            if limits.get(key) is not None and not _same_duration(config.get(key), limits[key]):
                config[key] = _duration_text(limits[key])
        stats = p.stats or {}
        if isinstance(stats.get("elapsed"), int | float):
            exec_duration = float(stats["elapsed"])
        elif p.start_time is not None:
            exec_duration = (p.end_time or time.time()) - p.start_time
        else:
            exec_duration = 0.0
        next_seq = self._next_sequence_id()
        errors = tuple(e for e in (p.error,) if e)
        return ProfileView(
            id=p.experiment_id, config=config, status=p.status, errors=errors, start_time=p.start_time,
            end_time=p.end_time, revision=p.revision, next_sequence_id=next_seq, exec_duration=exec_duration,
            log_dir=str(self.experiment_dir),
        )

    def traceback(self) -> str | None:
        p = self.reader.profile()
        return None if p is None else p.traceback

    def _next_sequence_id(self) -> int:
        trials = self.reader.trials(offset=max(self.reader.trial_count() - 1, 0), limit=1)
        return trials[-1].sequence_id + 1 if trials else 0

    # -- trials ---------------------------------------------------------------------------------------
    def _view(self, record: Any, finals: dict[str, list[MetricView]]) -> TrialView:
        handle = record.handle or {}
        trial_dir = handle.get("trial_dir") or handle.get("sys_dir") or f"{self._trials_root}/{record.trial_job_id}"
        extra: dict[str, Any] = {"parameterSource": record.parameter_source}
        if record.exit_code is not None:
            extra["exitCode"] = record.exit_code
        if record.resumed_from:
            extra["resumedFrom"] = record.resumed_from
        if record.replaced_by:
            extra["replacedBy"] = record.replaced_by
        final = finals.get(record.trial_job_id)
        if final is None and record.final_metric is not None:
            ts = record.end_time or record.start_time or record.submit_time
            final = [MetricView(record.trial_job_id, record.parameter_id, "FINAL", 0, record.final_metric, ts)]
        return TrialView(
            trial_job_id=record.trial_job_id, sequence_id=record.sequence_id, status=record.status,
            parameter_id=record.parameter_id, parameters=record.parameters or {},
            parameter_source=record.parameter_source, start_time=record.start_time, end_time=record.end_time,
            message=record.reason or "", trial_dir=str(trial_dir), final_metrics=tuple(final or ()), extra=extra,
        )

    def _finals(self, trial_job_id: str | None = None) -> dict[str, list[MetricView]]:
        finals: dict[str, list[MetricView]] = {}
        # one trial's rows by its index, filtered here: faster than the (trial, type) query at 10^6 metrics
        rows = self.reader.metrics(trial_job_id) if trial_job_id else self.reader.metrics(type="FINAL")
        for row in (r for r in rows if r.type == "FINAL"):
            finals.setdefault(row.trial_job_id, []).append(_metric(row))
        return finals

    def trials(self, status: str | None = None) -> list[TrialView]:
        # The trials table carries each final value: no scan of the (large) metrics table for a list.
        return [self._view(r, {}) for r in self.reader.trials(status=status)]

    def trial(self, trial_job_id: str) -> TrialView | None:
        record = self.reader.trial(trial_job_id)
        return None if record is None else self._view(record, self._finals(trial_job_id))

    def _refresh(self) -> list[tuple[Any, bytes]]:
        """Every trial with its encoded JSON, by sequence id; re-encodes only what changed since last call."""
        from ._shapes import trial_json

        with self._lock:
            revision = self.reader.revision()
            if revision != self._revision:
                with self.reader.snapshot():
                    revision = self.reader.revision()
                    since = None if self._revision < 0 else self._revision
                    changed = self.reader.trials(since_revision=since)
                for record in changed:
                    encoded = json.dumps(trial_json(self._view(record, {}))).encode()
                    self._cache[record.trial_job_id] = (record, encoded)
                self._revision = revision
                self._ordered = sorted(self._cache.values(), key=lambda item: item[0].sequence_id)
            return self._ordered

    def export_json(self) -> bytes:
        """NNI's export-data from the cached trial records."""
        out = [{"parameter": record.parameters, "value": record.final_metric, "trialJobId": record.trial_job_id}
               for record, _ in self._refresh() if record.final_metric is not None]
        return json.dumps(out).encode()

    def latest_metrics_json(self) -> bytes:
        from ._shapes import metric_fragment

        rows = self.reader.latest_metrics()
        return ("[" + ",".join(metric_fragment(r.trial_job_id, r.parameter_id, r.type, r.sequence, r.value,
                                               r.timestamp) for r in rows) + "]").encode()

    def trial_jobs_json(self, status: str | None = None) -> bytes:
        """NNI's trial-jobs list, encoded (the fast path of ``GET /trial-jobs``)."""
        items = self._refresh()
        parts = [encoded for record, encoded in items if status is None or record.status == status]
        return b"[" + b",".join(parts) + b"]"

    def metrics_json_chunks(self, trial_job_id: str | None = None, page: int = 20000) -> Iterator[bytes]:
        """NNI's metric-data list, encoded page by page (memory stays flat however many metrics there are)."""
        from ._shapes import metric_fragment

        yield b"["
        after, first = 0, True
        while True:
            rows = self.reader.metrics(trial_job_id, after_id=after, limit=page)
            if not rows:
                break
            body = ",".join(metric_fragment(r.trial_job_id, r.parameter_id, r.type, r.sequence, r.value, r.timestamp)
                            for r in rows)
            yield (body if first else "," + body).encode()
            first = False
            after = rows[-1].id
            if len(rows) < page:
                break
        yield b"]"

    # -- metrics --------------------------------------------------------------------------------------
    def metrics(self, trial_job_id: str | None = None) -> list[MetricView]:
        return [_metric(r) for r in self.reader.metrics(trial_job_id)]

    def latest_metrics(self) -> list[MetricView]:
        return [_metric(r) for r in self.reader.latest_metrics()]

    def statistics(self) -> dict[str, int]:
        return dict(self.reader.status_counts())


def _same_duration(config_value: Any, seconds: Any) -> bool:
    from nni.config import parse_duration

    try:
        return config_value is not None and abs(parse_duration(config_value) - float(seconds)) < 1e-6
    except (TypeError, ValueError):
        return False
