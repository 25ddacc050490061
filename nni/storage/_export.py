"""Export an experiment's results from its store alone (no manager needed): rows for JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._records import TrialRecord
from ._store import StoreReader

__all__ = ["export_rows", "export_data", "csv_rows", "write_csv", "write_json"]


def _row(t: TrialRecord) -> dict[str, Any]:
    return {
        "trial_job_id": t.trial_job_id,
        "sequence_id": t.sequence_id,
        "status": t.status,
        "parameter_id": t.parameter_id,
        "parameter_source": t.parameter_source,
        "parameters": t.parameters,
        "final_metric": t.final_metric,
        "start_time": t.start_time,
        "end_time": t.end_time,
    }


def export_rows(reader: StoreReader, *, intermediate: bool = False,
                extra_columns: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One dict per trial, by sequence id: id, sequence, status, parameters, final metric (kept whole),
    times; with ``intermediate`` also ``"intermediate": [values...]``; ``extra_columns`` (name -> trial id ->
    value, e.g. the Pareto set's) add one key each."""
    rows = []
    for t in reader.trials():
        row = _row(t)
        for name, values in (extra_columns or {}).items():
            row[name] = values.get(t.trial_job_id)
        if intermediate:
            row["intermediate"] = reader.intermediate_history(t.trial_job_id)
        rows.append(row)
    return rows


def export_data(reader: StoreReader) -> list[dict[str, Any]]:
    """NNI's export shape: ``[{"parameter": {...}, "value": final metric, "trialJobId": id}, ...]`` for
    every trial with a final metric (the shape ``import_data`` takes back)."""
    return [
        {"parameter": t.parameters, "value": t.final_metric, "trialJobId": t.trial_job_id}
        for t in reader.trials()
        if t.final_metric is not None
    ]


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}/{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def csv_rows(reader: StoreReader, *, metric_keys_first: Sequence[str] = ("default",),
             extra_columns: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """``(header, rows)`` with nested parameters flattened as ``outer/inner`` and dict metrics spread
    into one column per key (``metric_keys_first`` first: ``default``, or an experiment's objectives);
    ``extra_columns`` (name -> trial id -> value) follow the status."""
    rows: list[dict[str, Any]] = []
    param_keys: dict[str, None] = {}
    metric_keys: dict[str, None] = dict.fromkeys(metric_keys_first)
    extra = extra_columns or {}
    for t in reader.trials():
        params: dict[str, Any] = {}
        _flatten("", t.parameters, params)
        metric = t.final_metric if isinstance(t.final_metric, dict) else (
            {} if t.final_metric is None else {"default": t.final_metric})
        param_keys.update(dict.fromkeys(params))
        metric_keys.update(dict.fromkeys(metric))
        rows.append({"trialJobId": t.trial_job_id, "sequenceId": t.sequence_id, "status": t.status,
                     **{name: values.get(t.trial_job_id) for name, values in extra.items()},
                     **params, **{f"metric:{k}" if k in params else k: v for k, v in metric.items()}})
    header = ["trialJobId", "sequenceId", "status", *extra, *param_keys,
              *(f"metric:{k}" if k in param_keys else k for k in metric_keys)]
    return header, rows


def write_csv(reader: StoreReader, path: str | Path | None = None, *, metric_keys_first: Sequence[str] = ("default",),
              extra_columns: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The CSV text (also written to ``path`` when given); the keywords as :func:`csv_rows`."""
    header, rows = csv_rows(reader, metric_keys_first=metric_keys_first, extra_columns=extra_columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()})
    text = buf.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def write_json(reader: StoreReader, path: str | Path | None = None, *, intermediate: bool = False,
               extra_columns: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """JSON of :func:`export_rows` (also written to ``path`` when given)."""
    text = json.dumps(export_rows(reader, intermediate=intermediate, extra_columns=extra_columns), indent=2)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
