"""Exploring and comparing results in the browser, checked against the stores: the slices, contour and
distribution tabs, the metric chart of an experiment big enough to be sampled on the server, and the
comparison of two experiments chosen on the Experiments page. Screenshots under test-artifacts/webui/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nni.launcher import Registry, experiment_app
from nni.storage import open_reader
from nni.testing.demo_store import fill_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_TRACES = """(sel) => document.querySelector(sel).data.map((t) => ({
  meta: t.meta || null, type: t.type, x: t.x, y: t.y, ids: t.customdata || null, name: t.name || null }))"""
_LAYOUT = """(sel) => { const l = document.querySelector(sel).layout; const out = {};
  for (const k of Object.keys(l)) if (/^[xy]axis\\d*$/.test(k)) out[k] = { type: l[k].type, title: l[k].title && l[k].title.text };
  return out; }"""


@pytest.fixture
def two_experiments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process_server: Any) -> Iterator[Any]:
    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(tmp_path / "home"))
    for exp, seed, trials in (("browse01", 0, 60), ("browse02", 5, 40)):
        folder = tmp_path / "home" / exp
        fill_store(folder, experiment_id=exp, trials=trials, intermediates=2, status="DONE", write_logs=False, seed=seed)
        Registry().add(exp, {"logDir": str(folder), "status": "DONE", "port": 8080, "pid": None,
                             "experimentName": f"demo {exp}", "startTime": 1000 * (1 if exp.endswith("1") else 2)})
    reader = open_reader(tmp_path / "home" / "browse01")
    with in_process_server(experiment_app(experiment_dir=tmp_path / "home" / "browse01", store_reader=reader,
                                          control=None)) as srv:
        srv.trials = {t.trial_job_id: t for t in reader.trials()}
        yield srv
    reader.close()


def _wait_chart(page: Any, selector: str, traces: int = 1) -> None:
    page.wait_for_function("([sel, n]) => { const gd = document.querySelector(sel); return gd && gd.data && gd.data.length >= n; }",
                           arg=[selector, traces], timeout=60_000)


def test_slices_contour_and_distribution(two_experiments: Any, page: Any, shoot: Any) -> None:
    srv = two_experiments
    finals = {tid: t.final_metric["default"] for tid, t in srv.trials.items() if t.final_metric is not None}
    page.goto(srv.url + "#/charts?tab=slices")
    _wait_chart(page, "[data-test=chart-slices]", 6)
    traces = {t["meta"]: t for t in page.evaluate(_TRACES, "[data-test=chart-slices]")}
    assert set(traces) == {"lr", "batch_size", "dropout", "layers", "optimizer/_name", "optimizer/momentum"}
    momentum = traces["optimizer/momentum"]
    sgd = {tid for tid in finals if srv.trials[tid].parameters["optimizer"]["_name"] == "sgd"}
    assert set(momentum["ids"]) == sgd  # the adam trials have no momentum: not drawn at a made-up value
    assert momentum["y"] == [finals[t] for t in momentum["ids"]]
    assert traces["lr"]["x"] == [srv.trials[t].parameters["lr"] for t in traces["lr"]["ids"]]
    axes = page.evaluate(_LAYOUT, "[data-test=chart-slices]")
    lr_axis = next(a for a in axes.values() if a["title"] == "lr (log)")
    assert lr_axis["type"] == "log"
    assert next(a for a in axes.values() if a["title"] == "batch_size")["type"] == "category"
    assert page.get_by_text(f"optimizer/momentum: in {len(sgd)} of {len(finals)} trials with a result").is_visible()
    shoot(page, "explore-slices")

    page.click("[data-tab=contour]")
    _wait_chart(page, "[data-test=chart-contour]", 2)
    page.select_option("[data-test=contour-y]", "optimizer/momentum")
    page.wait_for_function("() => document.querySelector('[data-test=contour-note]').textContent.includes('optimizer/momentum')",
                           timeout=30_000)
    _wait_chart(page, "[data-test=chart-contour]", 2)
    grid, points = page.evaluate(_TRACES, "[data-test=chart-contour]")
    assert grid["type"] == "heatmap" and set(points["ids"]) == sgd
    axes = page.evaluate(_LAYOUT, "[data-test=chart-contour]")
    assert axes["xaxis"]["type"] == "log" and axes["yaxis"]["title"] == "optimizer/momentum"
    assert f"the {len(sgd)} trials with a result that have both lr and optimizer/momentum" in page.inner_text("[data-test=contour-note]")
    shoot(page, "explore-contour")

    page.click("[data-tab=distribution]")
    _wait_chart(page, "[data-test=chart-ecdf]")
    (ecdf,) = page.evaluate(_TRACES, "[data-test=chart-ecdf]")
    assert ecdf["x"] == sorted(finals.values()) and ecdf["y"][-1] == 1
    assert f"{len(finals)} trials with a final result" in page.inner_text("[data-test=distribution-stats]")
    _wait_chart(page, "[data-test=chart-histogram]")
    (hist,) = page.evaluate(_TRACES, "[data-test=chart-histogram]")
    assert sum(hist["y"]) == len(finals)
    shoot(page, "explore-distribution")


def test_compare_two_experiments_chosen_on_the_experiments_page(two_experiments: Any, page: Any, shoot: Any) -> None:
    srv = two_experiments
    page.goto(srv.url + "#/experiments")
    page.wait_for_selector("[data-test=experiments-table] tr[data-exp=browse02]")
    assert page.get_attribute("[data-test=compare-experiments]", "aria-disabled") == "true"
    page.check("tr[data-exp=browse01] [data-test=select-experiment]")
    page.check("tr[data-exp=browse02] [data-test=select-experiment]")
    assert page.inner_text("[data-test=compare-experiments]") == "Compare selected (2)"
    page.click("[data-test=compare-experiments]")
    page.wait_for_selector("[data-test=compare-summary] tr[data-exp=browse02]")
    best = {}
    for exp in ("browse01", "browse02"):
        with open_reader(Path(Registry().all()[exp]["logDir"])) as reader:
            best[exp] = max(t.final_metric["default"] for t in reader.trials() if t.final_metric is not None)
        shown = page.inner_text(f"[data-test=compare-summary] tr[data-exp={exp}] [data-test=compare-best]")
        assert float(shown) == pytest.approx(best[exp], rel=1e-5)
    _wait_chart(page, "[data-test=compare-best-seq]", 2)
    curves = {t["name"]: t for t in page.evaluate(_TRACES, "[data-test=compare-best-seq]")}
    assert curves["browse01"]["y"][-1] == best["browse01"] and curves["browse02"]["y"][-1] == best["browse02"]
    _wait_chart(page, "[data-test=compare-distribution]", 2)
    _wait_chart(page, "[data-test=compare-parameters] .js-plotly-plot", 12)
    diff = page.inner_text("[data-test=config-diff]")
    assert "maxTrialNumber" in diff and "80" in diff and "60" in diff
    shoot(page, "compare-experiments")


def test_a_sampled_metric_chart_says_so_and_keeps_the_true_best(tmp_path: Path, page: Any, in_process_server: Any,
                                                                 shoot: Any) -> None:
    fill_store(tmp_path, trials=6000, intermediates=1, status="DONE", write_logs=False)
    reader = open_reader(tmp_path)
    finals = [t.final_metric["default"] for t in reader.trials() if t.final_metric is not None]
    with in_process_server(experiment_app(experiment_dir=tmp_path, store_reader=reader, control=None)) as srv:
        page.goto(srv.url + "#/charts")
        page.wait_for_selector("[data-test=chart-metric] .main-svg", timeout=120_000)
        note = page.inner_text("[data-test=sample-note]")
        assert note.startswith("Showing 5,000 of 6,000 trials, sampled on the server")
        traces = page.evaluate(_TRACES, "[data-test=chart-metric]")
        best_line = next(t for t in traces if t["name"] == "best so far")
        assert best_line["y"][-1] == max(finals)
        drawn = sum(len(t["x"]) for t in traces if t["name"] != "best so far")
        assert drawn <= 5000
        shoot(page, "charts-sampled-6000")
        page.click("[data-tab=parallel]")
        page.wait_for_selector("[data-test=chart-parallel] .main-svg", timeout=60_000)
        assert page.inner_text("[data-test=parallel-count]").startswith(f"by default metric: {-(-len(finals) // 10)} of {len(finals)}")
    reader.close()
