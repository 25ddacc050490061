"""The annotated scikit-learn example through the real nnictl: generated space, instrumented trials."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from nni.annotation import generate_search_space
from nni.storage import open_reader
from nni.testing import Nnictl, free_port

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "annotation_sklearn"


def _nnictl(home: Path) -> Nnictl:
    return Nnictl(home, env={"PYTHONPATH": str(REPO)}, timeout=400)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _run(tmp_path: Path, config_name: str, edits: dict[str, str]) -> tuple[Path, Path]:
    code = tmp_path / "code"
    shutil.copytree(EXAMPLE, code)
    config = (code / config_name).read_text()
    for old, new in edits.items():
        assert old in config
        config = config.replace(old, new)
    (code / config_name).write_text(config)
    before = _digest(code)
    home = tmp_path / "home"
    folder = _nnictl(home).foreground(code / config_name).folder
    assert _digest(code) == before  # the user's files are never written
    return folder, code


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_annotated_example_v2_through_nnictl(tmp_path: Path) -> None:
    folder, code = _run(tmp_path, "config.yml", {"maxTrialNumber: 16": "maxTrialNumber: 4"})
    space = generate_search_space(code)
    with open_reader(folder) as reader:
        profile = reader.profile()
        assert profile is not None and profile.status == "DONE"
        assert profile.search_space == space
        trials = reader.trials()
        assert len(trials) == 4
        finished = [t for t in trials if t.status == "SUCCEEDED"]
        assert finished, [t.status for t in trials]
        for trial in finished:
            params = trial.parameters["parameters"] if "parameters" in trial.parameters else trial.parameters
            assert set(params) == set(space)
            stdout = (folder / "trials" / trial.trial_job_id / "stdout").read_text()
            # the instrumented code used this trial's values, not the defaults written in trial.py
            assert f"hidden={params['trial/hidden/choice']}," in stdout
            assert f"learning_rate={params['trial/learning_rate/loguniform']:.4g}," in stdout
            activation = "relu" if "relu" in params["trial/model/function_choice"] else "tanh"
            assert f"activation={activation})" in stdout
            assert len(reader.intermediate_history(trial.trial_job_id)) == 20
            assert trial.final_metric is not None


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_annotated_example_v1_config_through_nnictl(tmp_path: Path) -> None:
    folder, code = _run(tmp_path, "config_v1.yml", {"maxTrialNum: 16": "maxTrialNum: 2"})
    with open_reader(folder) as reader:
        profile = reader.profile()
        assert profile is not None and profile.status == "DONE"
        assert profile.search_space == generate_search_space(code)
        assert reader.trial_count() == 2


def test_annotation_mistake_fails_create_with_file_and_line(tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(EXAMPLE, code)
    trial = code / "trial.py"
    text = trial.read_text().replace("name=momentum)", "name=momentum_typo)")
    trial.write_text(text)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "momentum_typo" in ln)
    home = tmp_path / "home"
    result = _nnictl(home).run("create", "--config", code / "config.yml", "--port", free_port(), check=False,
                               timeout=120)
    assert result.returncode != 0
    assert f"{trial}:{line}:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not any(home.glob("*/trials/*"))  # no trial started
