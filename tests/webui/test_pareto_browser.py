"""The Pareto front in the browser, checked against the store: the points drawn are the trials' reported
objectives, the front drawn is the non-dominated feasible set computed here independently (plain loops),
infeasible trials apart; the overview's Pareto set and the trials table's objective columns."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nni.launcher import experiment_app
from nni.storage import open_reader
from nni.testing import expected_pareto_set
from nni.testing.demo_store import MEMORY_LIMIT_MB, OBJECTIVES, fill_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_TRACES = """() => {
  const gd = document.querySelector('[data-test=chart-pareto]');
  return gd.data.map((t) => ({
    meta: t.meta, ids: t.customdata || null,
    coords: t.type === 'splom' ? t.dimensions.map((d) => d.values) : [t.x, t.y],
  }));
}"""


@pytest.fixture(params=[2, 3], ids=["two-objectives", "three-objectives"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, dict[str, Any], int]]:
    k = request.param
    fill_store(tmp_path, trials=60, intermediates=3, objectives=k, status="DONE", write_logs=False)
    reader = open_reader(tmp_path)
    finals = {t.trial_job_id: t.final_metric for t in reader.trials() if t.final_metric is not None}
    server_cls = request.getfixturevalue("in_process_server")
    with server_cls(experiment_app(experiment_dir=tmp_path, store_reader=reader, control=None)) as srv:
        yield srv, finals, k
    reader.close()


def _valid(result: dict[str, Any], k: int) -> bool:
    return all(isinstance(result.get(o["name"]), (int, float)) and math.isfinite(result[o["name"]])
               for o in OBJECTIVES[:k])


def test_pareto_chart_matches_the_store(served: tuple[Any, dict[str, Any], int], page: Any, shoot: Any) -> None:
    srv, finals, k = served
    config = {"objectives": OBJECTIVES[:k], "constraints": [{"name": "memory_mb", "max": MEMORY_LIMIT_MB}]}
    expected_front = expected_pareto_set(finals, config)
    infeasible = {tid for tid, r in finals.items() if _valid(r, k) and r["memory_mb"] > MEMORY_LIMIT_MB}
    assert expected_front and infeasible  # the demo store has both

    page.goto(srv.url + "#/charts")  # several objectives: the Pareto tab is the default
    page.wait_for_function("() => { const gd = document.querySelector('[data-test=chart-pareto]'); "
                           "return gd && gd.data && gd.data.length >= 3; }", timeout=60_000)
    page.wait_for_function("() => { const gd = document.querySelector('[data-test=chart-hypervolume]'); "
                           "return gd && gd.data && gd.data.length === 1; }", timeout=30_000)
    traces = {t["meta"]: t for t in page.evaluate(_TRACES)}

    drawn: dict[str, list[float]] = {}
    for meta in ("pareto", "dominated", "infeasible"):
        trace = traces[meta]
        for i, tid in enumerate(trace["ids"]):
            assert tid not in drawn, f"trial {tid} drawn twice"
            drawn[tid] = [axis[i] for axis in trace["coords"]]
    # every valid result is drawn, at its reported objective values; invalid ones are not
    assert set(drawn) == {tid for tid, r in finals.items() if _valid(r, k)}
    for tid, point in drawn.items():
        assert point == [finals[tid][o["name"]] for o in OBJECTIVES[:k]], tid
    assert set(traces["pareto"]["ids"]) == expected_front
    assert set(traces["infeasible"]["ids"]) == infeasible
    assert page.text_content("[data-test=pareto-count]") == str(len(expected_front))
    if k == 2:  # the front's line goes through the Pareto set, along the first objective
        line = list(zip(*traces["front"]["coords"], strict=True))
        assert sorted(line) == sorted(tuple(drawn[t]) for t in expected_front)
        assert [x for x, _ in line] == sorted(x for x, _ in line)
    history = page.evaluate("() => document.querySelector('[data-test=chart-hypervolume]').data[0].y")
    assert history and all(a <= b + 1e-9 for a, b in zip(history, history[1:], strict=False)) and history[-1] > 0
    shoot(page, f"pareto-chart-{k}d")

    page.goto(srv.url + "#/overview")
    page.wait_for_selector("[data-test=card-pareto]")
    assert page.text_content("[data-test=card-pareto] [data-test=pareto-count]") == f"{len(expected_front)} trials"
    assert page.text_content("[data-test=top-title]") == f"The Pareto set ({len(expected_front)} trials)"
    rows = page.eval_on_selector_all("[data-test=top-trials] tbody tr a.mono", "els => els.map((a) => a.textContent)")
    assert set(rows) == expected_front
    shoot(page, f"pareto-overview-{k}d")

    page.goto(srv.url + "#/trials?filter=pareto%20%3D%20pareto")
    page.wait_for_selector("[data-test=trials-table] tr[data-trial]")
    heads = page.eval_on_selector_all("[data-test=trials-table] thead th[data-col]", "els => els.map((e) => e.dataset.col)")
    at = heads.index("status")
    assert heads[at + 1: at + 2 + k] == [f"metric:{o['name']}" for o in OBJECTIVES[:k]] + ["pareto"]
    assert "default" not in heads
    shown = page.eval_on_selector_all("[data-test=trials-table] tbody tr[data-trial]", "els => els.map((e) => e.dataset.trial)")
    assert set(shown) == expected_front
    shoot(page, f"pareto-trials-{k}d")
