"""Several experiments side by side: a summary row each, best-so-far curves, the distribution of the final
metric, each shared parameter against the metric, and their configs diffed.

``nnictl experiment compare``, the web UI's comparison view (``/webui/compare``) and
``nni.experiment.compare`` all call :func:`compare`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .results import ResultColumns, distribution
from .space import slices

__all__ = ["SUMMARY_COLUMNS", "compare", "config_diff", "flatten_config"]

SUMMARY_COLUMNS = ("id", "name", "status", "mode", "trials", "withResult", "best", "bestTrial", "bestSeq",
                   "secondsToBest", "median", "q25", "q75")


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """A config as ``{"tuner.classArgs.optimize_mode": "maximize"}``: dotted keys, values as JSON text."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_config(value, path + "."))
        else:
            flat[path] = json.dumps(value, sort_keys=True)
    return flat


def config_diff(configs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The keys whose values differ between configs (missing in one counts as different), sorted; each with
    its value (JSON text, or None when absent) per config."""
    flats = [flatten_config(c) for c in configs]
    keys = sorted(set().union(*flats)) if flats else []
    return [{"key": k, "values": [f.get(k) for f in flats]} for k in keys if len({f.get(k) for f in flats}) > 1]


def _summary(results: ResultColumns) -> dict[str, Any]:
    have = results.with_result
    row: dict[str, Any] = {"id": results.experiment_id, "name": results.name, "status": results.status,
                           "mode": results.mode, "trials": len(results), "withResult": len(have)}
    if not len(have):
        return {**row, **dict.fromkeys(SUMMARY_COLUMNS[6:])}
    best = int(results.order_best_first()[0])
    values = results.value[have]
    end, start = results.end[best], results.start_time
    row.update(best=float(results.value[best]), bestTrial=results.ids[best], bestSeq=int(results.seq[best]),
               secondsToBest=None if np.isnan(end) or start is None else round(float(end - start), 3),
               median=float(np.median(values)), q25=float(np.quantile(values, 0.25)),
               q75=float(np.quantile(values, 0.75)))
    return row


def _config(results: ResultColumns) -> dict[str, Any]:
    config = dict(results.config)
    if results.search_space:
        config["searchSpace"] = results.search_space
    return config


def compare(experiments: Sequence[ResultColumns], *, max_points: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The comparison of two or more experiments (the parameters' trials sampled beyond ``max_points`` per
    experiment). ``notes`` says what makes the figures hard to compare (opposite directions)."""
    if len(experiments) < 2:
        raise ValueError(f"comparing needs two or more experiments, got {len(experiments)}")
    names = [set(r.params) for r in experiments]
    shared = [p for p in experiments[0].params if all(p in n for n in names[1:])]
    per_parameter: dict[str, list[dict[str, Any]]] = {p: [] for p in shared}
    for results in experiments:
        by_name = {s["name"]: s for s in slices(results, max_points=max_points, seed=seed)}
        for p in shared:
            per_parameter[p].append(by_name[p])
    notes = []
    if len({r.maximize for r in experiments}) > 1:
        notes.append("the experiments optimize in opposite directions: "
                     + ", ".join(f"{r.experiment_id} {r.mode}s" for r in experiments))
    return {
        "experiments": [_summary(r) for r in experiments],
        "columns": list(SUMMARY_COLUMNS),
        "bestSoFar": [r.best_so_far() for r in experiments],
        "distributions": [distribution(r.value[r.with_result]) for r in experiments],
        "sharedParameters": shared,
        "parameters": per_parameter,
        "configDiff": config_diff([_config(r) for r in experiments]),
        "notes": notes,
    }
