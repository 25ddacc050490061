"""``Nnictl``: the real ``nnictl`` (``python -m nni.cli``) in subprocesses, over a private experiments home,
for tests that run whole experiments."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nni._os import SEAM_VARIABLE
from nni.testing._net import free_port, wait_until
from nni.testing._process import pid_alive
from nni.testing._store import experiment_config

__all__ = ["Ended", "LiveExperiment", "Nnictl", "Workspace"]


@dataclass
class Ended:
    """What ``nnictl create --foreground`` printed when its experiment ended."""

    experiment_id: str
    status: str
    folder: Path  # the experiment's folder under the home
    output: str  # stdout and stderr
    result: subprocess.CompletedProcess[str]


class Nnictl:
    """Runs ``nnictl`` with ``NNI_EXPERIMENTS_HOME=home`` (and no other ``NNI_*`` variable of the caller's
    environment but ``NNI_OS_SEAM``, a setting of the machine), unbuffered; ``run`` (or calling the object) fails the test on a non-zero exit unless
    ``check=False``. ``stop_all`` stops every experiment of the home that still runs."""

    def __init__(self, home: Path | str, *, env: Mapping[str, str] | None = None,
                 base_env: Mapping[str, str] | None = None, timeout: float = 120.0, cwd: Path | None = None) -> None:
        base = os.environ if base_env is None else base_env
        self.home = Path(home)
        self.env = {k: v for k, v in base.items() if not k.startswith("NNI_") or k == SEAM_VARIABLE}
        self.env.update(NNI_EXPERIMENTS_HOME=str(self.home), PYTHONUNBUFFERED="1")
        self.env.update(env or {})
        self.timeout = timeout
        self.cwd = cwd

    def run(self, *args: Any, check: bool = True, timeout: float | None = None, env: Mapping[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "nni.cli", *map(str, args)], env={**self.env, **(env or {})},
                                cwd=cwd or self.cwd, text=True, capture_output=True, timeout=timeout or self.timeout,
                                stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"nnictl {' '.join(map(str, args))} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    __call__ = run

    def create(self, config: Path, port: int, *, env: Mapping[str, str] | None = None) -> str:
        """``nnictl create`` (detached); the new experiment's id."""
        out = self.run("create", "--config", config, "--port", port, env=env).stdout
        return out.split("The experiment id is ")[1].split()[0]

    def foreground(self, config: Path, *, port: int | None = None, expect: str = "DONE",
                   env: Mapping[str, str] | None = None, cwd: Path | None = None,
                   timeout: float | None = None) -> Ended:
        """``nnictl create --config <config> --foreground`` until the experiment ends, which must be with status
        ``expect`` (and exit code 1 for ERROR, 0 otherwise)."""
        result = self.run("create", "--config", config, "--port", port or free_port(), "--foreground", check=False,
                          env=env, cwd=cwd, timeout=timeout)
        output = result.stdout + result.stderr
        found = re.search(r"Experiment (\w+) ended: (\w+)", output)
        if found is None or found.group(2) != expect or result.returncode != int(expect == "ERROR"):
            raise AssertionError(f"nnictl create --config {config} --foreground: expected the experiment to end "
                                 f"{expect}, got rc={result.returncode}:\n{output}")
        return Ended(found.group(1), found.group(2), self.home / found.group(1), output, result)

    def registry(self) -> dict[str, Any]:
        """The home's experiment registry (``.experiment``): id -> entry."""
        path = self.home / ".experiment"
        return json.loads(path.read_text()) if path.exists() else {}

    @staticmethod
    def rest(port: int, path: str) -> Any:
        """GET ``/api/v1/nni<path>`` of the experiment on ``port``, as JSON."""
        import httpx

        return httpx.get(f"http://127.0.0.1:{port}/api/v1/nni{path}", timeout=10, trust_env=False).json()

    def wait_status(self, port: int, statuses: tuple[str, ...], timeout: float = 90.0) -> str:
        """Wait until the experiment on ``port`` reports one of ``statuses`` (returned)."""
        import httpx

        last: list[str] = []

        def reached() -> str | None:
            last.append(self.rest(port, "/check-status")["status"])
            return last[-1] if last[-1] in statuses else None

        try:
            return wait_until(reached, timeout, f"the experiment on port {port} to reach {statuses}",
                              errors=(httpx.HTTPError, ValueError, KeyError))
        except AssertionError as exc:
            raise AssertionError(f"{exc} (last: {last[-1] if last else None})") from None

    def stop_all(self) -> None:
        """Stop every experiment of the home whose manager still runs (also one whose create failed after
        starting it)."""
        for exp_id, entry in self.registry().items():
            pid = entry.get("pid")
            if pid and pid_alive(pid):
                self.run("stop", exp_id, check=False)


class Workspace(Nnictl):
    """One test's project for whole experiments: ``nnictl`` over ``<tmp>/nni-experiments``, the trial script
    ``<tmp>/code/trial.py``, and ``<tmp>/shared`` (``$E2E_SHARED`` in the trials' environment) where trials
    may append JSON lines that ``records(name)`` reads back. ``config(**fields)`` writes a config file: a
    local experiment of ``trial.py`` with ``defaults`` and ``fields`` over it (a field set to None is left
    out). Other keyword arguments go to :class:`Nnictl`."""

    def __init__(self, tmp: Path, trial: str, defaults: Mapping[str, Any] | None = None, *,
                 env: Mapping[str, str] | None = None, **nnictl: Any) -> None:
        self.tmp = Path(tmp)
        self.code = self.tmp / "code"
        self.code.mkdir(parents=True, exist_ok=True)
        (self.code / "trial.py").write_text(trial)
        self.shared = self.tmp / "shared"
        self.shared.mkdir(exist_ok=True)
        self.defaults = experiment_config(**{"trialCommand": f"{sys.executable} trial.py",
                                             "trialCodeDirectory": str(self.code), **(defaults or {})})
        super().__init__(self.tmp / "nni-experiments", env={"E2E_SHARED": str(self.shared), **(env or {})}, **nnictl)

    def config(self, name: str = "config.yml", **fields: Any) -> Path:
        import yaml

        data = {**self.defaults, **fields}
        path = self.tmp / name
        path.write_text(yaml.safe_dump({k: v for k, v in data.items() if v is not None}))
        return path

    def records(self, name: str = "started.jsonl") -> list[dict[str, Any]]:
        path = self.shared / name
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class LiveExperiment(Workspace):
    """A :class:`Workspace` with one experiment: ``start()`` runs ``nnictl create`` with ``config()`` on its own
    free port; ``id``, ``url``, ``folder``, ``reader()`` / ``trials()`` (its store) and ``stop()`` follow it."""

    def __init__(self, tmp: Path, trial: str, defaults: Mapping[str, Any] | None = None, **workspace: Any) -> None:
        super().__init__(tmp, trial, defaults, **workspace)
        self.port = free_port()
        self.id = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def folder(self) -> Path:
        return self.home / self.id

    def start(self) -> None:
        self.id = self.create(self.config(), self.port)

    def reader(self) -> Any:
        from nni.storage import open_reader

        return open_reader(self.folder)

    def trials(self) -> list[Any]:
        with self.reader() as r:
            return r.trials()

    def stop(self) -> None:
        if self.id:
            self.run("stop", self.id, check=False)
