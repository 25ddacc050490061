"""Behaviour of TPE, Anneal, Evolution and PBT beyond the conformance suite."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from nni.algorithms.hpo.evolution_tuner import EvolutionTuner
from nni.algorithms.hpo.hyperopt_tuner import HyperoptTuner
from nni.algorithms.hpo.pbt_tuner import PBTTuner, default_checkpoint_dir
from nni.algorithms.hpo.tpe_tuner import TpeClassArgsValidator, TpeTuner
from nni.errors import NoMoreTrialError, WaitForResults

SPHERE = {f"x{i}": {"_type": "uniform", "_value": [-5, 5]} for i in range(4)}


def sphere(p: dict[str, Any]) -> float:
    return sum((p[f"x{i}"] - 1.0 - 0.3 * i) ** 2 for i in range(4))


def best_after(tuner: Any, space: dict[str, Any], loss: Any, budget: int) -> float:
    tuner.update_search_space(space)
    best = math.inf
    for i in range(budget):
        params = tuner.generate_parameters(i)
        value = loss(params)
        best = min(best, value)
        tuner.receive_trial_result(i, params, value)
        tuner.trial_end(i, True)
    return best


@pytest.mark.parametrize(
    "make",
    [
        lambda s: TpeTuner(seed=s),
        lambda s: HyperoptTuner("anneal", seed=s),
        lambda s: EvolutionTuner("minimize", population_size=10, seed=s),
    ],
    ids=["tpe", "anneal", "evolution"],
)
def test_model_based_tuners_beat_random_search(make):
    ours = [best_after(make(s), SPHERE, sphere, 60) for s in range(6)]
    rand = [best_after(HyperoptTuner("random_search", seed=s), SPHERE, sphere, 60) for s in range(6)]
    assert np.mean(ours) < 0.7 * np.mean(rand), (ours, rand)


def test_maximize_mode_goes_uphill():
    tuner = TpeTuner("maximize", seed=0)
    best = -best_after(tuner, SPHERE, lambda p: -sphere(p), 50)
    assert best > -2.0


COND = {
    "model": {"_type": "choice", "_value": [
        {"_name": "a", "x": {"_type": "uniform", "_value": [0, 1]}},
        {"_name": "b", "y": {"_type": "loguniform", "_value": [1e-4, 1]},
         "k": {"_type": "choice", "_value": [{"_name": "deep", "z": {"_type": "randint", "_value": [0, 10]}}, "flat"]}},
        "c",
    ]},
}


def cond_loss(p: dict[str, Any]) -> float:
    m = p["model"]
    if m == "c":
        return 2.0
    if m["_name"] == "a":
        return 1.0 + (m["x"] - 0.5) ** 2
    y = (math.log10(m["y"]) + 2) ** 2
    k = m["k"]
    return y + (0.1 * abs(k["z"] - 7) if k != "flat" and isinstance(k, dict) else 0.8)


def test_tpe_finds_the_best_branch_of_a_nested_space():
    tuner = TpeTuner(seed=3)
    tuner.update_search_space(COND)
    seen = []
    for i in range(60):
        params = tuner.generate_parameters(i)
        seen.append(params)
        tuner.receive_trial_result(i, params, cond_loss(params))
    late = seen[-20:]
    in_best_branch = [p for p in late if isinstance(p["model"], dict) and p["model"]["_name"] == "b"]
    assert len(in_best_branch) >= 12, late
    assert min(cond_loss(p) for p in seen) < 0.2


def test_tpe_finite_space_is_exhausted_without_repeats_even_with_pending():
    space = {"a": {"_type": "choice", "_value": [1, 2, 3]}, "b": {"_type": "randint", "_value": [0, 4]}}
    tuner = TpeTuner(seed=0, tpe_args={"n_startup_jobs": 2})
    tuner.update_search_space(space)
    got = [tuner.generate_parameters(i) for i in range(4)]  # four pending at once
    for i, p in enumerate(got):
        tuner.receive_trial_result(i, p, p["a"] * p["b"])
    for i in range(4, 12):
        p = tuner.generate_parameters(i)
        got.append(p)
        tuner.receive_trial_result(i, p, p["a"] * p["b"])
    assert len({(p["a"], p["b"]) for p in got}) == 12
    with pytest.raises(NoMoreTrialError):
        tuner.generate_parameters(99)


def test_tpe_pending_trials_spread_out():
    tuner = TpeTuner(seed=0, tpe_args={"n_startup_jobs": 5})
    tuner.update_search_space(SPHERE)
    for i in range(20):
        p = tuner.generate_parameters(i)
        tuner.receive_trial_result(i, p, sphere(p))
    batch = [tuner.generate_parameters(100 + i) for i in range(6)]
    points = np.array([[p[f"x{i}"] for i in range(4)] for p in batch])
    dists = [np.linalg.norm(points[i] - points[j]) for i in range(6) for j in range(i)]
    assert min(dists) > 1e-6


def test_tpe_import_data_guides_the_search():
    rng = np.random.default_rng(0)
    data = []
    for _ in range(40):
        p = {f"x{i}": float(rng.uniform(-5, 5)) for i in range(4)}
        data.append({"parameter": p, "value": sphere(p)})
    tuner = TpeTuner(seed=0)
    tuner.update_search_space(SPHERE)
    tuner.import_data(data)
    assert tuner.n_finished == 40
    suggested = [tuner.generate_parameters(i) for i in range(10)]
    assert np.mean([sphere(p) for p in suggested]) < np.mean([d["value"] for d in data])


@pytest.mark.parametrize(
    "args, word",
    [({"gamma": 1.5}, "gamma"), ({"n_startup_jobs": 0}, "n_startup_jobs"),
     ({"constant_liar_type": "min"}, "constant_liar_type"), ({"bogus": 1}, "bogus")],
)
def test_tpe_args_are_validated(args, word):
    with pytest.raises(ValueError, match=word):
        TpeTuner(tpe_args=args)
    with pytest.raises(ValueError, match=word):
        TpeClassArgsValidator().validate_class_args(optimize_mode="maximize", tpe_args=args)


def test_optimize_mode_is_validated():
    with pytest.raises(ValueError, match="optimize_mode"):
        TpeTuner(optimize_mode="up")
    with pytest.raises(ValueError, match="algorithm_name"):
        HyperoptTuner("bayes")


# ------------------------------------------------------------------------------------------------ PBT
PBT_SPACE = {"lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
             "opt": {"_type": "choice", "_value": [{"_name": "sgd", "m": {"_type": "uniform", "_value": [0, 1]}}, "adam"]}}


def test_pbt_steps_checkpoints_and_exploitation(tmp_path):
    tuner = PBTTuner("maximize", all_checkpoint_dir=str(tmp_path), population_size=5, fraction=0.2, seed=0)
    tuner.update_search_space(PBT_SPACE)
    first = [tuner.generate_parameters(i) for i in range(5)]
    with pytest.raises(WaitForResults):
        tuner.generate_parameters(5)
    for i, p in enumerate(first):
        assert p["save_checkpoint_dir"] == str(tmp_path / str(i) / "0")
        assert p["load_checkpoint_dir"] == p["save_checkpoint_dir"]
    rewards = [0.1, 0.9, 0.5, 0.3, 0.2]  # member 1 is the best, member 0 the worst
    for i, p in enumerate(first):
        tuner.receive_trial_result(i, p, rewards[i])
        tuner.trial_end(i, True)
    second = [tuner.generate_parameters(10 + i) for i in range(5)]
    assert [p["save_checkpoint_dir"] for p in second] == [str(tmp_path / str(i) / "1") for i in range(5)]
    # the worst member continues from the best member's checkpoint, the others from their own
    assert second[0]["load_checkpoint_dir"] == str(tmp_path / "1" / "0")
    for i in range(1, 5):
        assert second[i]["load_checkpoint_dir"] == str(tmp_path / str(i) / "0")
        assert {k: v for k, v in second[i].items() if "checkpoint" not in k} == \
            {k: v for k, v in first[i].items() if "checkpoint" not in k}
    assert second[0]["lr"] != first[0]["lr"]


def test_pbt_failed_member_counts_as_worst(tmp_path):
    tuner = PBTTuner("minimize", all_checkpoint_dir=str(tmp_path), population_size=4, fraction=0.25, seed=1)
    tuner.update_search_space(PBT_SPACE)
    params = [tuner.generate_parameters(i) for i in range(4)]
    for i in (0, 1, 3):
        tuner.receive_trial_result(i, params[i], float(i))
    tuner.trial_end(2, False)
    nxt = [tuner.generate_parameters(10 + i) for i in range(4)]
    assert nxt[2]["load_checkpoint_dir"] == str(tmp_path / "0" / "0")


def test_pbt_default_checkpoint_dir_uses_experiment_id(monkeypatch):
    monkeypatch.setenv("NNI_EXP_ID", "ab12cd34")
    assert default_checkpoint_dir().endswith("/nni/checkpoint/ab12cd34")
    assert PBTTuner().all_checkpoint_dir == default_checkpoint_dir()


def test_kernel_widths_follow_the_gaps_between_observations():
    from nni.algorithms.hpo._tpe import neighbor_widths

    centers = np.array([[0.10], [0.50], [0.52], [np.nan], [0.90]])
    widths = neighbor_widths(centers, floor=np.array([0.0]))[:, 0]
    # Four active centres: floor 1/6. The ends take the gap to their one inner neighbour.
    assert widths[0] == pytest.approx(0.40)  # 0.10 -> 0.50
    assert widths[1] == pytest.approx(0.40)  # larger of 0.40 (left) and 0.02 (right)
    assert widths[2] == pytest.approx(0.38)  # larger of 0.02 and 0.38
    assert widths[4] == pytest.approx(0.38)
    assert widths[3] == 1.0  # inactive centre: unused
    lone = neighbor_widths(np.array([[0.2]]), floor=np.array([0.0]))[0, 0]
    assert lone == pytest.approx(0.8)  # a lone centre: the larger gap to the interval's ends


def test_tpe_refines_a_branch_from_its_own_trials():
    """The sub-parameters of a branch come from that branch's best trials, even when every globally
    good trial took the other branch."""
    space = {"model": {"_type": "choice", "_value": [
        {"_name": "easy", "u": {"_type": "uniform", "_value": [0, 1]}},
        {"_name": "hard", "v": {"_type": "uniform", "_value": [0, 1]}},
    ]}}
    rng = np.random.default_rng(0)
    data = [{"parameter": {"model": {"_name": "easy", "u": float(u)}}, "value": 0.5 + 0.01 * u}
            for u in rng.random(30)]
    # The hard branch: loss far above every easy trial, but lowest near v = 0.8.
    data += [{"parameter": {"model": {"_name": "hard", "v": float(v)}}, "value": 2.0 + abs(v - 0.8)}
             for v in rng.random(30)]
    tuner = TpeTuner(seed=1, tpe_args={"n_ei_candidates": 256})
    tuner.update_search_space(space)
    tuner.import_data(data)
    X, losses = tuner.history()
    from nni.algorithms.hpo._tpe import TpeSettings, suggest_candidates

    hard = tuner.enc.index[("model", 1, "v")]
    choice = tuner.enc.index[("model",)]
    for branch_models, near in ((True, True), (False, False)):
        C = suggest_candidates(tuner.enc, X, losses, np.random.default_rng(2), TpeSettings(branch_models=branch_models))
        vs = C[C[:, choice] == 1, hard]
        assert len(vs) > 0
        closeness = np.mean(np.abs(vs - 0.8) < 0.15)
        # With per-branch models most "hard" candidates sit near that branch's best v; the joint
        # model has no good "hard" centre and draws v from the prior (~30% within 0.15 of 0.8).
        assert (closeness > 0.6) == near, (branch_models, closeness)
