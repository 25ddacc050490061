"""The store of one experiment: ``<experiment_dir>/db/nni.sqlite`` (SQLite, WAL, schema versioned).

One writer (the manager, ``ExperimentStore``; a lock file keeps a second writer out), any number of
readers (``StoreReader``: the REST thread, ``nnictl view`` / ``export`` on a stopped experiment, other
processes). A stopped experiment's folder is self-contained: copy it and open a reader on the copy.

Public read API (what REST, nnictl and the Python API code against)::

    from nni.storage import open_reader, export_data, write_csv
    reader = open_reader(experiment_dir)          # StoreReader; thread-safe; reader.close() when done
    reader.profile()        -> ExperimentProfile | None
        .experiment_id .name .config (camelCase dict, secrets "***") .search_space .limits
        .status .start_time .end_time (epoch seconds) .error .traceback .stats .revision .updated
        limits keys: trialConcurrency, maxTrialNumber, maxExperimentDuration (s), maxTrialDuration (s)
        (None = no limit); stats: tunerCalls, tunerSeconds, assessorCalls, assessorSeconds (time spent in
        the tuner / assessor), elapsed (running seconds, downtime between runs excluded), resumes,
        replaySeconds (time the last resume spent rebuilding the tuner)
    reader.revision()       -> int   grows with every write transaction
    reader.trials(status=None | "RUNNING" | [..], since_revision=None, offset=0, limit=None)
                            -> [TrialRecord] by sequence id; ``since_revision=r`` gives only trials
                               changed after revision r (poll: r = reader.revision() before reading)
    reader.trial(trial_job_id) -> TrialRecord | None
        .trial_job_id .sequence_id .parameter_id .parameters .parameter_source ("algorithm" |
        "customized" | "resumed") .status .submit_time .start_time .end_time .exit_code .reason (why it
        waits / why it ended) .handle .final_metric (value kept whole) .metrics_offset .resumed_from
        .replaced_by .kill_requested .revision .finished
    reader.trial_changes(since_revision=None, intermediate=False) -> TrialChanges(revision, trials,
                               intermediate) in one snapshot: what changed after a revision (poll with the
                               revision it returns); intermediate: {trial id: (count, latest PERIODICAL value)}
                               of the changed trials still going or without a final result
    reader.next_sequence_id() -> int
    reader.trial_count(status=None), reader.status_counts() -> {status: n}
    reader.trial_events(trial_job_id=None, after_id=0) -> [TrialEvent(id, trial_job_id, event, timestamp, data)]
    reader.metrics(trial_job_id=None, type=None | "PERIODICAL" | "FINAL", since_revision=None,
                   after_id=None, offset=0, limit=None, raw_values=False) -> [MetricRow] in storage order
        (raw_values=True: .value is the stored JSON text, undecoded; the fast path for metric-data)
        .id .trial_job_id .parameter_id .type .sequence .value (number or dict, as reported)
        .timestamp .file_offset .revision
    reader.metric_pages(trial_job_id=None, page=20000) -> iterator of [MetricRow] pages (flat memory)
    reader.latest_metrics(raw_values=False) -> [MetricRow] the newest metric of each trial
    reader.intermediate_stats(trial_ids) -> {trial id: (count, latest value)} (PERIODICAL; grouped)
    reader.intermediate_results(trial_ids) -> {trial id: [MetricRow]} (PERIODICAL, by sequence; grouped)
    reader.intermediate_history(trial_job_id) -> [values]   (PERIODICAL, by sequence)
    reader.metric_count()
    with reader.snapshot(): ...   several reads seeing one consistent state

Export without a manager: ``export_rows(reader, intermediate=False)`` (one dict per trial),
``export_data(reader)`` (NNI's ``[{"parameter", "value", "trialJobId"}]``), ``csv_rows(reader)``,
``write_csv(reader, path=None)``, ``write_json(reader, path=None)``.

Trial state is derived from append-only events (``CREATED``, ``WAITING``, ``RUNNING``, ``KILL``,
``EXITED``; see :func:`apply_event`); the ``trials`` table is that derivation, updated in the same
transaction as each event (``reader.derive_trials()`` recomputes it from the events alone).
"""

from __future__ import annotations

from pathlib import Path

from ._export import csv_rows, export_data, export_rows, write_csv, write_json
from ._records import (
    TRIAL_EVENTS,
    ExperimentProfile,
    MetricRow,
    TrialChanges,
    TrialEvent,
    TrialRecord,
    apply_event,
)
from ._schema import SCHEMA_VERSION, db_path
from ._store import ExperimentStore, NewMetric, StoreReader, redact_config, store_exists

__all__ = [
    "TRIAL_EVENTS",
    "SCHEMA_VERSION",
    "ExperimentProfile",
    "ExperimentStore",
    "MetricRow",
    "NewMetric",
    "StoreReader",
    "TrialChanges",
    "TrialEvent",
    "TrialRecord",
    "apply_event",
    "csv_rows",
    "db_path",
    "export_data",
    "export_rows",
    "open_reader",
    "open_store",
    "redact_config",
    "store_exists",
    "write_csv",
    "write_json",
]


def open_reader(experiment_dir: str | Path) -> StoreReader:
    """A reader of the experiment in ``experiment_dir`` (raises ``NNIError`` when there is no store)."""
    return StoreReader(experiment_dir)


def open_store(experiment_dir: str | Path, *, synchronous: str = "NORMAL") -> ExperimentStore:
    """The writer of the experiment in ``experiment_dir`` (created if new; raises if already held).
    ``synchronous="FULL"`` makes every commit survive a power cut too (see ``ExperimentStore``)."""
    return ExperimentStore(experiment_dir, synchronous=synchronous)
