"""The trial page and TensorBoard: a trial with event files offers to start one, then links to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.launcher import experiment_app
from nni.storage import open_reader
from nni.tensorboard import TensorboardTasks
from nni.testing import experiment_config, port_free, store_with_trials

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_trial_page_starts_and_links_to_tensorboard(request, tmp_path: Path, page, shoot) -> None:
    config = experiment_config(searchSpace={"x": {"_type": "uniform", "_value": [0, 1]}})
    store_with_trials(tmp_path, "tbexp123", config, {}, [("withtb", {"x": 0.1}), ("notb1", {"x": 0.2})]).close()
    events = tmp_path / "trials" / "withtb" / "tensorboard"
    events.mkdir()
    (events / "events.out.tfevents.1700000000.host.1.0").write_bytes(b"")
    server_cls = request.getfixturevalue("in_process_server")
    tasks = TensorboardTasks(tmp_path)
    with server_cls(experiment_app(experiment_dir=tmp_path, store_reader=open_reader(tmp_path), control=None)) as srv:
        try:
            page.goto(srv.url + "#/trial/notb1")
            page.wait_for_selector("[data-test=trial-detail] h1")
            assert page.locator("[data-test=tensorboard]").count() == 0  # no event files: nothing to offer

            page.goto(srv.url + "#/trial/withtb")
            page.click("[data-test=tensorboard-start]")
            link = page.wait_for_selector("[data-test=tensorboard-link]", timeout=60_000)
            [task] = tasks.list()
            assert task.trial_job_ids == ["withtb"]
            assert link.get_attribute("href") == f"http://127.0.0.1:{task.port}/"
            shoot(page, "trial-tensorboard-link")
        finally:
            stopped = tasks.stop_all()
    assert stopped and all(port_free(t.port) for t in stopped)
