"""What stays behind the OS seam, and the systems that are refused (native Windows, with a pointer to WSL)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import nni
from nni._os import UnsupportedSystemError, require_supported_system, unsupported_reason

ROOT = Path(nni.__file__).resolve().parent
LINUX_ONLY = re.compile(r"/proc\b|inotify|pidfd", re.IGNORECASE)

# Files outside nni/_os that may name Linux-only interfaces, and why.
ALLOWED = {
    # runs standalone (stdlib only, no nni) on the remote Linux host; it keeps its own /proc and inotify code
    "platforms/remote/_agent_script.py",
    # a shell snippet run on the remote host over SSH, not on this machine
    "platforms/remote/_clean.py",
}


def test_nothing_outside_the_seam_reads_proc_or_calls_inotify_or_pidfd() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("_os/") or relative in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LINUX_ONLY.search(line):
                offenders.append(f"nni/{relative}:{number}: {line.strip()}")
    assert offenders == [], "Linux-only interfaces outside nni/_os (put them behind the seam):\n" + "\n".join(offenders)


def test_the_check_finds_what_it_looks_for() -> None:
    assert LINUX_ONLY.search('open(f"/proc/{pid}/stat")') and LINUX_ONLY.search("os.pidfd_open(pid)")
    assert LINUX_ONLY.search("libc.inotify_init1(0)") and not LINUX_ONLY.search("process_alive(pid)")
    assert all((ROOT / name).is_file() for name in ALLOWED)  # the allow-list names real files


def test_native_windows_is_refused_with_a_pointer_to_wsl(monkeypatch: pytest.MonkeyPatch) -> None:
    assert unsupported_reason("linux") is None and unsupported_reason("darwin") is None
    assert unsupported_reason("freebsd14") is None
    reason = unsupported_reason("win32")
    assert reason is not None and "\n" not in reason
    assert reason.startswith("native Windows (win32) is not supported") and "WSL" in reason
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(UnsupportedSystemError):
        require_supported_system()


@pytest.mark.parametrize("command", [["create", "--config", "{config}"], ["resume", "abcd1234"],
                                     ["view", "abcd1234"]])
def test_nnictl_refuses_on_windows_before_anything_is_created(command: list[str], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from nni.cli import cli

    home = tmp_path / "nni-experiments"
    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(home))
    config = tmp_path / "config.yml"
    config.write_text("trialCommand: python3 trial.py\ntrialConcurrency: 1\ntuner: {name: Random}\n"
                      "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\ntrainingService: {platform: local}\n")
    monkeypatch.setattr(sys, "platform", "win32")
    result = CliRunner().invoke(cli, [part.format(config=config) for part in command])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: native Windows (win32) is not supported"), lines
    assert "WSL" in lines[0]
    assert not home.exists()


def test_the_python_api_refuses_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    from nni.experiment import Experiment

    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(UnsupportedSystemError, match="run NNI inside WSL"):
        Experiment("local").start(8080)
