"""The web UI's in-memory trial table: incremental refresh, columns, sort, filter, search, pages, deltas.

One ``TrialTable`` per experiment served, fed by the store's read model: ``refresh()`` asks
``reader.trial_changes`` only for trials changed since the last call and stamps each changed trial with a new revision number, so the browser can ask
"what changed since revision R" and get a handful of rows instead of the whole experiment. Sorting
and filtering 10,000 rows in Python takes a few milliseconds; results are cached per revision.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nni.analysis.results import finite_number, flatten_parameters
from nni.errors import RequestError
from nni.storage import TrialChanges, TrialRecord

from ._metrics import default_metric, other_metrics

__all__ = ["TrialTable", "TableQuery", "TrialFeed", "ExtraColumns", "flatten_parameters", "BASE_COLUMNS"]

BASE_COLUMNS = ("id", "seq", "status", "start", "end", "duration", "default", "latest", "source")
# table column -> the trial record's field it shows
_RECORD_FIELDS = {"id": "trial_job_id", "seq": "sequence_id", "status": "status", "start": "start_time",
                  "end": "end_time", "source": "parameter_source"}
_OPS = ("<=", ">=", "!=", "==", "=", "<", ">", "~")
_FILTER_RE = re.compile(r"^\s*([^<>=!~]+?)\s*(<=|>=|!=|==|=|<|>|~)\s*(.+?)\s*$")


class TrialFeed(Protocol):
    """What the table reads: ``nni.storage.StoreReader`` (a list in the table's tests)."""

    def trial_changes(self, since_revision: int | None = None, *, intermediate: bool = False) -> TrialChanges: ...


class ExtraColumns(Protocol):
    """Columns computed over the whole experiment (the Pareto set), placed after the base columns."""

    def names(self) -> list[str]:
        """The extra columns this experiment has now (none for most)."""
        ...

    def values(self, column: str) -> dict[str, Any]:
        """The column's value of each trial that has one (trial id -> value), at the table's revision."""
        ...


@dataclass(frozen=True)
class TableQuery:
    sort: str = "seq"
    descending: bool = False
    statuses: tuple[str, ...] = ()
    search: str = ""
    filters: str = ""


@dataclass
class _Entry:
    row: TrialRecord
    flat: dict[str, Any]
    metric: float | None
    others: dict[str, Any]
    latest: float | None
    rev: int
    _text: str | None = None

    @property
    def text(self) -> str:
        """Lower-case text a search matches against (built on the first search only)."""
        if self._text is None:
            row = self.row
            self._text = " ".join([row.trial_job_id, row.status, str(row.sequence_id),
                                   json.dumps(_parameters(row))]).lower()
        return self._text


def _parameters(row: TrialRecord) -> dict[str, Any]:
    return row.parameters if isinstance(row.parameters, dict) else {}


class TrialTable:
    """All trials of one experiment, kept current with ``refresh``. Thread-safe."""

    def __init__(self, feed: TrialFeed, *, min_refresh_interval: float = 0.3) -> None:
        self._feed = feed
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._by_seq: list[str] = []
        self._changes: list[tuple[int, str]] = []  # (revision, trial id), revision ascending
        self._cursor: int | None = None
        self._loaded = False
        self.revision = 0
        self._param_columns: dict[str, None] = {}
        self._metric_columns: dict[str, None] = {}
        self._last_refresh = 0.0
        self._min_interval = min_refresh_interval
        self._query_cache: dict[tuple[Any, ...], list[str]] = {}
        self.extra: ExtraColumns | None = None
        self._extra_values: dict[str, tuple[int, dict[str, Any]]] = {}

    # ----- refresh -----------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> int:
        """Pull changed trials from the store; returns the current revision."""
        with self._lock:
            now = time.monotonic()
            if self._loaded and not force and now - self._last_refresh < self._min_interval:
                return self.revision
            changes = self._feed.trial_changes(self._cursor, intermediate=True)
            self._cursor = changes.revision
            self._last_refresh = time.monotonic()
            self._loaded = True
            if changes.trials:
                self._apply(changes)
            return self.revision

    def _apply(self, changes: TrialChanges) -> None:
        new_ids = False
        for row in changes.trials:
            self.revision += 1
            flat = flatten_parameters(row.parameters)
            for key in flat:
                self._param_columns.setdefault(key, None)
            others = other_metrics(row.final_metric)
            for key in others:
                self._metric_columns.setdefault(key, None)
            tid = row.trial_job_id
            if tid not in self._entries:
                new_ids = True
            _, latest = changes.intermediate.get(tid, (None, None))
            self._entries[tid] = _Entry(
                row=row,
                flat=flat,
                metric=finite_number(default_metric(row.final_metric)),
                others=others,
                latest=finite_number(default_metric(latest)),
                rev=self.revision,
            )
            self._changes.append((self.revision, tid))
        if new_ids:
            self._by_seq = sorted(self._entries, key=lambda i: (self._entries[i].row.sequence_id, i))
        self._query_cache.clear()
        if len(self._changes) > 4 * max(len(self._entries), 1000):
            self._compact_changes()

    def _compact_changes(self) -> None:
        latest = {tid: rev for rev, tid in self._changes}
        self._changes = sorted((rev, tid) for tid, rev in latest.items())

    # ----- columns -----------------------------------------------------------------------------
    @property
    def param_columns(self) -> list[str]:
        return list(self._param_columns)

    @property
    def metric_columns(self) -> list[str]:
        return list(self._metric_columns)

    def _extra_names(self) -> list[str]:
        return self.extra.names() if self.extra is not None else []

    def _extra_value(self, column: str, trial_id: str) -> Any:
        cached = self._extra_values.get(column)
        if cached is None or cached[0] != self.revision:
            assert self.extra is not None
            cached = (self.revision, self.extra.values(column))
            self._extra_values[column] = cached
        return cached[1].get(trial_id)

    def records(self) -> list[TrialRecord]:
        """Every trial's record, in sequence order (as of the last refresh)."""
        with self._lock:
            return [self._entries[tid].row for tid in self._by_seq]

    def flattened(self) -> tuple[list[TrialRecord], list[dict[str, Any]]]:
        """Every trial's record and its flattened parameters, in sequence order (as of the last refresh)."""
        with self._lock:
            entries = [self._entries[tid] for tid in self._by_seq]
        return [e.row for e in entries], [e.flat for e in entries]

    def columns(self) -> list[str]:
        with self._lock:
            return (
                list(BASE_COLUMNS)
                + self._extra_names()
                + [f"metric:{k}" for k in self._metric_columns]
                + [f"param:{k}" for k in self._param_columns]
            )

    def _value(self, entry: _Entry, column: str, now: float) -> Any:
        row = entry.row
        field = _RECORD_FIELDS.get(column)
        if field is not None:
            return getattr(row, field)
        if column == "duration":
            if row.start_time is None:
                return None
            end = row.end_time if row.end_time is not None else (None if row.finished else now)
            return None if end is None else max(0.0, end - row.start_time)
        if column == "default":
            return entry.metric
        if column == "latest":
            return entry.latest
        if column == "message":
            return row.reason or None
        if column.startswith("param:"):
            return entry.flat.get(column[6:])
        if column.startswith("metric:"):
            value = entry.others.get(column[7:])
            return value if value is None or isinstance(value, (int, float, str)) else json.dumps(value)
        if column in self._extra_names():
            return self._extra_value(column, row.trial_job_id)
        raise RequestError(f"unknown column {column!r}; expected one of {', '.join(self.columns())}", 404)

    def resolve_column(self, name: str) -> str:
        """A column name as a user may type it (``lr``, ``param:lr``, ``accuracy``) to its full name."""
        name = name.strip()
        with self._lock:
            if name in BASE_COLUMNS or name == "message" or name in self._extra_names():
                return name
            if name.startswith(("param:", "metric:")):
                if name[6:] in self._param_columns or name[7:] in self._metric_columns:
                    return name
            elif name in self._param_columns:
                return f"param:{name}"
            elif name in self._metric_columns:
                return f"metric:{name}"
            raise RequestError(
                f"unknown column {name!r}: expected a trial field ({', '.join(BASE_COLUMNS)}), "
                f"a parameter ({', '.join(self._param_columns) or 'none yet'}) "
                f"or a metric key ({', '.join(self._metric_columns) or 'none yet'})", 404,
            )

    # ----- queries -----------------------------------------------------------------------------
    def _parse_filters(self, text: str) -> list[tuple[str, str, Any]]:
        out: list[tuple[str, str, Any]] = []
        for part in re.split(r";|\band\b|&&", text):
            if not part.strip():
                continue
            match = _FILTER_RE.match(part)
            if not match:
                raise RequestError(
                    f"cannot read filter {part.strip()!r}: expected COLUMN OP VALUE with OP one of "
                    f"{' '.join(_OPS)}, e.g. 'default >= 0.9; lr < 0.01'"
                )
            column, op, raw = match.groups()
            value: Any = raw.strip("'\"")
            if op != "~":
                try:
                    value = float(value)
                except ValueError:
                    pass
            out.append((self.resolve_column(column), op, value))
        return out

    @staticmethod
    def _matches(value: Any, op: str, target: Any) -> bool:
        if op == "~":
            return value is not None and str(target).lower() in str(value).lower()
        if value is None:
            return op == "!="
        if isinstance(target, float) and not isinstance(value, (int, float)):
            return op == "!="
        if isinstance(target, str) and isinstance(value, (int, float)):
            return op == "!="
        try:
            if op in ("=", "=="):
                return value == target
            if op == "!=":
                return value != target
            if op == "<":
                return value < target
            if op == "<=":
                return value <= target
            if op == ">":
                return value > target
            return value >= target
        except TypeError:
            return False

    def ordered_ids(self, query: TableQuery) -> list[str]:
        """Ids of the trials the query keeps, in its order (cached per revision)."""
        with self._lock:
            sort = self.resolve_column(query.sort)
            filters = self._parse_filters(query.filters)
            key = (self.revision, sort, query.descending, query.statuses, query.search.lower(), repr(filters))
            cached = self._query_cache.get(key)
            if cached is not None:
                return cached
            now = time.time()
            ids = self._by_seq
            statuses = {s.upper() for s in query.statuses}
            needle = query.search.strip().lower()
            if statuses or needle or filters:
                kept = []
                for tid in ids:
                    entry = self._entries[tid]
                    if statuses and entry.row.status not in statuses:
                        continue
                    if needle and needle not in entry.text:
                        continue
                    if filters and not all(
                        self._matches(self._value(entry, col, now), op, target) for col, op, target in filters
                    ):
                        continue
                    kept.append(tid)
                ids = kept
            if sort != "seq" or query.descending:
                ids = self._sorted(ids, sort, query.descending, now)
            if len(self._query_cache) > 64:
                self._query_cache.clear()
            self._query_cache[key] = ids
            return ids

    def _sorted(self, ids: Sequence[str], column: str, descending: bool, now: float) -> list[str]:
        present: list[tuple[Any, int, str]] = []
        missing: list[str] = []
        numbers = strings = False
        for tid in ids:
            entry = self._entries[tid]
            value = self._value(entry, column, now)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                missing.append(tid)
                continue
            if isinstance(value, bool):
                value = int(value)
            numbers |= isinstance(value, (int, float))
            strings |= isinstance(value, str)
            present.append((value, entry.row.sequence_id, tid))
        if numbers and strings:  # mixed column (e.g. a choice of numbers and strings): compare as text
            present = [(str(v), s, t) for v, s, t in present]
        present.sort(key=lambda item: (item[0], item[1]), reverse=descending)
        # Trials without a value go last in both directions.
        return [tid for _, _, tid in present] + missing

    def page(self, query: TableQuery, offset: int, limit: int, columns: Sequence[str] | None = None) -> dict[str, Any]:
        """One page of rows as a compact columnar payload."""
        with self._lock:
            ids = self.ordered_ids(query)
            cols = list(columns) if columns else self.columns()
            offset = max(0, offset)
            chosen = ids[offset : offset + max(0, limit)]
            return {
                "revision": self.revision,
                "total": len(ids),
                "all": len(self._entries),
                "offset": offset,
                "columns": cols,
                "rows": self.rows(chosen, cols),
            }

    def rows(self, ids: Iterable[str], columns: Sequence[str]) -> list[list[Any]]:
        now = time.time()
        out = []
        for tid in ids:
            entry = self._entries.get(tid)
            if entry is not None:
                out.append([self._value(entry, c, now) for c in columns])
        return out

    def changed_since(self, revision: int) -> list[str]:
        with self._lock:
            start = bisect.bisect_right(self._changes, (revision, "\uffff"))
            seen: dict[str, None] = {}
            for _, tid in self._changes[start:]:
                seen[tid] = None
            return list(seen)

    def get(self, trial_id: str) -> TrialRecord | None:
        with self._lock:
            entry = self._entries.get(trial_id)
            return entry.row if entry else None

    def column_arrays(self, columns: Sequence[str], ids: Sequence[str] | None = None) -> dict[str, list[Any]]:
        """Whole columns (every trial in sequence order unless ``ids``) for the charts."""
        with self._lock:
            chosen = self._by_seq if ids is None else ids
            now = time.time()
            entries = [self._entries[t] for t in chosen if t in self._entries]
            return {c: [self._value(e, c, now) for e in entries] for c in columns}

    # ----- summaries ---------------------------------------------------------------------------
    def status_counts(self) -> dict[str, int]:
        with self._lock:
            cached = self._query_cache.get(("counts", self.revision))
            if cached is not None:
                return dict(cached)  # type: ignore[arg-type]
            counts: dict[str, int] = {}
            for entry in self._entries.values():
                counts[entry.row.status] = counts.get(entry.row.status, 0) + 1
            self._query_cache[("counts", self.revision)] = counts  # type: ignore[assignment]
            return dict(counts)

    def best(self, maximize: bool, count: int = 10) -> list[str]:
        """Ids of the best trials by default final metric."""
        with self._lock:
            key = ("best", self.revision, maximize, count)
            cached = self._query_cache.get(key)
            if cached is not None:
                return list(cached)
            scored = [(e.metric, e.row.sequence_id, tid) for tid, e in self._entries.items() if e.metric is not None]
            scored.sort(key=lambda item: ((-item[0]) if maximize else item[0], item[1]))
            best = [tid for _, _, tid in scored[:count]]
            self._query_cache[key] = best
            return list(best)

    def __len__(self) -> int:
        return len(self._entries)
