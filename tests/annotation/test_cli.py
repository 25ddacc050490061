"""``ss_gen``: NNI's search space generator command, as nnictl registers it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from nni.annotation.cli import ss_gen

CODE = Path(__file__).parent / "code"
REPO = Path(__file__).resolve().parents[2]


def test_ss_gen_prints_and_writes_the_space(tmp_path: Path) -> None:
    out = tmp_path / "space.json"
    result = CliRunner().invoke(
        ss_gen, ["--trial_dir", str(CODE), "--trial_command", "python3 trial.py", "--file", str(out)]
    )
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written["trial/OPTIMIZER/choice"] == {"_type": "choice", "_value": ["sgd", "adam"]}
    assert json.loads(result.stdout) == written


def test_ss_gen_reports_a_mistake_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("\n'''@nni.variable(nni.choise(1, 2), name=x)'''\nx = 1\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "nni.annotation.cli", "-d", str(tmp_path), "-f", str(tmp_path / "o.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode != 0
    assert f"{tmp_path / 't.py'}:2:" in proc.stderr and "nni.choise" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o.json").exists()


def test_ss_gen_without_annotations_says_so(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("x = 1\n")
    result = CliRunner().invoke(ss_gen, ["-d", str(tmp_path), "-f", str(tmp_path / "o.json")])
    assert result.exit_code != 0 and "no annotation found" in result.output


def test_nnictl_ss_gen(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNI_")}
    env["PYTHONPATH"] = str(REPO)
    out = tmp_path / "space.json"
    proc = subprocess.run(
        [sys.executable, "-m", "nni.cli", "ss_gen", "--trial_dir", str(CODE), "--file", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text()) == json.loads(proc.stdout)
    assert "models.net/self.hidden/choice" in json.loads(proc.stdout)
