"""Per-experiment state of the web UI's routes: the store reader, the trial table, the importance cache.

The app serves one experiment (``request.app.state.nni``, set by ``nni.rest.create_app``); the UI can
also open any other experiment the app's ``experiments`` lookup knows, read-only (``?exp=ID``), so
stopped experiments are never out of reach.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nni.analysis.importance import encode_features, forest_importance
from nni.analysis.objectives import ObjectiveSpec, ParetoCache, ParetoFront
from nni.errors import RequestError
from nni.status import TrialStatus
from nni.storage import StoreReader, TrialRecord, open_reader

from ._table import TrialTable

__all__ = ["WebuiState", "state_for"]

_OTHER_LIMIT = 8  # other experiments kept open at once


@dataclass
class WebuiState:
    reader: StoreReader
    control: Any
    folder: Path
    table: TrialTable
    _importance: tuple[int, dict[str, Any]] | None = None
    _importance_lock: threading.Lock = field(default_factory=threading.Lock)
    opened: float = field(default_factory=time.monotonic)
    closer: Any = None
    _pareto: ParetoCache = field(default_factory=ParetoCache)
    _spec: tuple[ObjectiveSpec | None] | None = None

    def __post_init__(self) -> None:
        self.table.extra = self  # the "pareto" column of an experiment with several objectives

    def config(self) -> dict[str, Any] | None:
        profile = self.reader.profile()
        return None if profile is None else profile.config

    def objectives(self) -> ObjectiveSpec | None:
        """The experiment's objectives (None: one objective). Read once: a config never changes them."""
        if self._spec is None:
            config = self.config()
            if config is None:
                return None
            self._spec = (ObjectiveSpec.from_config(config),)
        return self._spec[0]

    def pareto(self, *, history: bool = True, reference: list[float] | None = None,
               refresh: bool = True) -> ParetoFront | None:
        """The Pareto analysis of the table's trials (cached per table revision); None for one objective.
        ``refresh=False`` while the table is being read (a query must not see it change)."""
        spec = self.objectives()
        if spec is None:
            return None
        revision = self.table.refresh() if refresh else self.table.revision
        return self._pareto.get(revision, spec, self.table.records, history=history, reference=reference)

    # ----- ExtraColumns (nni.webui._table) ---------------------------------------------------------
    def names(self) -> list[str]:
        return ["pareto"] if self.objectives() is not None else []

    def values(self, column: str) -> dict[str, Any]:
        front = self.pareto(history=False, refresh=False)
        if front is None:
            return {}
        return front.labels()

    @property
    def read_only(self) -> bool:
        return self.control is None

    def experiment_id(self) -> str:
        profile = self.reader.profile()
        return "" if profile is None else profile.experiment_id

    def trial(self, trial_id: str) -> TrialRecord:
        """The trial, from a refreshed table (404 when there is no such trial)."""
        self.table.refresh()
        row = self.table.get(trial_id)
        if row is None:
            raise RequestError(f"no trial {trial_id!r} in experiment {self.experiment_id()}", 404)
        return row

    def trial_folder(self, trial_id: str) -> Path:
        return self.folder / "trials" / trial_id

    def importance(self) -> dict[str, Any]:
        """Random-forest importance of every parameter for the default metric (cached per revision)."""
        with self._importance_lock:
            revision = self.table.refresh()
            cached = self._importance
            finished = sum(n for s, n in self.table.status_counts().items() if s in TrialStatus.final())
            # Recompute when trials finished since, but at most once per 5% growth on big experiments.
            if cached is not None and (
                cached[0] == revision or finished < cached[1]["finished"] * 1.05 and finished - cached[1]["finished"] < 20
            ):
                return cached[1]
            started = time.perf_counter()
            params = self.table.param_columns
            arrays = self.table.column_arrays(["default"] + [f"param:{p}" for p in params])
            y_all = arrays["default"]
            keep = [i for i, v in enumerate(y_all) if v is not None]
            result: dict[str, Any] = {"revision": revision, "finished": finished, "trials": len(keep)}
            if len(keep) < 8 or not params:
                result.update(params=params, importance=[0.0] * len(params),
                              note="needs at least 8 trials with a final metric")
            else:
                X = encode_features([[arrays[f"param:{p}"][i] for i in keep] for p in params])
                y = np.array([y_all[i] for i in keep], dtype=float)
                values = forest_importance(X, y)
                order = np.argsort(-values)
                result.update(params=[params[i] for i in order], importance=[round(float(values[i]), 4) for i in order])
            result["seconds"] = round(time.perf_counter() - started, 3)
            self._importance = (revision, result)
            return result


def _served_state(app: Any) -> WebuiState:
    state = getattr(app.state, "nni_webui", None)
    if state is None:
        ctx = app.state.nni
        state = WebuiState(reader=ctx.reader, control=ctx.control, folder=Path(ctx.experiment_dir),
                           table=TrialTable(ctx.reader))
        app.state.nni_webui = state
    return state


_lock = threading.Lock()


def state_for(app: Any, experiment_id: str | None) -> WebuiState:
    """The state of the served experiment, or of another one of this machine (read-only)."""
    with _lock:
        served = _served_state(app)
        if not experiment_id:
            return served
        if experiment_id == served.experiment_id():
            return served
        others: dict[str, WebuiState] = app.state.__dict__.setdefault("nni_webui_others", {})
        state = others.get(experiment_id)
        if state is not None:
            return state
        state = _open_other(app.state.nni.experiments, experiment_id)
        if len(others) >= _OTHER_LIMIT:
            oldest = min(others, key=lambda k: others[k].opened)
            old = others.pop(oldest)
            if old.closer:
                old.closer()
        others[experiment_id] = state
        return state


_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _open_other(experiments: Any, experiment_id: str) -> WebuiState:
    if not _ID.match(experiment_id):
        raise RequestError(f"{experiment_id!r} is not an experiment id (letters, digits, '-' and '_' only)", 404)
    try:
        if experiments is None:
            raise LookupError("this server knows no other experiment")
        folder = experiments.folder_of(experiment_id)
    except Exception as exc:
        raise RequestError(
            f"no experiment {experiment_id!r} on this machine ({exc}); `nnictl experiment list --all` lists them", 404
        ) from None
    try:
        reader = open_reader(folder)
    except Exception as exc:
        raise RequestError(f"experiment {experiment_id}: cannot open its store in {folder}: {exc}", 404) from None
    return WebuiState(reader=reader, control=None, folder=Path(folder),
                      table=TrialTable(reader, min_refresh_interval=2.0), closer=reader.close)
