"""``GET /api/v1/nni/pareto-front``: the Pareto set of an experiment with several objectives.

The shapes below document the answer in the OpenAPI schema; the answer itself is built by
``nni.analysis.objectives`` (the one code path the web UI, nnictl and the Python API share) and encoded
directly (thousands of trials skip per-item validation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from nni.analysis.objectives import ParetoCache, ParetoFront, ResultLike
from nni.errors import RequestError

__all__ = ["PARETO_RESPONSES", "parse_reference", "pareto_or_404"]


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
                                                             "(at most 200 points)")
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


def parse_reference(text: str | None, names: Sequence[str]) -> list[float] | None:
    """``"0.5,120"`` as a reference point, one number per objective (None when not given)."""
    if text is None or not text.strip():
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != len(names) or not all(v == v and abs(v) != float("inf") for v in values):
        raise RequestError(f"reference={text!r}: expected {len(names)} finite numbers separated by commas, one per "
                           f"objective ({', '.join(names)}), in the objectives' own units")
    return values


def pareto_or_404(cache: ParetoCache, revision: int, config: Mapping[str, Any] | None,
                  trials: Callable[[], Iterable[ResultLike]], experiment_id: str, *, history: bool = True,
                  reference: str | None = None) -> ParetoFront:
    """The experiment's analysis; 404 naming the experiment when it has a single objective."""
    from nni.analysis.objectives import ObjectiveSpec

    spec = ObjectiveSpec.from_config(config)
    if spec is None:
        raise RequestError(
            f"experiment {experiment_id} declares no objectives, so it has no Pareto front: its trials report one "
            "number (GET trial-jobs or export-data lists them); declare `objectives:` in the config for several", 404)
    front = cache.get(revision, config, trials, history=history, reference=parse_reference(reference, spec.names))
    assert front is not None
    return front
