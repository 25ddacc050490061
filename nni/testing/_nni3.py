"""``Nni3``: Microsoft's own NNI 3.0 (``pip install nni==3.0``) in a cached virtual environment, to drive an
experiment of this project with NNI's ``nnictl``, its Python client and its web UI build.

The environment is built once under ``~/.cache/nni-tests/nni3-venv-<version>`` (``$NNI3_VENV`` moves it),
behind a lock so that parallel test sessions build it once; a finished one is marked ``.complete``.
``python3 -c "from nni.testing import nni3_venv; nni3_venv()"`` builds it ahead of time (``scripts/setup.sh``
does).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["Nni3", "nni3_venv"]

NNI3_VERSION = "3.0"
_COMPLETE = ".complete"


def _venv_path(version: str) -> Path:
    override = os.environ.get("NNI3_VENV")
    return Path(override) if override else Path.home() / ".cache" / "nni-tests" / f"nni3-venv-{version}"


def nni3_venv(version: str = NNI3_VERSION, *, timeout: float = 900.0) -> Path:
    """The folder of a virtual environment holding ``nni==<version>`` (built on first use)."""
    venv = _venv_path(version)
    if (venv / _COMPLETE).exists():
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.with_name(venv.name + ".lock"), "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            if (venv / _COMPLETE).exists():  # built by another session while this one waited
                return venv
            shutil.rmtree(venv, ignore_errors=True)  # an interrupted build
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
            result = subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 f"nni=={version}"], capture_output=True, text=True, timeout=timeout)
            if result.returncode != 0:
                raise RuntimeError(f"pip install nni=={version} into {venv} failed (exit {result.returncode}); "
                                   f"the package registry must be reachable:\n{result.stdout}\n{result.stderr}")
            (venv / _COMPLETE).write_text(version)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    return venv


class Nni3:
    """NNI 3.0's ``nnictl`` and Python in ``venv``, for a user whose home is ``home`` (so its registry is
    ``<home>/nni-experiments/.experiment``, the one this project's ``Nnictl(home / "nni-experiments")``
    writes). ``nnictl(...)`` and ``python(code)`` return the completed process (``check`` fails on a
    non-zero exit)."""

    def __init__(self, *, venv: Path, home: Path, env: Mapping[str, str] | None = None) -> None:
        self.venv = Path(venv)
        self.home = Path(home)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("NNI_", "PYTHON"))}
        self.env = {**base, "HOME": str(self.home), "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", **(env or {})}

    @property
    def static_dir(self) -> Path:
        """NNI 3.0's web UI build (``nni_node/static`` inside the wheel)."""
        found = sorted(self.venv.glob("lib/python*/site-packages/nni_node/static/index.html"))
        if not found:
            raise FileNotFoundError(f"no nni_node/static/index.html in {self.venv}")
        return found[0].parent

    def _run(self, argv: list[str], *, check: bool, timeout: float, cwd: Path | None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(argv, env=self.env, cwd=cwd or self.home, text=True, capture_output=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"NNI 3.0: {' '.join(argv[1:])} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def nnictl(self, *args: Any, check: bool = True, timeout: float = 60.0,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return self._run([str(self.venv / "bin" / "nnictl"), *map(str, args)], check=check, timeout=timeout, cwd=cwd)

    def nnictl_batch(self, *commands: list[Any], timeout: float = 120.0) -> list[str]:
        """The output (stdout and stderr) of each of ``commands`` (argument lists), run by NNI 3.0's nnictl entry
        point one after the other in one Python process: NNI's import takes seconds, paid once here."""
        code = (
            "import contextlib, io, json, sys\n"
            "from nni.tools.nnictl.nnictl import parse_args\n"
            "outputs = []\n"
            "for argv in json.loads(sys.argv[1]):\n"
            "    buffer = io.StringIO()\n"
            "    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):\n"
            "        sys.argv = ['nnictl', *argv]\n"
            "        try:\n"
            "            parse_args()\n"
            "        except SystemExit:\n"
            "            pass\n"
            "    outputs.append(buffer.getvalue())\n"
            "print('\\n' + json.dumps(outputs))\n"
        )
        import json

        argv = json.dumps([[str(a) for a in command] for command in commands])
        result = self._run([str(self.venv / "bin" / "python"), "-c", code, argv], check=True, timeout=timeout, cwd=None)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def python(self, code: str, *, check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return self._run([str(self.venv / "bin" / "python"), "-c", code], check=check, timeout=timeout, cwd=None)
