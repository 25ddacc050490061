"""nnictl create checks what the config's platform needs before it creates or reports anything."""

from __future__ import annotations

import yaml


def test_slurm_without_sbatch_on_path_is_refused_before_anything_starts(nnictl, home, tmp_path, port) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text("print('never runs')\n")
    config = tmp_path / "slurm.yml"
    config.write_text(yaml.safe_dump({
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "python3 trial.py", "trialCodeDirectory": str(code), "trialConcurrency": 1,
        "maxTrialNumber": 1, "tuner": {"name": "Random"}, "trainingService": {"platform": "slurm"},
    }))
    empty_bin = tmp_path / "bin"  # a PATH without the Slurm client tools (nnictl itself runs by sys.executable)
    empty_bin.mkdir()
    nnictl.env["PATH"] = str(empty_bin)
    result = nnictl("create", "--config", config, "--port", port, check=False)
    if result.returncode == 0:  # the check is gone: do not leave its manager running
        nnictl("stop", "--all", check=False)
    assert result.returncode == 1, result
    assert "Successfully started" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ERROR: 'trainingService.platform': the slurm platform needs the Slurm client "
                               "commands sbatch, squeue, scancel on PATH"), lines[0]
    # nothing was created: no registry entry, no experiment folder
    assert not home.exists() or not any(home.iterdir()), list(home.iterdir())
