"""The experiment store: profile, events -> derived trial state, metrics, revisions, export, readers."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import pytest

from nni.errors import NNIError
from nni.storage import (
    NewMetric,
    export_data,
    export_rows,
    open_reader,
    open_store,
    write_csv,
)


def _store(tmp_path: Path):
    store = open_store(tmp_path)
    store.init_profile(
        "abcd1234", "exp", {"trialCommand": "python t.py",
                            "trainingService": {"platform": "remote",
                                                "machineList": [{"host": "h", "password": "hunter2"}]}},
        {"x": {"_type": "uniform", "_value": [0, 1]}},
        {"trialConcurrency": 2, "maxTrialNumber": 10},
    )
    return store


def _metric(trial: str, kind: str, seq: int, value, offset: int) -> NewMetric:
    return NewMetric(trial, 0, kind, seq, value, 1.0 + seq, offset)


def test_profile_redacts_secrets_and_updates(tmp_path: Path) -> None:
    store = _store(tmp_path)
    profile = store.profile()
    assert profile is not None
    assert profile.config["trainingService"]["machineList"][0]["password"] == "***"
    assert "hunter2" not in (tmp_path / "db" / "nni.sqlite").read_bytes().decode("latin-1")
    store.update_limits(trialConcurrency=5)
    store.set_status("ERROR", error="boom", traceback="tb")
    profile = store.profile()
    assert profile.limits == {"trialConcurrency": 5, "maxTrialNumber": 10}
    assert (profile.status, profile.error, profile.traceback) == ("ERROR", "boom", "tb")
    store.close()


def test_trial_state_derives_from_events(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.add_trial_event("aaaaa", "CREATED", {"sequence_id": 0, "parameter_id": 0, "parameters": {"x": 0.5},
                                              "parameter_source": "algorithm"}, timestamp=10.0)
    store.add_trial_event("aaaaa", "WAITING", {"reason": "no free GPU"})
    assert store.trial("aaaaa").reason == "no free GPU"
    store.add_trial_event("aaaaa", "RUNNING", {"handle": {"pid": 1}}, timestamp=11.0)
    store.add_metrics([_metric("aaaaa", "PERIODICAL", 0, 0.1, 50), _metric("aaaaa", "PERIODICAL", 1, 0.2, 100),
                       _metric("aaaaa", "FINAL", 0, {"default": 0.3, "loss": 2}, 160)])
    store.add_trial_event("aaaaa", "EXITED", {"status": "SUCCEEDED", "exit_code": 0}, timestamp=12.0)
    store.add_trial_event("aaaaa", "RUNNING", {"handle": {"pid": 2}})  # ignored: finished trials stay finished
    t = store.trial("aaaaa")
    assert (t.status, t.start_time, t.end_time, t.exit_code, t.handle) == ("SUCCEEDED", 11.0, 12.0, 0, {"pid": 1})
    assert t.final_metric == {"default": 0.3, "loss": 2}
    assert t.metrics_offset == 160
    derived = store.derive_trials()["aaaaa"]
    for field in ("status", "start_time", "end_time", "final_metric", "metrics_offset", "handle", "parameters"):
        assert getattr(derived, field) == getattr(t, field)
    assert [e.event for e in store.trial_events("aaaaa")] == ["CREATED", "WAITING", "RUNNING", "EXITED", "RUNNING"]
    with pytest.raises(NNIError, match="exists already"):
        store.add_trial_event("aaaaa", "CREATED", {"sequence_id": 1, "parameter_id": 1, "parameters": {}})
    store.close()


def test_metrics_once_and_since_revision(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.add_trial_event("bbbbb", "CREATED", {"sequence_id": 0, "parameter_id": 0, "parameters": {}})
    added = store.add_metrics([_metric("bbbbb", "PERIODICAL", 0, 1, 10)])
    assert len(added) == 1
    rev = store.revision()
    again = store.add_metrics([_metric("bbbbb", "PERIODICAL", 0, 1, 10), _metric("bbbbb", "PERIODICAL", 1, 2, 20)])
    assert [m.sequence for m in again] == [1]  # the duplicate is not stored twice
    assert [m.value for m in store.metrics("bbbbb")] == [1, 2]
    assert [m.value for m in store.metrics(since_revision=rev)] == [2]
    assert [t.trial_job_id for t in store.trials(since_revision=rev)] == ["bbbbb"]
    assert store.trials(since_revision=store.revision()) == []
    assert store.intermediate_history("bbbbb") == [1, 2]
    assert [m.value for m in store.latest_metrics()] == [2]
    store.close()


def test_paging_status_filter_and_counts(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.transaction():
        for i in range(10):
            store.add_trial_event(f"t{i:04d}", "CREATED", {"sequence_id": i, "parameter_id": i, "parameters": {}})
            if i % 2:
                store.add_trial_event(f"t{i:04d}", "EXITED", {"status": "FAILED", "exit_code": 1})
    assert [t.sequence_id for t in store.trials(offset=3, limit=4)] == [3, 4, 5, 6]
    assert store.trial_count("FAILED") == 5
    assert store.status_counts() == {"WAITING": 5, "FAILED": 5}
    assert [t.sequence_id for t in store.trials(status=["FAILED"], limit=2)] == [1, 3]
    store.close()


def test_second_writer_is_refused_and_reader_sees_writes(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(NNIError, match="already open for writing"):
        open_store(tmp_path)
    reader = open_reader(tmp_path)
    store.add_trial_event("ccccc", "CREATED", {"sequence_id": 0, "parameter_id": 0, "parameters": {"a": 1}})
    assert reader.trial("ccccc").parameters == {"a": 1}
    reader.close()
    store.close()
    open_store(tmp_path).close()  # released on close


def test_rollback_keeps_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(RuntimeError), store.transaction():
        store.add_trial_event("ddddd", "CREATED", {"sequence_id": 0, "parameter_id": 0, "parameters": {}})
        raise RuntimeError("crash")
    assert store.trial("ddddd") is None
    store.close()


def _read_in_child(path: str, queue) -> None:  # type: ignore[no-untyped-def]
    reader = open_reader(path)
    queue.put([t.trial_job_id for t in reader.trials()])


def test_copied_folder_reads_and_exports(tmp_path: Path) -> None:
    store = _store(tmp_path / "exp")
    store.add_trial_event("eeeee", "CREATED", {"sequence_id": 0, "parameter_id": 0,
                                              "parameters": {"opt": {"_name": "sgd", "lr": 0.1}}})
    store.add_metrics([_metric("eeeee", "FINAL", 0, {"default": 0.9, "acc": 0.9}, 10)])
    store.add_trial_event("eeeee", "EXITED", {"status": "SUCCEEDED", "exit_code": 0})
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_read_in_child, args=(str(tmp_path / "exp"), queue))
    proc.start()
    assert queue.get(timeout=30) == ["eeeee"]  # another process reads while the writer is open
    proc.join()
    store.close()
    shutil.copytree(tmp_path / "exp", tmp_path / "copy")
    reader = open_reader(tmp_path / "copy")
    assert export_data(reader) == [{"parameter": {"opt": {"_name": "sgd", "lr": 0.1}},
                                    "value": {"default": 0.9, "acc": 0.9}, "trialJobId": "eeeee"}]
    rows = export_rows(reader, intermediate=True)
    assert rows[0]["status"] == "SUCCEEDED" and rows[0]["intermediate"] == []
    text = write_csv(reader, tmp_path / "out.csv")
    assert text.splitlines()[0] == "trialJobId,sequenceId,status,opt/_name,opt/lr,default,acc"
    assert text.splitlines()[1] == "eeeee,0,SUCCEEDED,sgd,0.1,0.9,0.9"
    assert (tmp_path / "out.csv").read_text() == text
    reader.close()


def test_reader_on_missing_store_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(NNIError, match="no experiment store"):
        open_reader(tmp_path)


def test_raw_values_are_the_stored_json(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.add_trial_event("fffff", "CREATED", {"sequence_id": 0, "parameter_id": 0, "parameters": {}})
    store.add_metrics([_metric("fffff", "FINAL", 0, {"default": 0.5, "acc": [1, 2]}, 30)])
    (row,) = store.metrics(raw_values=True)
    assert row.value == '{"default":0.5,"acc":[1,2]}'
    assert store.latest_metrics(raw_values=True)[0].value == row.value
    assert store.latest_metrics()[0].value == {"default": 0.5, "acc": [1, 2]}
    store.close()


def test_full_sync_mode_and_bad_mode(tmp_path: Path) -> None:
    store = open_store(tmp_path / "full", synchronous="FULL")
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()
    with pytest.raises(ValueError, match="NORMAL' or 'FULL'"):
        open_store(tmp_path / "bad", synchronous="OFF")
    open_store(tmp_path / "bad").close()  # the failed open released its lock


def test_read_model_queries_for_rest_and_the_web_ui(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with open_reader(tmp_path) as reader:
        assert reader.next_sequence_id() == 0
        first = reader.trial_changes(intermediate=True)
        assert first.trials == [] and first.intermediate == {}
        for seq, tid in enumerate(["aaaaa", "bbbbb", "ccccc"]):
            store.add_trial_event(tid, "CREATED", {"sequence_id": seq, "parameter_id": seq, "parameters": {"x": seq}})
        store.add_metrics([_metric("aaaaa", "PERIODICAL", s, {"default": s / 10}, 10 + s) for s in range(3)]
                          + [_metric("bbbbb", "PERIODICAL", 0, 0.5, 10), _metric("bbbbb", "FINAL", 0, 0.7, 20)])
        store.add_trial_event("bbbbb", "RUNNING", {"handle": {}})
        store.add_trial_event("bbbbb", "EXITED", {"status": "SUCCEEDED", "exit_code": 0})
        assert reader.next_sequence_id() == 3
        # everything the first time; only what changed since the revision it returned afterwards
        every = reader.trial_changes(first.revision, intermediate=True)
        assert [t.trial_job_id for t in every.trials] == ["aaaaa", "bbbbb", "ccccc"]
        assert every.intermediate == {"aaaaa": (3, {"default": 0.2})}  # bbbbb ended with a final result
        store.add_metrics([_metric("ccccc", "PERIODICAL", 0, 0.1, 10)])
        later = reader.trial_changes(every.revision, intermediate=True)
        assert [t.trial_job_id for t in later.trials] == ["ccccc"] and later.intermediate == {"ccccc": (1, 0.1)}
        assert reader.trial_changes(later.revision).trials == []
        assert reader.intermediate_stats(["aaaaa", "bbbbb", "nope"]) == {"aaaaa": (3, {"default": 0.2}),
                                                                          "bbbbb": (1, 0.5)}
        grouped = reader.intermediate_results(["bbbbb", "aaaaa", "nope"])
        assert {k: [m.sequence for m in v] for k, v in grouped.items()} == {"bbbbb": [0], "aaaaa": [0, 1, 2],
                                                                            "nope": []}
        pages = list(reader.metric_pages(page=2))
        assert [len(p) for p in pages] == [2, 2, 2]
        assert [m.id for p in pages for m in p] == [m.id for m in reader.metrics()]
        assert [[m.sequence for m in p] for p in reader.metric_pages("aaaaa", page=5)] == [[0, 1, 2]]
    store.close()
