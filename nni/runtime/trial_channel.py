"""The trial channel: how parameters reach a trial and how its metrics come back.

Defined once, used by the trial API (writer) and by every platform (reader):

- Parameters: ``$NNI_SYS_DIR/parameter.cfg``, one JSON object
  ``{"parameter_id": int, "parameter_source": str, "parameters": {...}, "parameter_index": 0}``,
  written by the platform before the trial starts.
- Metrics: ``$NNI_SYS_DIR/.nni/metrics``, one JSON object per line, appended by the trial with a
  single ``write`` of a whole line (see :func:`encode_metric`). A reader keeps a byte offset and only
  consumes complete lines (:func:`decode_metrics`), so partially written records are never read.

Stdlib only: every trial imports this.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PARAMETER_FILE",
    "METRICS_FILE",
    "MetricRecord",
    "encode_metric",
    "decode_metrics",
    "decode_metrics_located",
    "read_new_metrics",
    "write_parameter_file",
    "read_parameter_file",
]

PARAMETER_FILE = "parameter.cfg"
METRICS_FILE = os.path.join(".nni", "metrics")

PERIODICAL = "PERIODICAL"
FINAL = "FINAL"


@dataclass(frozen=True)
class MetricRecord:
    """One reported metric. ``value`` is a number or a dict holding a number under ``"default"``."""

    trial_job_id: str
    parameter_id: int | None
    type: str  # "PERIODICAL" or "FINAL"
    sequence: int
    value: Any
    timestamp: float  # seconds since the epoch

    def to_json(self) -> dict[str, Any]:
        return {
            "trial_job_id": self.trial_job_id,
            "parameter_id": self.parameter_id,
            "type": self.type,
            "sequence": self.sequence,
            "value": self.value,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MetricRecord:
        return cls(
            trial_job_id=str(data["trial_job_id"]),
            parameter_id=data.get("parameter_id"),
            type=str(data["type"]),
            sequence=int(data["sequence"]),
            value=data["value"],
            timestamp=float(data["timestamp"]),
        )


def encode_metric(record: MetricRecord) -> bytes:
    """One newline-terminated JSON line (no embedded newlines)."""
    return (json.dumps(record.to_json(), separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")


def decode_metrics(data: bytes) -> tuple[list[MetricRecord], int, list[str]]:
    """Decode the complete lines of ``data``.

    Returns ``(records, consumed_bytes, errors)``: ``consumed_bytes`` stops before a trailing partial
    line so the caller can resume from there; malformed lines are skipped and described in ``errors``
    (a trial writing garbage into its metrics file must not lose the good records around it).
    """
    located, consumed, errors = decode_metrics_located(data)
    return [record for record, _end in located], consumed, errors


def decode_metrics_located(data: bytes) -> tuple[list[tuple[MetricRecord, int]], int, list[str]]:
    """Like :func:`decode_metrics`, each record paired with the byte offset just after its line."""
    located: list[tuple[MetricRecord, int]] = []
    errors: list[str] = []
    consumed = data.rfind(b"\n") + 1
    position = 0
    while position < consumed:
        end = data.index(b"\n", position) + 1
        line = data[position:end].strip()
        position = end
        if not line:
            continue
        try:
            located.append((MetricRecord.from_json(json.loads(line)), end))
        except (ValueError, KeyError, TypeError) as exc:
            errors.append(f"malformed metric record {line[:200]!r}: {exc}")
    return located, consumed, errors


def read_new_metrics(sys_dir: str | os.PathLike[str], offset: int
                     ) -> tuple[list[tuple[MetricRecord, int]], int, list[str]]:
    """The complete metric records a trial appended to its metrics file after byte ``offset``.

    Returns ``(records with the absolute offset just after each, new offset, errors)``; a missing file
    reads as empty (the trial has not reported yet).
    """
    try:
        with open(os.path.join(os.fspath(sys_dir), METRICS_FILE), "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset, []
    located, consumed, errors = decode_metrics_located(data)
    return [(record, offset + end) for record, end in located], offset + consumed, errors


def write_parameter_file(sys_dir: str | os.PathLike[str], parameter_id: int, parameters: dict[str, Any],
                         parameter_source: str = "algorithm") -> None:
    record = {
        "parameter_id": parameter_id,
        "parameter_source": parameter_source,
        "parameters": parameters,
        "parameter_index": 0,
    }
    path = os.path.join(os.fspath(sys_dir), PARAMETER_FILE)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.replace(tmp, path)


def read_parameter_file(sys_dir: str | os.PathLike[str]) -> dict[str, Any]:
    with open(os.path.join(os.fspath(sys_dir), PARAMETER_FILE), encoding="utf-8") as f:
        return json.load(f)
