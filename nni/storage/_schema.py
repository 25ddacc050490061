"""The SQLite schema of one experiment's store, versioned; opening connections with the right pragmas."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from nni.errors import NNIError

SCHEMA_VERSION = 1
DB_RELATIVE_PATH = Path("db") / "nni.sqlite"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS profile (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    experiment_id TEXT NOT NULL,
    name TEXT,
    config TEXT NOT NULL,
    search_space TEXT NOT NULL,
    limits TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time REAL,
    end_time REAL,
    error TEXT,
    traceback TEXT,
    stats TEXT NOT NULL DEFAULT '{}',
    revision INTEGER NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trial_events (
    id INTEGER PRIMARY KEY,  -- rows are never deleted: ids only grow
    trial_job_id TEXT NOT NULL,
    event TEXT NOT NULL,
    timestamp REAL NOT NULL,
    data TEXT NOT NULL,
    revision INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    sequence_id INTEGER PRIMARY KEY,
    trial_job_id TEXT NOT NULL UNIQUE,
    parameter_id INTEGER NOT NULL,
    parameters TEXT NOT NULL,
    parameter_source TEXT NOT NULL,
    status TEXT NOT NULL,
    submit_time REAL NOT NULL,
    start_time REAL,
    end_time REAL,
    exit_code INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    handle TEXT,
    final_metric TEXT,
    metrics_offset INTEGER NOT NULL DEFAULT 0,
    resumed_from TEXT,
    replaced_by TEXT,
    kill_requested TEXT,
    last_metric_id INTEGER,
    revision INTEGER NOT NULL
);
-- Writes are what this store is slow at (every page a commit touches is one more write): trials keep
-- one index (trial_job_id), trial events none; a scan of 10,000 trials takes a few milliseconds.
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY,  -- rows are never deleted: ids only grow
    trial_job_id TEXT NOT NULL,
    parameter_id INTEGER,
    type TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    value TEXT NOT NULL,
    timestamp REAL NOT NULL,
    file_offset INTEGER NOT NULL,
    revision INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS metrics_once ON metrics (trial_job_id, type, sequence);
CREATE INDEX IF NOT EXISTS metrics_by_revision ON metrics (revision);
CREATE INDEX IF NOT EXISTS metrics_by_type ON metrics (type, id);
CREATE TABLE IF NOT EXISTS algorithm_log (
    id INTEGER PRIMARY KEY,  -- rows are never deleted: ids only grow
    call TEXT NOT NULL,
    data TEXT NOT NULL,
    timestamp REAL NOT NULL
);
"""


def db_path(experiment_dir: str | Path) -> Path:
    """Where the store of the experiment in ``experiment_dir`` lives."""
    return Path(experiment_dir) / DB_RELATIVE_PATH


def connect(path: Path, *, writer: bool, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """A connection with the store's pragmas; a writer creates the schema if the file is new."""
    if writer:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise NNIError(f"no experiment store at {path}; expected an experiment folder holding {DB_RELATIVE_PATH}")
    try:
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        if writer:
            raise
        # A read-only copy of a stopped experiment (no write access to the folder): read it as is.
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=30000")
    if writer:
        if synchronous.upper() not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        conn.executescript(
            "BEGIN IMMEDIATE;" + _TABLES
            + f"INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');COMMIT;"
        )
        _check_version(conn, path, create=True)
    else:
        conn.execute("PRAGMA query_only=1")
        _check_version(conn, path, create=False)
    return conn


def _check_version(conn: sqlite3.Connection, path: Path, *, create: bool) -> None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError as exc:
        raise NNIError(f"{path} is not an experiment store ({exc})") from None
    if row is None:
        if not create:
            raise NNIError(f"experiment store {path} is empty (no schema version); was the experiment created?")
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        return
    version = int(row[0])
    if version > SCHEMA_VERSION:
        raise NNIError(
            f"experiment store {path} has schema version {version}, newer than this nni understands "
            f"({SCHEMA_VERSION}); upgrade nni to open it"
        )
