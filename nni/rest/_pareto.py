"""``GET /api/v1/nni/pareto-front``: the Pareto set of an experiment with several objectives.

The shapes below document the answer in the OpenAPI schema; the answer itself is built by
``nni.analysis.objectives`` (the one code path the web UI, nnictl and the Python API share) and encoded
directly (thousands of trials skip per-item validation).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["PARETO_RESPONSES"]


class ObjectiveModel(BaseModel):
    name: str
    mode: str = Field(description="maximize or minimize")


class ConstraintModel(BaseModel):
    name: str
    min: float | None = Field(None, description="lower bound (absent: none)")
    max: float | None = Field(None, description="upper bound (absent: none)")


class ParetoTrialModel(BaseModel):
    trialJobId: str  # noqa: N815 - NNI's field names
    sequenceId: int  # noqa: N815
    status: str
    values: list[float | None] = Field(description="the objectives' values, in their order and units "
                                                   "(null: missing or not finite)")
    constraints: dict[str, float | None] = Field(description="each constraint's value (null: missing or not finite)")
    valid: bool = Field(description="every objective is a finite number")
    feasible: bool = Field(description="valid and within every constraint's bounds")
    violation: float | None = Field(description="total amount outside the bounds (0: feasible; null: a value "
                                                "is missing)")
    pareto: bool = Field(description="in the Pareto set: feasible and dominated by no feasible trial")
    problem: str | None = Field(description="why the trial is not valid")


class HypervolumePointModel(BaseModel):
    sequenceId: int  # noqa: N815
    hypervolume: float


class ParetoFrontModel(BaseModel):
    objectives: list[ObjectiveModel]
    constraints: list[ConstraintModel]
    reference: list[float] | None = Field(description="the hypervolume's reference point, in the objectives' "
                                                      "units (null until a trial is feasible)")
    referenceRule: str  # noqa: N815
    hypervolume: float = Field(description="volume the Pareto set dominates up to the reference point")
    history: list[HypervolumePointModel] = Field(description="hypervolume of the trials up to each sequence id "
                                                             "(at most 200 points; 60 for 3 objectives or more)")
    counts: dict[str, int] = Field(description="results, valid, feasible, infeasible, invalid, pareto")
    paretoSet: list[str] = Field(description="trial ids of the Pareto set, best first by the first objective")  # noqa: N815
    trials: list[ParetoTrialModel] = Field(description="the Pareto set's trials (every trial with a final "
                                                       "result with ?all=true)")


class ErrorModel(BaseModel):
    error: str


PARETO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ParetoFrontModel, "description": "the Pareto set, feasibility and hypervolume"},
    400: {"model": ErrorModel, "description": "a reference point that is not one number per objective"},
    404: {"model": ErrorModel, "description": "the experiment declares no objectives (single objective)"},
}
