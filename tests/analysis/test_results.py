"""nni.analysis results, space and compare: best trials, best-so-far curves, distributions, slices, contours
(conditional and log-scaled parameters), sampling and comparisons, checked against values computed by hand."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from nni.analysis import (
    ResultColumns,
    axes_of,
    best_so_far,
    best_trials,
    compare,
    config_diff,
    contour,
    distribution,
    explore,
    sample_positions,
)
from nni.storage import TrialRecord

SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "batch": {"_type": "choice", "_value": [16, 32]},
    "opt": {"_type": "choice", "_value": [
        {"_name": "sgd", "momentum": {"_type": "uniform", "_value": [0, 1]}},
        {"_name": "adam"},
    ]},
}


def Trial(trial_job_id: str, sequence_id: int, status: str, parameters: Any, final_metric: Any,  # noqa: N802
          end_time: float | None) -> TrialRecord:
    return TrialRecord(trial_job_id=trial_job_id, sequence_id=sequence_id, parameter_id=sequence_id, parameters=parameters,
                       parameter_source="algorithm", status=status, submit_time=0.0, end_time=end_time,
                       final_metric=final_metric)


def _trials(values: list[Any], *, sgd: list[bool] | None = None) -> list[TrialRecord]:
    out = []
    for i, v in enumerate(values):
        opt = {"_name": "sgd", "momentum": i / 10} if (sgd or [i % 2 == 0] * len(values))[i] else {"_name": "adam"}
        params = {"lr": 10.0 ** -(1 + i % 4), "batch": 16 if i < 3 else 32, "opt": opt}
        out.append(Trial(f"t{i}", i, "SUCCEEDED" if v is not None else "FAILED", params, v, 100.0 + 10 * i))
    return out


def _results(values: list[Any], mode: str = "maximize", **kw: Any) -> ResultColumns:
    config = {"experimentName": "e", "searchSpace": SPACE, "tuner": {"name": "TPE", "classArgs": {"optimize_mode": mode}}}
    return ResultColumns.from_trials(_trials(values, **kw), experiment_id="exp1", config=config, start_time=100.0)


def test_default_metric_direction_and_non_finite_values_are_no_result() -> None:
    r = _results([0.5, {"default": 0.9, "loss": 1}, None, float("nan"), {"loss": 2}, 0.7])
    assert r.maximize and r.mode == "maximize"
    assert r.with_result.tolist() == [0, 1, 5]
    assert [b.trial_job_id for b in best_trials(r, 5)] == ["t1", "t5", "t0"]
    minimize = _results([0.5, 0.2, 0.2, 0.9], mode="minimize")
    best = best_trials(minimize, 2)
    assert [(b.rank, b.trial_job_id, b.value) for b in best] == [(1, "t1", 0.2), (2, "t2", 0.2)]  # tie: earlier first
    assert best[0].parameters == {"lr": 0.01, "batch": 16, "opt": {"_name": "adam"}}
    assert best[0].as_json()["parameter"] == best[0].parameters
    with pytest.raises(ValueError, match="top must be at least 1"):
        best_trials(r, 0)


def test_best_so_far_keeps_only_the_changes_by_sequence_and_by_time() -> None:
    r = _results([0.3, 0.1, 0.5, 0.4, 0.5, 0.2])
    curves = r.best_so_far()
    assert curves["bySeq"] == {"seq": [0, 2, 5], "best": [0.3, 0.5, 0.5]}
    # ended at 100 + 10 i, the experiment started at 100
    assert curves["byTime"] == {"seconds": [0.0, 20.0, 50.0], "best": [0.3, 0.5, 0.5]}
    assert best_so_far([0, 1, 2], [0.2, None, float("nan")], maximize=False)["bySeq"] == {"seq": [0], "best": [0.2]}
    assert _results([None, None]).best_so_far() == {"bySeq": {"seq": [], "best": []},
                                                    "byTime": {"seconds": [], "best": []}}


def test_distribution_statistics_histogram_and_ecdf() -> None:
    values = np.arange(1, 1001, dtype=float)
    d = distribution(list(values) + [float("nan"), float("inf")], points=11)
    assert d["count"] == 1000 and d["min"] == 1 and d["max"] == 1000 and d["median"] == 500.5
    assert sum(d["histogram"]["counts"]) == 1000 and len(d["histogram"]["edges"]) == 31
    assert d["ecdf"]["value"][0] == 1 and d["ecdf"]["value"][-1] == 1000 and d["ecdf"]["fraction"][-1] == 1.0
    assert len(d["ecdf"]["value"]) == 11
    assert distribution([])["count"] == 0


def test_axes_come_from_the_search_space_log_categorical_and_conditional() -> None:
    axes = {a.name: a for a in axes_of(_results([0.1] * 6))}
    assert set(axes) == {"lr", "batch", "opt/_name", "opt/momentum"}
    assert axes["lr"].log and not axes["lr"].categorical and not axes["lr"].conditional
    assert axes["batch"].categorical and axes["batch"].categories == ("16", "32")
    assert axes["opt/_name"].categories == ("sgd", "adam")
    assert axes["opt/momentum"].conditional and not axes["opt/momentum"].log


def test_axes_of_a_parameter_the_space_does_not_describe_are_read_from_the_values() -> None:
    trials = [Trial(f"t{i}", i, "SUCCEEDED", {"wd": 10.0 ** -i, "act": ["relu", "tanh"][i % 2]}, 0.5, None)
              for i in range(5)]
    axes = {a.name: a for a in axes_of(ResultColumns.from_trials(trials))}
    assert axes["wd"].log and axes["wd"].inferred
    assert axes["act"].categorical and axes["act"].categories == ("relu", "tanh")


def test_slices_leave_inactive_trials_out_and_count_them() -> None:
    r = _results([0.1, 0.2, 0.3, 0.4, 0.5, None])
    by_name = {s["name"]: s for s in explore(r)["parameters"]}
    momentum = by_name["opt/momentum"]
    assert momentum["id"] == ["t0", "t2", "t4"] and momentum["x"] == [0.0, 0.2, 0.4]
    assert momentum["y"] == [0.1, 0.3, 0.5] and momentum["inactive"] == 2 and momentum["total"] == 3
    assert by_name["opt/_name"]["x"] == ["sgd", "adam", "sgd", "adam", "sgd"]
    assert by_name["batch"]["x"] == ["16", "16", "16", "32", "32"]
    assert by_name["lr"]["log"] is True and by_name["lr"]["shown"] == 5


def test_sampling_keeps_the_best_and_says_how_many() -> None:
    n = 5000
    rng = np.random.default_rng(1)
    r = _results(list(rng.random(n)))
    shown = sample_positions(r.value, r.with_result, 500, maximize=True)
    assert len(shown) == 500 and len(set(shown.tolist())) == 500
    best_100 = set(r.order_best_first()[:100].tolist())
    assert best_100 <= set(shown.tolist())
    assert sample_positions(r.value, r.with_result, 500, maximize=True).tolist() == shown.tolist()  # the same figure every time
    lr = next(s for s in explore(r, max_points=500)["parameters"] if s["name"] == "lr")
    assert lr["shown"] == 500 and lr["total"] == n and len(lr["x"]) == 500


def test_contour_bins_on_a_log_scale_and_keeps_the_best_per_cell() -> None:
    trials = []
    for i, (lr, m, v) in enumerate([(1e-4, 0.1, 0.2), (1e-4, 0.15, 0.6), (1e-1, 0.9, 0.4), (1e-2, 0.5, 0.3)]):
        trials.append(Trial(f"t{i}", i, "SUCCEEDED", {"lr": lr, "opt": {"_name": "sgd", "momentum": m}}, v, None))
    trials.append(Trial("t9", 9, "SUCCEEDED", {"lr": 1e-3, "opt": {"_name": "adam"}}, 0.99, None))
    r = ResultColumns.from_trials(trials, config={"searchSpace": SPACE})
    c = contour(r, "lr", "opt/momentum", bins=3)
    assert c["trials"] == 4  # the adam trial has no momentum
    assert c["x"]["log"] and c["x"]["edges"][0] == pytest.approx(1e-4) and c["x"]["edges"][-1] == pytest.approx(0.1)
    assert c["x"]["centers"][1] == pytest.approx(10 ** -2.5)  # log10 bins [-4, -3), [-3, -2), [-2, -1]
    # lr 1e-4 with momentum 0.1 and 0.15 (the first momentum bin): the best of 0.2 and 0.6
    assert c["z"][0][0] == 0.6 and c["count"][0][0] == 2
    assert c["z"][1][2] == 0.3 and c["z"][2][2] == 0.4  # 1e-2 and 1e-1 share the last lr bin
    assert c["z"][1][1] is None and c["count"][1][1] == 0
    assert sum(map(sum, c["count"])) == 4 and c["shown"] == 4
    cat = contour(r, "opt/_name", "lr", bins=2)
    assert cat["x"]["centers"] == ["sgd", "adam"] and cat["trials"] == 5
    with pytest.raises(KeyError, match="no parameter 'nope'"):
        contour(r, "nope", "lr")


def test_compare_summaries_curves_shared_parameters_and_config_diff() -> None:
    a = _results([0.1, 0.5, 0.3])
    b_trials = [Trial(f"u{i}", i, "SUCCEEDED", {"lr": 0.01, "extra": i}, v, 200.0 + i) for i, v in enumerate([0.2, 0.8])]
    b = ResultColumns.from_trials(b_trials, experiment_id="exp2", start_time=195.0,
                                  config={"searchSpace": {"lr": SPACE["lr"]}, "trialConcurrency": 4,
                                          "tuner": {"name": "Random"}})
    out = compare([a, b])
    rows = {row["id"]: row for row in out["experiments"]}
    assert rows["exp1"]["best"] == 0.5 and rows["exp1"]["bestTrial"] == "t1" and rows["exp1"]["secondsToBest"] == 10.0
    assert rows["exp2"]["best"] == 0.8 and rows["exp2"]["bestSeq"] == 1 and rows["exp2"]["secondsToBest"] == 6.0
    assert out["sharedParameters"] == ["lr"] and len(out["parameters"]["lr"]) == 2
    keys = {d["key"]: d["values"] for d in out["configDiff"]}
    assert keys["trialConcurrency"] == [None, "4"] and keys["tuner.name"] == ['"TPE"', '"Random"']
    assert "searchSpace.batch._type" in keys and "searchSpace.lr._type" not in keys
    assert out["bestSoFar"][1]["bySeq"]["best"] == [0.2, 0.8]
    assert out["notes"] == []
    assert "opposite directions" in compare([a, _results([0.1], mode="minimize")])["notes"][0]
    with pytest.raises(ValueError, match="two or more"):
        compare([a])


def test_config_diff_of_equal_configs_is_empty() -> None:
    assert config_diff([{"a": {"b": 1}}, {"a": {"b": 1}}]) == []
    assert config_diff([{"a": [1, 2]}, {"a": [2, 1]}]) == [{"key": "a", "values": ["[1, 2]", "[2, 1]"]}]


def test_results_from_a_real_store(tmp_path) -> None:
    from nni.storage import open_reader
    from nni.testing.demo_store import fill_store

    written = fill_store(tmp_path / "exp", trials=30, intermediates=2, write_logs=False)
    with open_reader(tmp_path / "exp") as reader:
        r = ResultColumns.from_store(reader)
    finals = {tid: t["final"]["default"] for tid, t in written["trials"].items() if t.get("final")}
    assert len(r) == 30 and len(r.with_result) == len(finals)
    best = best_trials(r, 3)
    assert [b.value for b in best] == sorted(finals.values(), reverse=True)[:3]
    assert all(math.isclose(b.value, finals[b.trial_job_id]) for b in best)
