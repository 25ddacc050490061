"""TPE, Anneal, Evolution and PBT driving real experiments through ``nnictl create --foreground``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nni.storage import open_reader
from nni.testing import Workspace

REPO = Path(__file__).resolve().parents[3]

TRIAL = '''
import math, os
import nni

params = nni.get_next_parameter()
model = params["model"]
if model["_name"] == "a":
    loss = 1.0 + (model["x"] - 0.3) ** 2
else:
    loss = (math.log10(model["lr"]) + 2) ** 2 + 0.01 * abs(params["n"] - 7)
if "save_checkpoint_dir" in params:
    os.makedirs(params["save_checkpoint_dir"], exist_ok=True)
    with open(os.path.join(params["save_checkpoint_dir"], "ckpt"), "w") as f:
        f.write(str(loss))
nni.report_final_result(-loss if os.environ.get("MAXIMIZE") else loss)
'''

SPACE = {
    "model": {"_type": "choice", "_value": [
        {"_name": "a", "x": {"_type": "uniform", "_value": [0, 1]}},
        {"_name": "b", "lr": {"_type": "loguniform", "_value": [1e-5, 1]}},
    ]},
    "n": {"_type": "randint", "_value": [0, 10]},
}


def _run(tmp_path: Path, tuner: dict[str, Any], trials: int, concurrency: int, env_extra: dict[str, str] | None = None):
    project = Workspace(tmp_path, TRIAL, {"searchSpace": SPACE}, timeout=280,
                        env={"PYTHONPATH": str(REPO), "HOME": str(tmp_path), **(env_extra or {})})
    config = project.config(trialConcurrency=concurrency, maxTrialNumber=trials, tuner=tuner)
    ended = project.foreground(config, cwd=project.code)
    with open_reader(ended.folder) as reader:
        profile = reader.profile()
        trials_done = reader.trials()
    assert profile is not None and profile.status == "DONE", profile
    return ended.experiment_id, trials_done


@pytest.mark.slow
@pytest.mark.parametrize("tuner", [
    {"name": "TPE", "classArgs": {"optimize_mode": "minimize", "seed": 1, "tpe_args": {"n_startup_jobs": 4}}},
    {"name": "Anneal", "classArgs": {"optimize_mode": "minimize", "seed": 1}},
    {"name": "Evolution", "classArgs": {"optimize_mode": "minimize", "population_size": 4, "seed": 1}},
], ids=["tpe", "anneal", "evolution"])
def test_tuner_drives_an_experiment(tmp_path, tuner):
    # Seeded, and 20 trials: even blind sampling would miss loss < 1 in 20 draws only ~1% of the time.
    _, trials = _run(tmp_path, tuner, trials=20, concurrency=3)
    assert len(trials) == 20
    assert all(t.status == "SUCCEEDED" for t in trials), [(t.trial_job_id, t.status) for t in trials]
    keys = [repr(sorted(t.parameters.items())) for t in trials]
    assert len(set(keys)) == len(keys), "a configuration was suggested twice"
    assert min(float(t.final_metric) for t in trials) < 1.0


@pytest.mark.slow
def test_pbt_runs_steps_with_checkpoints(tmp_path):
    tuner = {"name": "PBT", "classArgs": {"optimize_mode": "maximize", "population_size": 4, "fraction": 0.25}}
    exp_id, trials = _run(tmp_path, tuner, trials=8, concurrency=4, env_extra={"MAXIMIZE": "1"})
    assert len(trials) == 8 and all(t.status == "SUCCEEDED" for t in trials)
    root = tmp_path / "nni" / "checkpoint" / exp_id  # default all_checkpoint_dir, from NNI_EXP_ID
    saves = sorted(t.parameters["save_checkpoint_dir"] for t in trials)
    assert saves == sorted(str(root / str(m) / str(s)) for m in range(4) for s in range(2))
    for save in saves:
        assert (Path(save) / "ckpt").exists()
    second = [t for t in trials if t.parameters["save_checkpoint_dir"].endswith("/1")]
    loads = {t.parameters["load_checkpoint_dir"] for t in second}
    assert all(Path(p).parent.parent == root and p.endswith("/0") for p in loads)
