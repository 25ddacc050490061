"""The experiments registry under concurrent writers (real processes), ids, URLs."""

from __future__ import annotations

import os
import subprocess
import sys

from nni.launcher import Registry, is_experiment_id, new_experiment_id, web_url

WRITER = """
import sys
from nni.launcher import Registry
reg = Registry()
for i in range(25):
    reg.add(f"{sys.argv[1]}{i:03d}", {"port": i, "status": "RUNNING"})
    reg.update(f"{sys.argv[1]}{i:03d}", status="DONE")
"""


def test_concurrent_processes_lose_no_entry(home) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, f"w{n}xxx"]) for n in range(6)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    entries = Registry().all()
    assert len(entries) == 150
    assert {e["status"] for e in entries.values()} == {"DONE"}


def test_registry_update_and_remove(home) -> None:
    reg = Registry()
    assert reg.update("missing1", status="DONE") is None
    reg.add("abcdefgh", {"port": 8080})
    assert reg.update("abcdefgh", status="STOPPED")["status"] == "STOPPED"
    assert reg.remove("abcdefgh") and not reg.remove("abcdefgh")
    reg.path.write_text("{not json")
    assert reg.all() == {}  # a damaged file reads as empty instead of breaking every command...
    (backup,) = reg.path.parent.glob(".experiment.damaged-*")  # ...and is kept aside, not overwritten
    assert backup.read_text() == "{not json"


def test_ids_and_urls() -> None:
    ids = {new_experiment_id() for _ in range(200)}
    assert len(ids) == 200 and all(is_experiment_id(i) for i in ids)
    assert not is_experiment_id("ABCDEFGH") and not is_experiment_id("abc")
    assert web_url(8080) == "http://127.0.0.1:8080"
    assert web_url(9000, "0.0.0.0", "/nni/", "tok") == "http://127.0.0.1:9000/nni/?token=tok"


def test_entries_locate_experiments_as_nni_3_does(tmp_path) -> None:
    from nni.launcher import entry_folder, entry_url
    from nni.launcher._registry import registry_fields

    folder = tmp_path / "abcd1234"
    (folder / "db").mkdir(parents=True)
    fields = registry_fields("abcd1234", folder, "http://127.0.0.1:8080/p", "/p/")
    assert fields == {"logDir": str(tmp_path), "prefixUrl": "p", "webuiUrl": ["http://127.0.0.1:8080/p"]}
    entry = {"id": "abcd1234", **fields}
    assert entry_folder(entry) == folder and entry_url(entry) == "http://127.0.0.1:8080/p"
    # entries written before NNI's layout: logDir the folder itself, webuiUrl one string
    old = {"id": "abcd1234", "logDir": str(folder), "webuiUrl": "http://127.0.0.1:8080"}
    assert entry_folder(old) == folder and entry_url(old) == "http://127.0.0.1:8080"
    # a copied folder not named after its experiment (nnictl view --experiment_dir) stays its own logDir
    copy = tmp_path / "my-copy"
    (copy / "db").mkdir(parents=True)
    entry = {"id": "abcd1234", **registry_fields("abcd1234", copy)}
    assert entry["logDir"] == str(copy) and entry_folder(entry) == copy
    assert entry_folder({"id": "x"}) is None and entry_url({"webuiUrl": []}) is None


def test_a_manager_pid_taken_by_another_process_counts_as_gone(home, nnictl, stored) -> None:
    """The registry records the manager's start time with its pid: an entry whose pid now belongs to some other
    process (pids are reused after a crash or a reboot) is a stopped experiment, and ``nnictl stop`` leaves
    that process alone."""
    from nni._os import process_start_time
    from nni.launcher import manager_alive

    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        reg = Registry()
        reg.add("view1234", {"logDir": str(stored.parent), "status": "RUNNING", "port": 8080})
        live = reg.update("view1234", pid=stranger.pid)
        assert live["pidStartTime"] == process_start_time(stranger.pid) is not None
        assert manager_alive(live)  # the recorded process itself: running
        # the start time of a process that started earlier (this test's own): the pid's process is another one
        reg.update("view1234", pidStartTime=process_start_time(os.getpid()))
        assert not manager_alive(reg.get("view1234"))
        assert nnictl("experiment", "list").stdout.count("view1234") == 0  # not among the running ones
        stop = nnictl("stop", "view1234", check=False)
        assert stop.returncode == 1 and "is not running" in stop.stderr
        assert stranger.poll() is None  # not signalled
        entry = Registry().get("view1234")
        assert entry["status"] == "DONE" and entry["pid"] is None and entry["pidStartTime"] is None  # as stored
    finally:
        stranger.kill()
        stranger.wait()
    assert not manager_alive({"pid": stranger.pid}) and not manager_alive(None)
