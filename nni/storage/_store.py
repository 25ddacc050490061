"""``StoreReader`` (any thread, any process) and ``ExperimentStore`` (the one writer: the manager)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nni.errors import NNIError

from . import _schema
from ._records import (
    ExperimentProfile,
    MetricRow,
    TrialChanges,
    TrialEvent,
    TrialRecord,
    apply_event,
    dumps,
    loads,
)

__all__ = ["StoreReader", "ExperimentStore", "NewMetric", "redact_config"]

_TRIAL_COLUMNS = (
    "trial_job_id, sequence_id, parameter_id, parameters, parameter_source, status, submit_time, start_time, "
    "end_time, exit_code, reason, handle, final_metric, metrics_offset, resumed_from, replaced_by, "
    "kill_requested, revision"
)
_METRIC_COLUMNS = "id, trial_job_id, parameter_id, type, sequence, value, timestamp, file_offset, revision"
_CHUNK = 500  # ids per IN (...) query
_SECRET_WORDS = ("password", "passwd", "passphrase", "token", "secret")


def redact_config(value: Any) -> Any:
    """A copy of a config (dicts and lists) with every password/passphrase/token/secret value hidden."""
    if isinstance(value, dict):
        return {
            k: ("***" if v not in (None, "") and any(w in str(k).lower() for w in _SECRET_WORDS)
                else redact_config(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_config(v) for v in value]
    return value


@dataclass(frozen=True)
class NewMetric:
    """A metric to store (what a platform read from a trial's metrics file)."""

    trial_job_id: str
    parameter_id: int | None
    type: str
    sequence: int
    value: Any
    timestamp: float
    file_offset: int


def _trial(row: Sequence[Any]) -> TrialRecord:
    return TrialRecord(
        trial_job_id=row[0], sequence_id=row[1], parameter_id=row[2], parameters=loads(row[3]),
        parameter_source=row[4], status=row[5], submit_time=row[6], start_time=row[7], end_time=row[8],
        exit_code=row[9], reason=row[10], handle=loads(row[11]), final_metric=loads(row[12]),
        metrics_offset=row[13], resumed_from=row[14], replaced_by=row[15], kill_requested=row[16],
        revision=row[17],
    )


def _metric(row: Sequence[Any], raw: bool = False) -> MetricRow:
    return MetricRow(row[0], row[1], row[2], row[3], row[4], row[5] if raw else loads(row[5]), row[6], row[7],
                     row[8])


def _page(sql: str, args: list[Any], offset: int, limit: int | None) -> tuple[str, list[Any]]:
    if limit is not None or offset:
        sql += " LIMIT ? OFFSET ?"
        args += [-1 if limit is None else int(limit), int(offset)]
    return sql, args


class StoreReader:
    """Read access to one experiment's store; safe to share between threads (calls are serialised)."""

    def __init__(self, experiment_dir: str | Path, *, _conn: sqlite3.Connection | None = None) -> None:
        self.experiment_dir = Path(experiment_dir)
        self.path = _schema.db_path(self.experiment_dir)
        self._conn = _conn if _conn is not None else _schema.connect(self.path, writer=False)
        self._lock = threading.RLock()

    # -- plumbing -------------------------------------------------------------------------------------
    def _all(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def _one(self, sql: str, args: Iterable[Any] = ()) -> Any:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchone()

    @contextmanager
    def snapshot(self) -> Iterator[StoreReader]:
        """Several reads that see one consistent state (a read transaction)."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self
            finally:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- experiment -----------------------------------------------------------------------------------
    def revision(self) -> int:
        """Grows with every write transaction; rows changed by it carry it (see ``*since_revision``)."""
        row = self._one("SELECT value FROM meta WHERE key = 'revision'")
        return 0 if row is None else int(row[0])

    def _updated(self, fallback: float) -> float:
        row = self._one("SELECT value FROM meta WHERE key = 'updated'")
        return fallback if row is None else float(row[0])

    def profile(self) -> ExperimentProfile | None:
        row = self._one(
            "SELECT experiment_id, name, config, search_space, limits, status, start_time, end_time, error, "
            "traceback, stats, revision, updated FROM profile WHERE id = 1"
        )
        if row is None:
            return None
        return ExperimentProfile(
            experiment_id=row[0], name=row[1], config=loads(row[2]), search_space=loads(row[3]),
            limits=loads(row[4]), status=row[5], start_time=row[6], end_time=row[7], error=row[8],
            traceback=row[9], stats=loads(row[10]), revision=self.revision(), updated=self._updated(row[12]),
        )

    # -- trials ---------------------------------------------------------------------------------------
    def trial(self, trial_job_id: str) -> TrialRecord | None:
        row = self._one(f"SELECT {_TRIAL_COLUMNS} FROM trials WHERE trial_job_id = ?", (trial_job_id,))
        return None if row is None else _trial(row)

    def trials(self, *, status: str | Sequence[str] | None = None, since_revision: int | None = None,
               offset: int = 0, limit: int | None = None) -> list[TrialRecord]:
        """Trials by sequence id; filter by status(es) or by "changed after revision X"; page with offset/limit."""
        sql = f"SELECT {_TRIAL_COLUMNS} FROM trials"
        where, args = [], []  # type: ignore[var-annotated]
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            args += statuses
        if since_revision is not None:
            where.append("revision > ?")
            args.append(int(since_revision))
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql, args = _page(sql + " ORDER BY sequence_id", args, offset, limit)
        return [_trial(r) for r in self._all(sql, args)]

    def trial_changes(self, since_revision: int | None = None, *, intermediate: bool = False) -> TrialChanges:
        """Trials changed after ``since_revision`` (every trial when None) and the revision to ask from next,
        in one snapshot; ``intermediate=True`` adds :meth:`intermediate_stats` of those still going or
        without a final result (asking only for those keeps a cold read of 10,000 trials cheap)."""
        with self.snapshot():
            revision = self.revision()
            trials = self.trials(since_revision=since_revision)
            stats = self.intermediate_stats(
                [t.trial_job_id for t in trials if not t.finished or t.final_metric is None]) if intermediate else {}
        return TrialChanges(revision, trials, stats)

    def next_sequence_id(self) -> int:
        """The sequence id the next trial gets (0 when there is none)."""
        row = self._one("SELECT MAX(sequence_id) FROM trials")
        return 0 if row[0] is None else int(row[0]) + 1

    def trial_count(self, status: str | Sequence[str] | None = None) -> int:
        if status is None:
            return int(self._one("SELECT COUNT(*) FROM trials")[0])
        statuses = [status] if isinstance(status, str) else list(status)
        return int(self._one(
            f"SELECT COUNT(*) FROM trials WHERE status IN ({','.join('?' * len(statuses))})", statuses)[0])

    def status_counts(self) -> dict[str, int]:
        """``{status: number of trials}`` (NNI's job-statistics)."""
        return {s: n for s, n in self._all("SELECT status, COUNT(*) FROM trials GROUP BY status")}

    def trial_events(self, trial_job_id: str | None = None, *, after_id: int = 0) -> list[TrialEvent]:
        sql = "SELECT id, trial_job_id, event, timestamp, data, revision FROM trial_events WHERE id > ?"
        args: list[Any] = [after_id]
        if trial_job_id is not None:
            sql += " AND trial_job_id = ?"
            args.append(trial_job_id)
        return [TrialEvent(r[0], r[1], r[2], r[3], loads(r[4]), r[5]) for r in self._all(sql + " ORDER BY id", args)]

    def derive_trials(self) -> dict[str, TrialRecord]:
        """Trial states recomputed from the event log alone (plus final metrics and offsets)."""
        states: dict[str, TrialRecord] = {}
        for ev in self.trial_events():
            states[ev.trial_job_id] = apply_event(states.get(ev.trial_job_id), ev.event, ev.timestamp, ev.data,
                                                  ev.trial_job_id)
        from dataclasses import replace

        for trial_id, final, offset in self._all(
            "SELECT trial_job_id, (SELECT value FROM metrics f WHERE f.trial_job_id = m.trial_job_id "
            "AND f.type = 'FINAL' ORDER BY f.id LIMIT 1), MAX(file_offset) FROM metrics m GROUP BY trial_job_id"
        ):
            if trial_id in states:
                states[trial_id] = replace(states[trial_id], final_metric=loads(final), metrics_offset=offset)
        return states

    # -- metrics --------------------------------------------------------------------------------------
    def metrics(self, trial_job_id: str | None = None, *, type: str | None = None,  # noqa: A002
                since_revision: int | None = None, after_id: int | None = None,
                offset: int = 0, limit: int | None = None, raw_values: bool = False) -> list[MetricRow]:
        """Metrics in the order they were stored; filter by trial, type, revision or id; page.

        ``raw_values=True`` leaves each ``value`` as its stored JSON text (no decoding: for callers that
        send it on as JSON, like REST's metric-data, whose ``data`` field is that text)."""
        where, args = [], []  # type: ignore[var-annotated]
        if trial_job_id is not None:
            where.append("trial_job_id = ?")
            args.append(trial_job_id)
        if type is not None:
            where.append("type = ?")
            args.append(type)
        if since_revision is not None:
            # Metrics are append-only and their revision grows with their id: "changed after revision r"
            # is "id from the first row of a later revision", a primary-key range (the index finds it).
            first = self._one("SELECT MIN(id) FROM metrics WHERE revision > ?", (int(since_revision),))[0]
            if first is None:
                return []
            where.append("id >= ?")
            args.append(int(first))
        if after_id is not None:
            where.append("id > ?")
            args.append(int(after_id))
        sql = f"SELECT {_METRIC_COLUMNS} FROM metrics"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql, args = _page(sql + " ORDER BY id", args, offset, limit)
        return [_metric(r, raw_values) for r in self._all(sql, args)]

    def latest_metrics(self, *, raw_values: bool = False) -> list[MetricRow]:
        """The most recent metric of each trial (NNI's metric-data-latest)."""
        return [_metric(r, raw_values) for r in self._all(
            f"SELECT {_METRIC_COLUMNS} FROM metrics WHERE id IN "
            "(SELECT last_metric_id FROM trials WHERE last_metric_id IS NOT NULL) ORDER BY id"
        )]

    def intermediate_history(self, trial_job_id: str) -> list[Any]:
        """A trial's PERIODICAL values in order (what an assessor is given)."""
        return [loads(r[0]) for r in self._all(
            "SELECT value FROM metrics WHERE trial_job_id = ? AND type = 'PERIODICAL' ORDER BY sequence",
            (trial_job_id,))]

    def metric_pages(self, trial_job_id: str | None = None, *, page: int = 20000) -> Iterator[list[MetricRow]]:
        """Every metric (of one trial, or all) in storage order, ``page`` rows at a time (flat memory)."""
        after = 0
        while True:
            rows = self.metrics(trial_job_id, after_id=after, limit=page)
            if rows:
                yield rows
            if len(rows) < page:
                return
            after = rows[-1].id

    def intermediate_stats(self, trial_job_ids: Sequence[str]) -> dict[str, tuple[int, Any]]:
        """``{trial id: (number of PERIODICAL results, the latest one)}``; trials without any are left out."""
        out: dict[str, tuple[int, Any]] = {}
        sql = (
            "SELECT m.trial_job_id, c.n, m.value FROM metrics m JOIN ("
            "SELECT trial_job_id, COUNT(*) AS n, MAX(sequence) AS last FROM metrics "
            "WHERE type = 'PERIODICAL' AND trial_job_id IN ({marks}) GROUP BY trial_job_id) c "
            "ON m.trial_job_id = c.trial_job_id AND m.type = 'PERIODICAL' AND m.sequence = c.last"
        )
        for start in range(0, len(trial_job_ids), _CHUNK):
            chunk = list(trial_job_ids[start:start + _CHUNK])
            for tid, n, value in self._all(sql.format(marks=",".join("?" * len(chunk))), chunk):
                out[tid] = (int(n), loads(value))
        return out

    def intermediate_results(self, trial_job_ids: Sequence[str]) -> dict[str, list[MetricRow]]:
        """The PERIODICAL results of several trials, grouped by trial, each by sequence (every id is a key)."""
        out: dict[str, list[MetricRow]] = {tid: [] for tid in trial_job_ids}
        for start in range(0, len(trial_job_ids), _CHUNK):
            chunk = list(trial_job_ids[start:start + _CHUNK])
            for row in self._all(
                f"SELECT {_METRIC_COLUMNS} FROM metrics WHERE type = 'PERIODICAL' AND trial_job_id IN "
                f"({','.join('?' * len(chunk))}) ORDER BY trial_job_id, sequence", chunk
            ):
                out[row[1]].append(_metric(row))
        return out

    def metric_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM metrics")[0])

    # -- the algorithm journal (resume replays it) -----------------------------------------------------
    def algorithm_log(self) -> list[tuple[int, str, dict[str, Any]]]:
        return [(r[0], r[1], loads(r[2])) for r in self._all("SELECT id, call, data FROM algorithm_log ORDER BY id")]


class ExperimentStore(StoreReader):
    """The writer (one per experiment, held by the manager; a lock file keeps a second one out).

    Writes made inside ``with store.transaction():`` commit together, and every write is committed
    before the method returns when no transaction is open: persist, then act. ``synchronous``:
    ``"NORMAL"`` (default; SQLite WAL) makes a commit survive the death of this process (``kill -9``) at
    about 0.1 ms; ``"FULL"`` also survives a power cut, at an fsync per commit (7-9 ms on this machine).
    """

    def __init__(self, experiment_dir: str | Path, *, synchronous: str = "NORMAL") -> None:
        path = _schema.db_path(experiment_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(path.parent / "writer.lock", "a+")  # noqa: SIM115
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise NNIError(
                f"experiment store {path} is already open for writing by another process "
                "(is its manager still running? stop it first)"
            ) from None
        try:
            conn = _schema.connect(path, writer=True, synchronous=synchronous)
        except BaseException:
            self._lock_file.close()
            raise
        super().__init__(experiment_dir, _conn=conn)
        self._depth = 0
        self._revision = self.revision()
        self._bumped = False

    # -- transactions ---------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
                self._bumped = False
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                    self._revision = int(self.revision())
                raise
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("COMMIT")

    def _rev(self) -> int:
        """The revision of the open transaction (bumped once per transaction)."""
        if not self._bumped:
            self._revision += 1
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES ('revision', ?), ('updated', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(self._revision), repr(time.time())))
            self._bumped = True
        return self._revision

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            super().close()
            self._lock_file.close()

    # -- experiment -----------------------------------------------------------------------------------
    def init_profile(self, experiment_id: str, name: str | None, config: dict[str, Any],
                     search_space: dict[str, Any], limits: dict[str, Any], *,
                     status: str = "INITIALIZED", start_time: float | None = None) -> None:
        """Create the profile of a new experiment (secrets in ``config`` are redacted here)."""
        with self.transaction():
            now = time.time()
            self._conn.execute(
                "INSERT INTO profile (id, experiment_id, name, config, search_space, limits, status, start_time, "
                "revision, updated) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (experiment_id, name, dumps(redact_config(config)), dumps(search_space), dumps(limits), status,
                 start_time if start_time is not None else now, now),
            )
            self._rev()

    def _update_profile(self, **columns: Any) -> None:
        with self.transaction():
            self._rev()
            sets = ", ".join(f"{k} = ?" for k in columns)
            cur = self._conn.execute(f"UPDATE profile SET {sets} WHERE id = 1", tuple(columns.values()))
            if cur.rowcount != 1:
                raise NNIError(f"experiment store {self.path} has no profile; call init_profile() first")

    def set_status(self, status: str, *, error: str | None = None, traceback: str | None = None,
                   end_time: float | None = None) -> None:
        columns: dict[str, Any] = {"status": status}
        if error is not None:
            columns["error"] = error
        if traceback is not None:
            columns["traceback"] = traceback
        if end_time is not None:
            columns["end_time"] = end_time
        self._update_profile(**columns)

    def clear_end(self) -> None:
        """A resumed experiment runs again: no end time, no error."""
        self._update_profile(end_time=None, error=None, traceback=None)

    def update_limits(self, **changes: Any) -> dict[str, Any]:
        profile = self.profile()
        assert profile is not None
        limits = {**profile.limits, **changes}
        self._update_profile(limits=dumps(limits))
        return limits

    def set_search_space(self, search_space: dict[str, Any]) -> None:
        self._update_profile(search_space=dumps(search_space))

    def set_stats(self, stats: dict[str, Any]) -> None:
        self._update_profile(stats=dumps(stats))

    # -- trials ---------------------------------------------------------------------------------------
    def add_trial_event(self, trial_job_id: str, event: str, data: dict[str, Any] | None = None, *,
                        timestamp: float | None = None) -> TrialRecord:
        """Append an event and update the trial's derived state in the same transaction."""
        data = data or {}
        ts = time.time() if timestamp is None else timestamp
        with self.transaction():
            rev = self._rev()
            current = self.trial(trial_job_id) if event != "CREATED" else None
            if event == "CREATED" and self.trial(trial_job_id) is not None:
                raise NNIError(f"trial {trial_job_id} exists already")
            record = apply_event(current, event, ts, data, trial_job_id)
            self._conn.execute(
                "INSERT INTO trial_events (trial_job_id, event, timestamp, data, revision) VALUES (?, ?, ?, ?, ?)",
                (trial_job_id, event, ts, dumps(data), rev),
            )
            self._conn.execute(
                f"INSERT INTO trials ({_TRIAL_COLUMNS}) VALUES ({','.join('?' * 18)}) "
                "ON CONFLICT(trial_job_id) DO UPDATE SET status = excluded.status, start_time = excluded.start_time, "
                "end_time = excluded.end_time, exit_code = excluded.exit_code, reason = excluded.reason, "
                "handle = excluded.handle, replaced_by = excluded.replaced_by, "
                "kill_requested = excluded.kill_requested, revision = excluded.revision",
                (record.trial_job_id, record.sequence_id, record.parameter_id, dumps(record.parameters),
                 record.parameter_source, record.status, record.submit_time, record.start_time, record.end_time,
                 record.exit_code, record.reason, dumps(record.handle) if record.handle is not None else None,
                 dumps(record.final_metric) if record.final_metric is not None else None, record.metrics_offset,
                 record.resumed_from, record.replaced_by, record.kill_requested, rev),
            )
        return record

    def add_metrics(self, metrics: Iterable[NewMetric]) -> list[MetricRow]:
        """Store metrics in one transaction; a metric already stored (same trial, type, sequence) is skipped.

        Returns the rows really added, in order: only those are acted upon.
        """
        added: list[MetricRow] = []
        offsets: dict[str, int] = {}
        finals: dict[str, str] = {}
        last_ids: dict[str, int] = {}
        with self.transaction():
            rev = self._rev()
            insert = ("INSERT OR IGNORE INTO metrics (trial_job_id, parameter_id, type, sequence, value, timestamp, "
                      "file_offset, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for m in metrics:
                value = dumps(m.value)
                cur = self._conn.execute(insert, (m.trial_job_id, m.parameter_id, m.type, m.sequence, value,
                                                  m.timestamp, m.file_offset, rev))
                offsets[m.trial_job_id] = max(offsets.get(m.trial_job_id, 0), m.file_offset)
                if cur.rowcount == 1:
                    last_ids[m.trial_job_id] = int(cur.lastrowid or 0)
                    if m.type == "FINAL":
                        finals.setdefault(m.trial_job_id, value)
                    added.append(MetricRow(int(cur.lastrowid or 0), m.trial_job_id, m.parameter_id, m.type,
                                           m.sequence, m.value, m.timestamp, m.file_offset, rev))
            for trial_id, offset in offsets.items():
                self._conn.execute(
                    "UPDATE trials SET metrics_offset = MAX(metrics_offset, ?), revision = ?, "
                    "final_metric = COALESCE(final_metric, ?), last_metric_id = COALESCE(?, last_metric_id) "
                    "WHERE trial_job_id = ?",
                    (offset, rev, finals.get(trial_id), last_ids.get(trial_id), trial_id))
        return added

    def next_ids(self) -> tuple[int, int]:
        """``(next sequence id, next parameter id)`` from what is stored."""
        row = self._one("SELECT MAX(sequence_id), MAX(parameter_id) FROM trials")
        log_max = -1
        for _id, _call, data in self._all_log_generate():
            log_max = max([log_max, *data.get("ids", [])])
        seq = -1 if row[0] is None else row[0]
        pid = -1 if row[1] is None else row[1]
        return seq + 1, max(pid, log_max) + 1

    def _all_log_generate(self) -> list[tuple[int, str, dict[str, Any]]]:
        return [(r[0], r[1], loads(r[2])) for r in self._all(
            "SELECT id, call, data FROM algorithm_log WHERE call = 'generate' ORDER BY id DESC LIMIT 1")]

    def log_algorithm(self, call: str, data: dict[str, Any]) -> None:
        """Append to the algorithm journal that ``resume`` replays (inside the caller's transaction if any)."""
        with self.transaction():
            self._rev()
            self._conn.execute("INSERT INTO algorithm_log (call, data, timestamp) VALUES (?, ?, ?)",
                               (call, dumps(data), time.time()))


def store_exists(experiment_dir: str | Path) -> bool:
    return os.path.exists(_schema.db_path(experiment_dir))
