"""nni.tensorboard without a TensorBoard process: which folders a task reads, and its one-line refusals."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from nni.storage import StoreReader
from nni.tensorboard import (
    TensorboardError,
    TensorboardTaskNotFound,
    TensorboardTasks,
    _tasks,
    has_event_files,
    trial_logs,
)
from nni.testing import experiment_config, store_with_trials


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    folder = tmp_path / "exp12345"
    config = experiment_config(searchSpace={"x": {"_type": "uniform", "_value": [0, 1]}})
    store = store_with_trials(folder, "exp12345", config, {}, [("aaaaa", {"x": 0.1}), ("bbbbb", {"x": 0.2})])
    store.close()
    return folder


def test_trial_logs_are_the_trials_tensorboard_folders(experiment: Path) -> None:
    with StoreReader(experiment) as reader:
        logs = trial_logs(reader, experiment)
        assert [(t.run_name, t.log_dir) for t in logs] == [
            ("0-aaaaa", experiment / "trials" / "aaaaa" / "tensorboard"),
            ("1-bbbbb", experiment / "trials" / "bbbbb" / "tensorboard")]
        assert [t.trial_job_id for t in trial_logs(reader, experiment, ["bbbbb"])] == ["bbbbb"]
        with pytest.raises(TensorboardError, match="has no trial 'zzzzz'"):
            trial_logs(reader, experiment, ["zzzzz"])


def test_no_event_files_is_one_clear_error_and_starts_nothing(experiment: Path) -> None:
    (experiment / "trials" / "aaaaa" / "tensorboard").mkdir()
    (experiment / "trials" / "aaaaa" / "tensorboard" / "notes.txt").write_text("not an event file")
    with StoreReader(experiment) as reader:
        logs = trial_logs(reader, experiment)
    assert not has_event_files(logs[0].log_dir)
    with pytest.raises(TensorboardError) as caught:
        TensorboardTasks(experiment).start(logs)
    message = str(caught.value)
    assert "\n" not in message and "no trial of experiment exp12345 wrote TensorBoard event files" in message
    assert "$NNI_OUTPUT_DIR/tensorboard" in message
    assert TensorboardTasks(experiment).list() == []


def test_a_missing_tensorboard_package_says_how_to_install_it(experiment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tasks.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(TensorboardError, match=r'pip install "nni\[tensorboard\]"'):
        TensorboardTasks(experiment).start([])


def test_a_busy_port_is_refused_before_anything_starts(experiment: Path) -> None:
    (experiment / "trials" / "aaaaa" / "tensorboard").mkdir()
    (experiment / "trials" / "aaaaa" / "tensorboard" / "events.out.tfevents.1.host").write_bytes(b"")
    with StoreReader(experiment) as reader:
        logs = trial_logs(reader, experiment)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(TensorboardError, match=f"port {port} is in use"):
            TensorboardTasks(experiment).start(logs, port=port)
    with pytest.raises(TensorboardTaskNotFound):
        TensorboardTasks(experiment).stop("nosuch")
