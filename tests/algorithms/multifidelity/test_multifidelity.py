"""Hyperband and BOHB through the real ``nnictl create --foreground``: real trial processes read their
``TRIAL_BUDGET``, brackets advance as results arrive, and the experiment ends on its own (DONE)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nni.testing import Workspace

pytestmark = pytest.mark.slow

TRIAL = r'''
import json, os
import nni

params = nni.get_next_parameter()
budget = params["TRIAL_BUDGET"]
value = (params["x"] - 0.3) ** 2 + {"a": 0.0, "b": 0.2}[params["k"]] + 1.0 / budget
with open(os.path.join(os.environ["E2E_SHARED"], "records.jsonl"), "a") as f:
    f.write(json.dumps({"trial": nni.get_trial_id(), "params": params, "value": value}) + "\n")
nni.report_final_result(value)
'''

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "k": {"_type": "choice", "_value": ["a", "b"]}}


def _run(tmp_path: Path, section: str, algorithm: dict[str, Any], concurrency: int) -> list[dict[str, Any]]:
    project = Workspace(tmp_path, TRIAL, {"experimentName": "multifidelity", "searchSpace": SPACE, "tuner": None},
                        base_env={"PATH": "/usr/local/bin:/usr/bin:/bin"}, timeout=300,
                        env={"PYTHONPATH": str(Path(__file__).resolve().parents[3])})
    project.foreground(project.config(trialConcurrency=concurrency, maxTrialNumber=100, **{section: algorithm}))
    return project.records("records.jsonl")


def _plain(params: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in params.items() if k != "TRIAL_BUDGET"}, sort_keys=True)


def test_hyperband_advisor_runs_every_bracket_and_promotes_the_best(tmp_path: Path) -> None:
    # R=4, eta=2: s=2: 4@1 -> 2@2 -> 1@4; s=1: 3@2 -> 1@4; s=0: 3@4  (14 trials, then NoMoreTrialError)
    records = _run(tmp_path, "advisor", {"name": "Hyperband", "classArgs": {
        "optimize_mode": "minimize", "R": 4, "eta": 2, "exec_mode": "parallelism", "num_iterations": 1, "seed": 3}},
        concurrency=3)
    assert Counter(r["params"]["TRIAL_BUDGET"] for r in records) == {1: 4, 2: 5, 4: 5}
    rung0 = [r for r in records if r["params"]["TRIAL_BUDGET"] == 1]
    best_two = {_plain(r["params"]) for r in sorted(rung0, key=lambda r: r["value"])[:2]}
    promoted = {_plain(r["params"]) for r in records if r["params"]["TRIAL_BUDGET"] == 2}
    assert best_two <= promoted, "the best half of the first rung was not promoted"


def test_bohb_tuner_runs_to_done_with_budgets(tmp_path: Path) -> None:
    records = _run(tmp_path, "tuner", {"name": "BOHB", "classArgs": {
        "optimize_mode": "minimize", "min_budget": 1, "max_budget": 4, "eta": 2, "min_points_in_model": 2,
        "num_iterations": 1, "seed": 4}}, concurrency=2)
    assert Counter(r["params"]["TRIAL_BUDGET"] for r in records) == {1: 4, 2: 5, 4: 5}
    assert all(0 <= r["params"]["x"] <= 1 and r["params"]["k"] in ("a", "b") for r in records)
