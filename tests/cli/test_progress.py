"""The foreground progress display reads the store: counts, best metric by optimize_mode, done/max."""

from __future__ import annotations

import io

from rich.console import Console

from nni.cli._progress import ForegroundProgress
from nni.storage import ExperimentStore, NewMetric, StoreReader


def _store(folder, mode: str) -> None:
    store = ExperimentStore(folder)
    config = {"tuner": {"name": "TPE", "classArgs": {"optimize_mode": mode}}}
    store.init_profile("prog0001", "p", config, {}, {"maxTrialNumber": 10, "trialConcurrency": 2}, status="RUNNING")
    for seq, (tid, value) in enumerate((("aaaaa", 0.3), ("bbbbb", {"default": 0.1, "f1": 2}), ("ccccc", None))):
        store.add_trial_event(tid, "CREATED", {"sequence_id": seq, "parameter_id": seq, "parameters": {}})
        store.add_trial_event(tid, "RUNNING", {"handle": {}})
        if value is not None:
            store.add_metrics([NewMetric(tid, seq, "FINAL", 0, value, 1.0, 10)])
            store.add_trial_event(tid, "EXITED", {"status": "SUCCEEDED", "exit_code": 0})
    store.close()


def test_best_metric_follows_optimize_mode(tmp_path) -> None:
    for mode, best, trial in (("maximize", 0.3, "aaaaa"), ("minimize", 0.1, "bbbbb")):
        folder = tmp_path / mode
        _store(folder, mode)
        progress = ForegroundProgress("http://127.0.0.1:1")
        progress.console = Console(file=io.StringIO(), width=120)
        progress._live.console = progress.console
        with StoreReader(folder) as reader:
            progress.tick(reader)
            progress.tick(reader)  # incremental: the same metrics are not counted twice
        progress.finish()
        assert (progress.best, progress.best_trial) == (best, trial)
        assert progress.counts == {"SUCCEEDED": 2, "RUNNING": 1} and progress.max_trials == 10
        out = progress.console.file.getvalue()
        assert "prog0001" in out and "2/10 trials done" in out and "running 1" in out
