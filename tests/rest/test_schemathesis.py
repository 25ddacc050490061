"""Schemathesis (``--checks all``, coverage and fuzzing phases) against the OpenAPI schema of a running
experiment: every documented route, with the schema's own values and with values outside it.

The running experiment is protected as a user protects one they share: its own server is fuzzed with the
read methods only (GET), and the mutating routes (PUT, POST, DELETE) are fuzzed against a read-only view of
the same experiment (``nnictl view``'s app: ``experiment_app(control=None)``), where every change is refused
with 409 after the request passed the schema. Afterwards the experiment is still RUNNING with its settings
unchanged, and no answer of either server was a 5xx.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nni.launcher import experiment_app
from nni.rest import OPENAPI_PATH
from nni.storage import open_reader
from nni.testing import InProcessServer, LiveExperiment, wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = Path(__file__).with_name("schemathesis.toml")
SEARCH_SPACE = {"x": {"_type": "uniform", "_value": [0, 1]},
                "opt": {"_type": "choice", "_value": [{"_name": "sgd", "lr": {"_type": "loguniform", "_value": [1e-4, 1]}},
                                                     {"_name": "adam"}]}}
# a few finished trials, then trials that keep running (so the experiment is RUNNING throughout)
TRIAL = r'''
import time
import nni

p = nni.get_next_parameter()
seq = nni.get_sequence_id()
for step in range(3):
    nni.report_intermediate_result({"default": p["x"] * step, "loss": 1 - p["x"]})
print("trial", nni.get_trial_id(), p, flush=True)
if seq >= 3:
    time.sleep(600)
nni.report_final_result(p["x"])
'''
SETTINGS = {"trialConcurrency": 2, "maxTrialNumber": 40, "maxExperimentDuration": "1h"}


def _schemathesis(base: str, report: Path, *selection: str) -> tuple[int, str, list[dict[str, Any]]]:
    st = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    command = [st, "--config-file", str(CONFIG_FILE), "run", base.rstrip("/") + OPENAPI_PATH,
               "--checks", "all", "--phases", "coverage,fuzzing", "--max-examples", "15", "--seed", "16",
               "--workers", "2", "--report", "ndjson", "--report-ndjson-path", str(report), *selection]
    done = subprocess.run(command, capture_output=True, text=True, timeout=150,
                          env={**os.environ, "NO_COLOR": "1"})
    events = [json.loads(line) for line in report.read_text().splitlines() if line.strip()]
    return done.returncode, done.stdout + done.stderr, events


def _status_codes(node: Any) -> list[int]:
    """Every HTTP status recorded in a Schemathesis ndjson event (wherever it sits in the event)."""
    if isinstance(node, dict):
        found = [node["status_code"]] if isinstance(node.get("status_code"), int) else []
        return found + [c for v in node.values() for c in _status_codes(v)]
    if isinstance(node, list):
        return [c for v in node for c in _status_codes(v)]
    return []


def _settings(exp: LiveExperiment) -> dict[str, Any]:
    profile = exp.rest(exp.port, "/experiment")
    params = profile["params"]
    return {"trialConcurrency": params["trialConcurrency"], "maxTrialNumber": params["maxTrialNumber"],
            "maxExperimentDuration": params["maxExperimentDuration"], "searchSpace": params["searchSpace"]}


def test_schemathesis_finds_nothing_and_the_experiment_keeps_running(tmp_path: Path) -> None:
    exp = LiveExperiment(tmp_path, TRIAL, {"experimentName": "schemathesis", "searchSpace": SEARCH_SPACE, **SETTINGS,
                                           "tuner": {"name": "Random", "classArgs": {"seed": 3}}},
                         env={"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")})
    exp.start()
    try:
        wait_until(lambda: sum(t.status == "SUCCEEDED" for t in exp.trials()) >= 3
                   and any(t.status == "RUNNING" for t in exp.trials()), 120, "3 finished trials and a running one")
        before = _settings(exp)
        assert before["trialConcurrency"] == 2 and before["maxTrialNumber"] == 40

        code, out, events = _schemathesis(exp.url, tmp_path / "live.ndjson", "--include-method", "GET")
        assert code == 0, out[-6000:]
        live_statuses = _status_codes(events)

        with open_reader(exp.folder) as reader, InProcessServer(
                experiment_app(experiment_dir=exp.folder, store_reader=reader, control=None)) as view:
            code, out_view, events = _schemathesis(view.url, tmp_path / "view.ndjson",
                                                   "--include-method", "PUT", "--include-method", "POST",
                                                   "--include-method", "DELETE")
        assert code == 0, out_view[-6000:]
        view_statuses = _status_codes(events)

        assert live_statuses and view_statuses, "no response recorded in the reports"
        assert not [s for s in live_statuses + view_statuses if s >= 500]
        assert 200 in live_statuses and 409 in view_statuses  # real answers, and the view refusing changes
        assert exp.rest(exp.port, "/check-status")["status"] == "RUNNING"
        assert _settings(exp) == before
        print("\n" + "\n".join(line for line in (out + out_view).splitlines()
                               if "generated" in line or "Selected" in line or "Tested" in line))
    finally:
        exp.stop()
