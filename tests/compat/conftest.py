"""Fixtures of the NNI compatibility corpus: copy one artifact folder (see artifacts/README.md) into a temp
project, and run its config unchanged through the real ``nnictl create --foreground`` (``python -m nni.cli``)
in a temp experiments home, on a free port, reading the outcome from the experiment's store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nni.testing import Nnictl

ARTIFACTS = Path(__file__).parent / "artifacts"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    """What one foreground experiment left behind."""

    experiment_id: str
    status: str
    experiment_dir: Path
    stdout: str
    profile: Any
    trials: list[Any]
    metrics: list[Any]
    tuner_calls: list[dict[str, Any]] = field(default_factory=list)
    assessor_calls: list[dict[str, Any]] = field(default_factory=list)

    def statuses(self) -> list[str]:
        return [t.status for t in self.trials]

    def trial_file(self, trial: Any, name: str) -> Path:
        return self.experiment_dir / "trials" / trial.trial_job_id / name


class Project:
    """One test's user project: an artifact folder copied to a temp dir, and nnictl run on it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.home = tmp / "nni-experiments"
        self.tuner_log = tmp / "tuner.jsonl"
        self.assessor_log = tmp / "assessor.jsonl"
        # Trial commands say "python3" or "python" (NNI's quickstart): both run the interpreter running the
        # tests, whatever the machine's PATH has (a script, not a symlink, so a virtualenv stays active).
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        for name in ("python", "python3"):
            shim = bin_dir / name
            shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
            shim.chmod(0o755)
        self.cli = Nnictl(self.home, cwd=tmp, timeout=180, env={
            "XDG_CONFIG_HOME": str(tmp / "xdg"),  # nnictl algo register writes here, not in ~/.config
            "COMPAT_TUNER_LOG": str(self.tuner_log),
            "COMPAT_ASSESSOR_LOG": str(self.assessor_log),
            "PATH": str(bin_dir) + os.pathsep + os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p),
        })
        self.env = self.cli.env

    def copy(self, name: str) -> Path:
        target = self.tmp / name
        if not target.exists():
            shutil.copytree(ARTIFACTS / name, target)
        return target

    def nnictl(self, *args: Any, cwd: Path | None = None, timeout: float | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """``nnictl`` from ``cwd`` (default: the project's folder); the caller checks the exit code."""
        return self.cli.run(*args, check=False, cwd=cwd, timeout=timeout, env=env)

    def python(self, script: Path, *, env: dict[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a trial script by hand, outside any experiment (NNI's standalone mode)."""
        return subprocess.run([sys.executable, script.name], cwd=script.parent, env={**self.env, **(env or {})},
                              text=True, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def run(self, config: Path, *, env: dict[str, str] | None = None, expect: str = "DONE",
            cwd: Path | None = None) -> Outcome:
        """``nnictl create --config <config> --foreground``, from ``cwd`` (default: the config's folder;
        a relative ``config`` is taken relative to ``cwd``)."""
        ended = self.cli.foreground(config, expect=expect, env=env, cwd=cwd or config.parent)
        from nni.storage import open_reader

        reader = open_reader(ended.folder)
        try:
            outcome = Outcome(ended.experiment_id, ended.status, ended.folder, ended.output, reader.profile(),
                              reader.trials(), reader.metrics())
        finally:
            reader.close()
        outcome.tuner_calls = _jsonl(self.tuner_log)
        outcome.assessor_calls = _jsonl(self.assessor_log)
        return outcome


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)
