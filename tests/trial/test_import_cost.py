"""``import nni`` stays tiny: every trial pays for it (no numpy, yaml, web server or algorithm code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nni

REPO = str(Path(nni.__file__).resolve().parent.parent)
FORBIDDEN = ("numpy", "scipy", "yaml", "fastapi", "uvicorn", "starlette", "pydantic", "click", "rich", "httpx",
             "asyncssh", "plotly", "pytest", "nni.algorithms", "nni.manager", "nni.config", "nni.rest", "nni.cli",
             "nni.platforms", "nni.storage", "nni.experiment", "nni.search_space", "nni.annotation")


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNI_")}
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=60, cwd=REPO)


def _offenders(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def test_import_nni_loads_no_heavy_module() -> None:
    result = _python("-c", "import sys, nni; print('\\n'.join(sorted(sys.modules)))")
    assert result.returncode == 0, result.stderr
    modules = result.stdout.split()
    assert "nni" in modules and "nni.trial" in modules
    assert _offenders(modules) == []


def test_importtime_lists_no_heavy_module() -> None:
    result = _python("-X", "importtime", "-c", "import nni")
    assert result.returncode == 0
    names = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "nni" in names
    assert _offenders(names) == []


def test_trial_calls_load_no_heavy_module(tmp_path: Path) -> None:
    script = ("import sys, nni\nnni.get_next_parameter()\nnni.report_intermediate_result(1)\n"
              "nni.report_final_result({'default': 1.0})\nprint('\\n'.join(sorted(sys.modules)))\n")
    result = _python("-c", script)
    assert result.returncode == 0, result.stderr
    assert _offenders(result.stdout.split()) == []


def test_offender_check_can_fail() -> None:
    assert _offenders(["numpy.core", "nni.algorithms.hpo", "nni.trial"]) == ["nni.algorithms.hpo", "numpy.core"]
