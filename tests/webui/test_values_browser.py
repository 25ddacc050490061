"""Parameter values as the tables show them: ``false`` (a choice of booleans, as in examples/sklearn_digits) and
``0`` are values, not empty cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.launcher import experiment_app
from nni.storage import NewMetric, open_reader, open_store

pytestmark = [pytest.mark.browser]

_CELLS = """([table, label]) => {
  const heads = [...document.querySelectorAll(`[data-test=${table}] thead th`)].map((th) => th.textContent.trim());
  const at = heads.findIndex((text) => text.startsWith(label));
  return [...document.querySelectorAll(`[data-test=${table}] tbody tr`)].map((tr) => tr.children[at].textContent);
}"""


def _boolean_store(folder: Path) -> None:
    store = open_store(folder)
    space = {"scale": {"_type": "choice", "_value": [True, False]}, "degree": {"_type": "choice", "_value": [0, 3]}}
    try:
        store.init_profile("boolexp1", "booleans", {"searchSpace": space, "tuner": {"name": "Random"}}, space,
                           {"trialConcurrency": 1}, status="DONE", start_time=1_700_000_000.0)
        for seq, (scale, degree) in enumerate([(False, 0), (True, 3), (False, 3)]):
            tid = f"bool{seq}"
            store.add_trial_event(tid, "CREATED", {"sequence_id": seq, "parameter_id": seq,
                                                   "parameters": {"scale": scale, "degree": degree}})
            store.add_trial_event(tid, "RUNNING", {"handle": {}})
            store.add_metrics([NewMetric(tid, seq, "FINAL", 0, 0.9 - seq / 10, 1_700_000_010.0, 10)])
            store.add_trial_event(tid, "EXITED", {"status": "SUCCEEDED", "exit_code": 0})
    finally:
        store.close()


def test_false_and_zero_are_shown_in_the_trials_and_top_tables(request, tmp_path: Path, page, shoot) -> None:
    _boolean_store(tmp_path)
    server_cls = request.getfixturevalue("in_process_server")
    with server_cls(experiment_app(experiment_dir=tmp_path, store_reader=open_reader(tmp_path), control=None)) as srv:
        page.goto(srv.url + "#/trials")
        page.wait_for_selector("[data-test=trials-table] tr[data-trial]")
        cells = page.evaluate("""() => {
          const heads = [...document.querySelectorAll('[data-test=trials-table] thead th')];
          const at = (col) => heads.findIndex((th) => th.dataset.col === col);
          return [...document.querySelectorAll('[data-test=trials-table] tbody tr[data-trial]')].map((tr) =>
            [tr.dataset.trial, tr.children[at('param:scale')].textContent, tr.children[at('param:degree')].textContent]);
        }""")
        assert sorted(cells) == [["bool0", "false", "0"], ["bool1", "true", "3"], ["bool2", "false", "3"]]
        shoot(page, "values-false-trials")

        page.goto(srv.url + "#/overview")
        page.wait_for_selector("[data-test=top-trials] tbody tr")
        assert page.evaluate(_CELLS, ["top-trials", "scale"]) == ["false", "true", "false"]
        assert page.evaluate(_CELLS, ["top-trials", "degree"]) == ["0", "3", "3"]
