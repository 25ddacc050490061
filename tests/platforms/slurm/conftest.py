from __future__ import annotations

import queue
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ._cluster import SlurmCluster, slurm_available


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    reason = slurm_available()
    if reason is not None:
        pytest.skip(f"no Slurm here: {reason}")
    # slurmctld runs as user 'slurm', which cannot enter pytest's private (0700) temp folders.
    root = Path(tempfile.mkdtemp(prefix="nni-slurm-"))
    root.chmod(0o755)
    cluster = SlurmCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


class EventLog:
    """A platform event sink that tests can wait on (no fixed sleeps)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        self._queue.put(event)

    def wait_for(self, predicate: Callable[[Any], bool], timeout: float = 60) -> Any:
        for event in self.events:
            if predicate(event):
                return event
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching event within {timeout} s; got {self.events}")
            try:
                event = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            self.events.append(event)
            if predicate(event):
                return event

    def drain(self) -> list[Any]:
        """Every event received so far, including those no wait_for has looked at yet."""
        while True:
            try:
                self.events.append(self._queue.get_nowait())
            except queue.Empty:
                return self.events

    def of(self, trial_id: str, kind: type) -> list[Any]:
        return [e for e in self.drain() if isinstance(e, kind) and e.trial_job_id == trial_id]


@pytest.fixture
def event_log() -> EventLog:
    return EventLog()


@pytest.fixture
def trial_code(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(
        "import os, sys, time\n"
        "import nni\n"
        "params = nni.get_next_parameter()\n"
        "print('gpus=' + os.environ.get('CUDA_VISIBLE_DEVICES', 'none'))\n"
        "print('platform=' + os.environ['NNI_PLATFORM'] + ' seq=' + os.environ['NNI_TRIAL_SEQ_ID'])\n"
        "for step in range(int(params.get('steps', 2))):\n"
        "    nni.report_intermediate_result(params['x'] * step)\n"
        "time.sleep(float(params.get('sleep', 0)))\n"
        "nni.report_final_result({'default': params['x'] * 10, 'extra': 1})\n"
        "sys.exit(int(params.get('exit', 0)))\n"
    )
    return code
