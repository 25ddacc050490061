"""Web UI fixtures: Debian's Chromium through Playwright, a real experiment started with ``nnictl create``,
and a demo store served in-process for the read-only, token and scale-free checks.

Screenshots go to ``<repo>/test-artifacts/webui/`` (printed at the end of the session).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nni.testing import InProcessServer, LiveExperiment, Nnictl, wait_until

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "webui"

# Trials 0-3 finish quickly; later ones keep running (to be seen RUNNING, killed, or stopped with the experiment).
TRIAL = r'''
import time
import nni

p = nni.get_next_parameter()
x = float(p.get("x", 0.5))
print(f"hello from trial {nni.get_trial_id()} x={x}", flush=True)
for step in range(5):
    nni.report_intermediate_result({"default": round(x * (step + 1) / 5, 6), "loss": round(1 - x, 6)})
if nni.get_sequence_id() >= 4:
    time.sleep(600)
nni.report_final_result({"default": x, "loss": round(1 - x, 6)})
'''

SEARCH_SPACE = {
    "x": {"_type": "uniform", "_value": [0, 1]},
    "opt": {"_type": "choice", "_value": [
        {"_name": "sgd", "momentum": {"_type": "uniform", "_value": [0, 0.99]}},
        {"_name": "adam"},
    ]},
}


_SHOTS: list[Path] = []


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SHOTS:
        terminalreporter.write_line(f"web UI screenshots ({len(_SHOTS)}): {ARTIFACTS}")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


class RealExperiment(LiveExperiment):
    """An experiment started with ``nnictl create`` in a private experiments home (``nnictl(...)`` runs nnictl
    there)."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp, TRIAL, {
            "experimentName": "webui e2e",
            "searchSpace": SEARCH_SPACE,
            "trialConcurrency": 2,
            "maxTrialNumber": 10,
            "maxExperimentDuration": "1h",
            "tuner": {"name": "Random", "classArgs": {"seed": 7, "optimize_mode": "maximize"}},
        }, env={"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")})

    nnictl = Nnictl.run


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealExperiment]:
    exp = RealExperiment(tmp_path_factory.mktemp("webui-e2e"))
    exp.start()
    try:
        # four finished trials and two running ones (trials from #4 on keep running)
        wait_until(lambda: sum(t.status == "SUCCEEDED" for t in exp.trials()) >= 4
                   and sum(t.status == "RUNNING" for t in exp.trials()) >= 2, 120, "4 finished and 2 running trials")
        yield exp
    finally:
        exp.stop()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from nni.testing.demo_store import fill_store

    folder = tmp_path_factory.mktemp("webui-demo")
    written = fill_store(folder, trials=120, intermediates=15, status="DONE")
    return folder, written


@pytest.fixture
def shoot(artifacts: Path) -> Any:
    """``shoot(page, name)``: a full-page screenshot under test-artifacts/webui/."""

    def _shot(page: Any, name: str) -> Path:
        path = artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        _SHOTS.append(path)
        return path

    return _shot


@pytest.fixture(scope="session")
def in_process_server() -> type[InProcessServer]:
    return InProcessServer
