"""Every page of the web UI in headless Chromium against a real experiment started with ``nnictl create``:
numbers shown are checked against the store; concurrency is edited, a trial killed, a customized trial added."""

from __future__ import annotations

import csv
import io
import json

import pytest

from nni.testing import free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _finished_with_metric(trials):
    return [t for t in trials if t.final_metric is not None]


def _default(value):
    return value["default"] if isinstance(value, dict) else value


def test_overview_shows_the_store_and_edits_concurrency(experiment, page, shoot) -> None:
    page.goto(experiment.url + "#/overview")
    page.wait_for_selector("[data-test=best-metric]")
    assert page.inner_text("[data-test=experiment-id]") == experiment.id
    trials = experiment.trials()
    done = sum(t.finished for t in trials)
    wait_until(lambda: page.inner_text("[data-test=trials-done]") == str(sum(t.finished for t in experiment.trials())),
           30, "trials done to match the store")
    assert int(page.inner_text("[data-test=trials-done]")) >= done
    best = max(_default(t.final_metric) for t in _finished_with_metric(experiment.trials()))
    assert float(page.inner_text("[data-test=best-metric]")) == pytest.approx(best, rel=1e-5)
    top_first = page.locator("[data-test=top-trials] tbody tr").first.inner_text()
    best_trial = max(_finished_with_metric(experiment.trials()), key=lambda t: _default(t.final_metric))
    assert best_trial.trial_job_id in top_first
    space = page.inner_text("[data-test=search-space]")
    assert "x\tuniform\t[0, 1]" in space and "opt[sgd]/momentum" in space
    assert "webui e2e" in page.inner_text("[data-test=config]")
    assert page.inner_text("[data-test=concurrency-value]") == "2"
    shoot(page, "overview")

    page.click("[data-test=concurrency-edit]")
    page.fill("[data-test=concurrency-input]", "3")
    page.click("[data-test=concurrency-save]")
    page.wait_for_function("document.querySelector('[data-test=concurrency-value]')?.textContent === '3'")
    with experiment.reader() as r:
        assert r.profile().limits["trialConcurrency"] == 3
    # the third slot is used: three trials run at once
    wait_until(lambda: sum(t.status == "RUNNING" for t in experiment.trials()) == 3, 60, "a third running trial")

    page.click("[data-test=max-trials-edit]")
    page.fill("[data-test=max-trials-input]", "12")
    page.click("[data-test=max-trials-save]")
    page.wait_for_function("document.querySelector('[data-test=max-trials-value]')?.textContent === '12'")
    with experiment.reader() as r:
        assert r.profile().limits["maxTrialNumber"] == 12

    page.click("[data-test=max-duration-edit]")
    page.fill("[data-test=max-duration-input]", "2h")
    page.click("[data-test=max-duration-save]")
    page.wait_for_function("document.querySelector('[data-test=max-duration-value]')?.textContent === '2h 0m 0s'")
    with experiment.reader() as r:
        assert r.profile().limits["maxExperimentDuration"] == 7200
    shoot(page, "overview-edited")


def test_trials_table_sort_filter_kill_and_customized_trial(experiment, page, shoot) -> None:
    page.goto(experiment.url + "#/trials")
    page.wait_for_selector("[data-test=trials-table] tr[data-trial]")
    stored = experiment.trials()
    wait_until(lambda: page.inner_text("[data-test=table-info]") == f"{len(experiment.trials())} trials", 30,
           "the table to count every stored trial")
    rows = page.locator("[data-test=trials-table] tbody tr[data-trial]")
    assert rows.count() == len(experiment.trials())

    page.click("th[data-col=default]")  # highest default metric first
    best = max(_finished_with_metric(stored), key=lambda t: _default(t.final_metric))
    page.wait_for_function(f"document.querySelector('[data-test=trials-table] tbody tr')?.dataset.trial === '{best.trial_job_id}'")
    first = rows.first
    assert best.trial_job_id in first.inner_text()

    page.click("[data-test=status-filter] [data-status=RUNNING]")
    page.wait_for_function("[...document.querySelectorAll('[data-test=trials-table] tbody tr[data-trial]')]"
                           ".every(tr => tr.innerText.includes('RUNNING'))")
    running = [t.trial_job_id for t in experiment.trials() if t.status == "RUNNING"]
    shown = page.eval_on_selector_all("[data-test=trials-table] tbody tr[data-trial]", "els => els.map(e => e.dataset.trial)")
    assert set(shown) <= set(running) and shown
    page.click("[data-test=status-filter] [data-status=RUNNING]")

    page.fill("[data-test=filter]", "default >= 0.5")
    expected = {t.trial_job_id for t in experiment.trials() if t.final_metric is not None and _default(t.final_metric) >= 0.5}
    page.wait_for_function(f"document.querySelectorAll('[data-test=trials-table] tbody tr[data-trial]').length === {len(expected)}")
    page.fill("[data-test=filter]", "nosuchcolumn > 1")
    page.wait_for_selector("[data-test=query-error]")
    assert "unknown column 'nosuchcolumn'" in page.inner_text("[data-test=query-error]")
    page.fill("[data-test=filter]", "")
    page.wait_for_selector("[data-test=query-error]", state="detached")
    page.wait_for_function("/^\\d+ trials$/.test(document.querySelector('[data-test=table-info]').textContent)")
    shoot(page, "trials")

    # kill a running trial
    victim = next(t.trial_job_id for t in experiment.trials() if t.status == "RUNNING")
    page.click(f"tr[data-trial='{victim}'] [data-test=kill]")
    page.click("[data-test=modal-ok]")
    wait_until(lambda: next(t for t in experiment.trials() if t.trial_job_id == victim).status == "USER_CANCELED", 60,
           f"trial {victim} to be USER_CANCELED")
    page.wait_for_selector(f"tr[data-trial='{victim}'] [data-status=USER_CANCELED]", timeout=20000)

    # a customized trial from the best trial's parameters, with x edited
    before = {t.trial_job_id for t in experiment.trials()}
    page.click(f"tr[data-trial='{best.trial_job_id}'] [data-test=rerun]")
    page.wait_for_selector("[data-test=customized-form] input[data-param=x]")
    page.fill("[data-test=customized-form] input[data-param=x]", "0.123")
    shoot(page, "customized-trial")
    page.click("[data-test=modal-ok]")
    new = wait_until(lambda: [t for t in experiment.trials() if t.trial_job_id not in before], 60, "the customized trial")
    assert new[0].parameter_source == "customized"
    assert new[0].parameters["x"] == pytest.approx(0.123)
    assert new[0].parameters["opt"] == best.parameters["opt"]
    page.wait_for_selector(f"tr[data-trial='{new[0].trial_job_id}']", timeout=20000)

    # export what the table shows
    with page.expect_download() as download:
        page.click("[data-test=export-csv]")
    text = download.value.path().read_text()
    table = list(csv.DictReader(io.StringIO(text)))
    assert {r["id"] for r in table} == {t.trial_job_id for t in experiment.trials()}
    with page.expect_download() as download:
        page.click("[data-test=export-json]")
    items = json.loads(download.value.path().read_text())
    assert {i["trialJobId"] for i in items} == {t.trial_job_id for t in experiment.trials()}


def test_charts_every_tab(experiment, page, shoot) -> None:
    for tab, selector in [("metric", "chart-metric"), ("parallel", "chart-parallel"), ("curves", "chart-curves"),
                          ("durations", "chart-durations")]:
        page.goto(experiment.url + f"#/charts?tab={tab}")
        page.wait_for_selector(f"[data-test={selector}] .main-svg", timeout=60000)
        shoot(page, f"charts-{tab}")
        if tab == "parallel":
            finished = _finished_with_metric(experiment.trials())
            if any("momentum" not in t.parameters["opt"] for t in finished):
                # trials without the conditional parameter are drawn on its "n/a" mark, not dropped
                page.wait_for_selector("[data-test=chart-parallel] text:text-is('n/a')", timeout=20000)
            total = len(finished)
            page.select_option("[data-test=top-percent]", "50")
            page.wait_for_function("document.querySelector('[data-test=parallel-count]')?.textContent"
                                   f".includes('{-(-total // 2)} of ')")
    # importance needs 8 finished trials; here it says so instead of drawing noise
    page.goto(experiment.url + "#/charts?tab=importance")
    page.wait_for_selector("text=needs at least 8 trials", timeout=60000)
    src = page.eval_on_selector("script[src*=plotly]", "s => s.src")
    assert src.startswith(experiment.url)  # served by this server, never a CDN


def test_trial_detail_logs_folder_and_compare(experiment, page, shoot) -> None:
    trial = next(t for t in experiment.trials() if t.status == "SUCCEEDED")
    page.goto(experiment.url + f"#/trial/{trial.trial_job_id}")
    page.wait_for_selector("[data-test=parameters]")
    params = page.inner_text("[data-test=parameters]")
    assert f"{trial.parameters['x']:.6f}"[:6] in params
    assert "opt/_name" in params
    final = page.inner_text("[data-test=final]")
    assert f"{trial.final_metric['default']:.6f}"[:6] in final and "loss" in final
    page.wait_for_selector("[data-test=metric-chart] svg path.series")
    with experiment.reader() as r:
        stored = r.metrics(trial.trial_job_id)
    assert len(stored) == 6  # five intermediate results and the final one
    assert page.locator("[data-test=metrics-table] tbody tr").count() == len(stored)
    page.wait_for_function(f"document.querySelector('[data-test=log]').textContent.includes('hello from trial {trial.trial_job_id}')")
    assert page.locator("[data-test=files] tr").count() >= 2
    shoot(page, "trial-detail")

    ids = [t.trial_job_id for t in experiment.trials() if t.status == "SUCCEEDED"][:3]
    page.goto(experiment.url + "#/trials")
    page.wait_for_selector("[data-test=trials-table] tr[data-trial]")
    for tid in ids:
        page.check(f"tr[data-trial='{tid}'] [data-test=select]")
    page.click("[data-test=compare]")
    page.wait_for_selector("[data-test=compare-chart] svg path.series")
    header = page.inner_text("[data-test=compare-table] thead")
    assert all(tid in header for tid in ids)
    assert page.locator("[data-test=compare-chart] svg path.series").count() == len(ids)
    shoot(page, "compare")


def test_experiments_page_lists_this_machine(experiment, page, shoot) -> None:
    page.goto(experiment.url + "#/experiments")
    page.wait_for_selector(f"[data-test=experiments-table] tr[data-exp='{experiment.id}']")
    assert "this server" in page.inner_text(f"tr[data-exp='{experiment.id}']")
    shoot(page, "experiments")


def test_live_update_without_reload(experiment, page) -> None:
    page.goto(experiment.url + "#/trials")
    page.wait_for_selector("[data-test=trials-table] tr[data-trial]")
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    victim = next(t.trial_job_id for t in experiment.trials() if t.status == "RUNNING")
    experiment.nnictl("trial", "kill", experiment.id, "--trial_id", victim)
    page.wait_for_selector(f"tr[data-trial='{victim}'] [data-status=USER_CANCELED]", timeout=30000)
    assert any("/webui/updates?since=" in u for u in requests)
    assert not any("/trial-jobs" in u or "/metric-data" in u for u in requests)  # never the whole experiment
    assert not any(u.endswith("/") and "api" not in u for u in requests)  # no page reload


def test_a_stopped_experiment_of_this_machine_opens_read_only(experiment, page, shoot, tmp_path) -> None:
    from nni.launcher import Registry
    from nni.testing.demo_store import fill_store

    folder = tmp_path / "oldexp01"
    written = fill_store(folder, experiment_id="oldexp01", trials=25, intermediates=4, running=0, waiting=0,
                         status="STOPPED", name="an older experiment")
    Registry(experiment.home / ".experiment").add("oldexp01", {
        "experimentName": "an older experiment", "status": "STOPPED", "platform": "local", "port": 8080,
        "startTime": 1_700_000_000, "endTime": 1_700_000_600, "logDir": str(folder), "pid": None})
    page.goto(experiment.url + "#/experiments")
    page.wait_for_selector("tr[data-exp=oldexp01]")
    shoot(page, "experiments-with-a-stopped-one")
    page.click("tr[data-exp=oldexp01] [data-test=open-readonly]")
    page.wait_for_selector("[data-test=best-metric]")
    assert page.inner_text("[data-test=experiment-id]") == "oldexp01"
    assert "read-only" in page.inner_text("#banner")
    page.click("#nav a[data-page=trials]")
    page.wait_for_function("document.querySelector('[data-test=table-info]')?.textContent === '25 trials'")
    assert "exp=oldexp01" in page.url
    first = page.locator("[data-test=trial-link]").first.inner_text()
    assert first in written["trials"]
    shoot(page, "other-experiment-trials")


def test_nnictl_view_after_stop_under_a_url_prefix(experiment, page, shoot) -> None:
    """Last in this module: stops the experiment, then serves it read-only with `nnictl view --url_prefix`."""
    experiment.nnictl("stop", experiment.id)
    trials = experiment.trials()
    port = free_port()
    experiment.nnictl("view", experiment.id, "--port", port, "--url_prefix", "nni/ui")
    try:
        url = f"http://127.0.0.1:{port}/nni/ui/"
        page.goto(url + "#/overview")
        page.wait_for_selector("[data-test=best-metric]")
        assert "read-only" in page.inner_text("#exp-title")
        assert page.locator("[data-test=concurrency-edit]").count() == 0
        page.goto(url + "#/trials")
        page.wait_for_function(f"document.querySelector('[data-test=table-info]')?.textContent === '{len(trials)} trials'")
        shoot(page, "view-after-stop")
    finally:
        experiment.nnictl("stop", experiment.id, check=False)
