"""What the Python API returns (NNI's ``nni.experiment`` record types, NNI's field names)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrialResult", "TrialMetricData", "TrialHyperParameters", "TrialJob", "ParetoTrial"]


@dataclass
class TrialResult:
    parameter: dict[str, Any]
    value: Any
    trialJobId: str  # noqa: N815 - NNI's name


@dataclass
class TrialMetricData:
    timestamp: int
    trialJobId: str  # noqa: N815
    parameterId: str | None  # noqa: N815
    type: str
    sequence: int
    data: Any  # the metric value, decoded

    @classmethod
    def from_rest(cls, record: dict[str, Any]) -> TrialMetricData:
        from nni.rest import decode_metric_data

        return cls(record["timestamp"], record["trialJobId"], record.get("parameterId"), record["type"],
                   record["sequence"], decode_metric_data(record["data"]))


@dataclass
class TrialHyperParameters:
    parameter_id: int | None
    parameter_source: str
    parameters: dict[str, Any]
    parameter_index: int = 0


@dataclass
class TrialJob:
    trialJobId: str  # noqa: N815
    status: str
    hyperParameters: list[TrialHyperParameters]  # noqa: N815
    logPath: str | None = None  # noqa: N815
    startTime: int | None = None  # noqa: N815
    endTime: int | None = None  # noqa: N815
    finalMetricData: list[TrialMetricData] = field(default_factory=list)  # noqa: N815
    stderrPath: str | None = None  # noqa: N815
    sequenceId: int | None = None  # noqa: N815
    message: str = ""

    @classmethod
    def from_rest(cls, record: dict[str, Any]) -> TrialJob:
        params = [TrialHyperParameters(**{k: v for k, v in json.loads(h).items()
                                          if k in ("parameter_id", "parameter_source", "parameters", "parameter_index")})
                  for h in record.get("hyperParameters") or []]
        return cls(
            trialJobId=record["id"], status=record["status"], hyperParameters=params, logPath=record.get("logPath"),
            startTime=record.get("startTime"), endTime=record.get("endTime"),
            finalMetricData=[TrialMetricData.from_rest(m) for m in record.get("finalMetricData") or []],
            stderrPath=record.get("stderrPath"), sequenceId=record.get("sequenceId"), message=record.get("message") or "",
        )


@dataclass
class ParetoTrial:
    """A trial of an experiment with several objectives (``Experiment.pareto_front()``)."""

    trialJobId: str  # noqa: N815
    sequenceId: int  # noqa: N815
    status: str
    objectives: dict[str, float | None]  # objective name -> value (None: missing or not finite)
    constraints: dict[str, float | None]
    feasible: bool
    violation: float | None  # 0 when feasible; None when a constraint value is missing
    pareto: bool

    @classmethod
    def from_rest(cls, record: dict[str, Any], names: list[str]) -> ParetoTrial:
        return cls(record["trialJobId"], record["sequenceId"], record["status"],
                   dict(zip(names, record["values"], strict=True)), record["constraints"], record["feasible"],
                   record["violation"], record["pareto"])
