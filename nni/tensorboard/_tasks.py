"""TensorBoard processes of one experiment, kept in ``<experiment>/tensorboard/tasks.json``."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nni._os import process_alive, process_start_time
from nni.errors import NNIError
from nni.status import TensorboardStatus

__all__ = ["DEFAULT_PORT", "TensorboardError", "TensorboardTaskNotFound", "TensorboardTask", "TensorboardTasks",
           "TrialLogs", "has_event_files", "trial_logs"]

DEFAULT_PORT = 6006  # TensorBoard's and nnictl's; without a port asked for, the first free one from here
_PORT_RANGE = 100
_FOLDER = "tensorboard"
_STATE = "tasks.json"
_EVENT_FILES = "events.out.tfevents.*"
_START_TIMEOUT = 60.0
_STOP_GRACE = 5.0
_children: dict[int, subprocess.Popen[bytes]] = {}  # TensorBoards this process started (reaped when stopped)


class TensorboardError(NNIError):
    """A TensorBoard task cannot be started or changed; the message says why and what to do."""


class TensorboardTaskNotFound(TensorboardError, LookupError):
    """No TensorBoard task has that id."""


@dataclass(frozen=True)
class TrialLogs:
    """Where one trial's event files are: ``<trial folder>/tensorboard`` (``$NNI_OUTPUT_DIR/tensorboard``)."""

    trial_job_id: str
    sequence_id: int
    log_dir: Path

    @property
    def run_name(self) -> str:
        return f"{self.sequence_id}-{self.trial_job_id}"


@dataclass
class TensorboardTask:
    id: str
    status: str
    trial_job_ids: list[str]
    log_dirs: list[str]
    port: int
    host: str = "127.0.0.1"
    pid: int | None = None
    start_ticks: str | None = None
    log_file: str = ""
    started: float = field(default_factory=time.time)

    def url(self, host: str | None = None) -> str:
        shown = host or ("127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host)
        return f"http://{shown}:{self.port}/"

    def to_json(self) -> dict[str, Any]:
        """NNI's TensorboardTaskInfo (``port`` a string, as NNI sends it), plus ``url``."""
        return {"id": self.id, "status": self.status, "trialJobIdList": list(self.trial_job_ids),
                "trialLogDirectoryList": list(self.log_dirs), "pid": self.pid, "port": str(self.port),
                "url": self.url()}


def has_event_files(folder: Path) -> bool:
    """Whether ``folder`` (or a folder below it) holds TensorBoard event files."""
    return folder.is_dir() and next(folder.rglob(_EVENT_FILES), None) is not None


def trial_logs(reader: Any, experiment_dir: Path, trial_job_ids: Sequence[str] | None = None) -> list[TrialLogs]:
    """The log folders of the experiment's trials (all of them, or ``trial_job_ids``) from its store
    (``nni.storage.StoreReader``). A trial's folder is ``<experiment>/trials/<id>`` when it is there (local
    trials; remote trials, whose platform mirrors their ``tensorboard`` folder there), else the folder its
    platform reported (a Slurm ``sharedDirectory``)."""
    if trial_job_ids:
        records = []
        for trial_job_id in trial_job_ids:
            record = reader.trial(trial_job_id)
            if record is None:
                raise TensorboardError(f"experiment {experiment_dir.name} has no trial {trial_job_id!r}: "
                                       "give ids that nnictl trial ls lists")
            records.append(record)
    else:
        records = reader.trials()
    found = []
    for record in records:
        folder = Path(experiment_dir) / "trials" / record.trial_job_id
        reported = (record.handle or {}).get("trial_dir")
        if not folder.is_dir() and reported and Path(reported).is_dir():
            folder = Path(reported)
        found.append(TrialLogs(record.trial_job_id, record.sequence_id, folder / _FOLDER))
    return sorted(found, key=lambda t: t.sequence_id)


def _tensorboard_missing() -> str | None:
    if importlib.util.find_spec("tensorboard") is None:
        return (f"TensorBoard is not installed for {sys.executable}: install it with "
                "pip install \"nni[tensorboard]\" (or pip install tensorboard), then start it again")
    return None


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _answers(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        try:
            s.connect(("127.0.0.1" if host in ("0.0.0.0", "") else host, port))
        except OSError:
            return False
    return True


class TensorboardTasks:
    """The TensorBoard tasks of the experiment in ``experiment_dir`` (any process may hold one of these)."""

    def __init__(self, experiment_dir: str | os.PathLike[str]) -> None:
        self.experiment_dir = Path(experiment_dir)

    @property
    def folder(self) -> Path:
        return self.experiment_dir / _FOLDER

    # ---------------------------------------------------------------- state
    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[TensorboardTask]]:
        """The tasks, read under the lock and written back when the block ends without an error."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                tasks = self._read()
                yield tasks
                tmp = self.folder / f".{_STATE}.tmp"
                tmp.write_text(json.dumps([asdict(t) for t in tasks], indent=1), encoding="utf-8")
                os.replace(tmp, self.folder / _STATE)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> list[TensorboardTask]:
        path = self.folder / _STATE
        try:
            return [TensorboardTask(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]
        except FileNotFoundError:
            return []
        except (ValueError, TypeError) as exc:
            raise TensorboardError(f"{path} is damaged ({exc}); stop TensorBoard processes of experiment "
                                   f"{self.experiment_dir.name} by hand and delete the file") from None

    @staticmethod
    def _refresh(task: TensorboardTask) -> bool:
        """Mark a RUNNING task whose process is gone as ERROR; True when it changed."""
        if task.status == TensorboardStatus.RUNNING and not process_alive(task.pid, task.start_ticks):
            _reap(task.pid)
            task.status = TensorboardStatus.ERROR
            return True
        return False

    # ---------------------------------------------------------------- queries
    def list(self) -> list[TensorboardTask]:
        """Every task (a RUNNING one whose process died shows as ERROR); nothing is written when there are none."""
        if not (self.folder / _STATE).exists():
            return []
        tasks = self._read()
        if any([self._refresh(t) for t in tasks]):
            with self._locked() as stored:
                for task in stored:
                    self._refresh(task)
                tasks = list(stored)
        return tasks

    def get(self, task_id: str) -> TensorboardTask:
        for task in self.list():
            if task.id == task_id:
                return task
        raise TensorboardTaskNotFound(f"experiment {self.experiment_dir.name} has no TensorBoard task {task_id!r} "
                                      "(nnictl tensorboard start starts one; GET /tensorboard-tasks lists them)")

    def running(self) -> list[TensorboardTask]:
        return [t for t in self.list() if t.status == TensorboardStatus.RUNNING]

    # ---------------------------------------------------------------- start and stop
    def start(self, trials: Sequence[TrialLogs], *, port: int | None = None, host: str = "127.0.0.1",
              timeout: float = _START_TIMEOUT) -> TensorboardTask:
        """One TensorBoard over the trials that wrote event files; it serves when this returns."""
        missing = _tensorboard_missing()
        if missing:
            raise TensorboardError(missing)
        with_events = [t for t in trials if has_event_files(t.log_dir)]
        if not with_events:
            where = ", ".join(str(t.log_dir) for t in trials[:3]) + (" ..." if len(trials) > 3 else "")
            raise TensorboardError(
                f"no trial of experiment {self.experiment_dir.name} wrote TensorBoard event files "
                f"({len(trials)} trial(s) looked at: {where or 'none'}); a trial writes them under "
                "$NNI_OUTPUT_DIR/tensorboard, e.g. torch.utils.tensorboard.SummaryWriter("
                "os.path.join(os.environ['NNI_OUTPUT_DIR'], 'tensorboard'))")
        port = self._pick_port(host, port)
        task_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))
        self.folder.mkdir(parents=True, exist_ok=True)
        log_file = self.folder / f"{task_id}.log"
        spec = ",".join(f"{t.run_name}:{t.log_dir.resolve()}" for t in with_events)
        command = [sys.executable, "-m", "tensorboard.main", "--logdir_spec", spec, "--host", host,
                   "--port", str(port), "--reload_interval", "5"]
        with open(log_file, "ab") as log:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd=self.folder)
        _children[proc.pid] = proc
        task = TensorboardTask(task_id, TensorboardStatus.RUNNING, [t.trial_job_id for t in with_events],
                               [str(t.log_dir) for t in with_events], port, host, proc.pid,
                               process_start_time(proc.pid), str(log_file))
        self._wait_serving(task, proc, timeout)
        with self._locked() as tasks:
            tasks.append(task)
        return task

    def _pick_port(self, host: str, port: int | None) -> int:
        if port is not None:
            if not _port_free(host, port):
                raise TensorboardError(f"port {port} is in use on {host}: give another one (--port) or stop what "
                                       "serves there (nnictl tensorboard stop)")
            return port
        for candidate in range(DEFAULT_PORT, DEFAULT_PORT + _PORT_RANGE):
            if _port_free(host, candidate):
                return candidate
        raise TensorboardError(f"no free port in {DEFAULT_PORT}..{DEFAULT_PORT + _PORT_RANGE - 1} on {host}: "
                               "give one with --port")

    @staticmethod
    def _wait_serving(task: TensorboardTask, proc: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while not _answers(task.host, task.port):
            code = proc.poll()
            if code is not None or time.monotonic() > deadline:
                if code is None:
                    _terminate(proc.pid)
                _children.pop(proc.pid, None)
                tail = Path(task.log_file).read_text(errors="replace").strip().splitlines()[-3:]
                why = f"exited with code {code}" if code is not None else f"did not serve within {timeout:g}s"
                raise TensorboardError(f"TensorBoard on port {task.port} {why}: {' | '.join(tail) or 'no output'} "
                                       f"(full log: {task.log_file})")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def stop(self, task_id: str) -> TensorboardTask:
        """Stop the task's process (SIGTERM, SIGKILL after 5 s) and forget the task; it comes back STOPPED."""
        with self._locked() as tasks:
            task = next((t for t in tasks if t.id == task_id), None)
            if task is None:
                raise TensorboardTaskNotFound(f"experiment {self.experiment_dir.name} has no TensorBoard task "
                                              f"{task_id!r} (GET /tensorboard-tasks lists them)")
            self._stop_process(task)
            tasks.remove(task)
        return task

    def stop_all(self) -> list[TensorboardTask]:
        """Stop every task (the experiment's manager does this when it ends)."""
        if not (self.folder / _STATE).exists():
            return []
        with self._locked() as tasks:
            stopped = list(tasks)
            for task in stopped:
                self._stop_process(task)
            tasks.clear()
        return stopped

    @staticmethod
    def _stop_process(task: TensorboardTask) -> None:
        if task.status == TensorboardStatus.RUNNING and process_alive(task.pid, task.start_ticks):
            task.status = TensorboardStatus.STOPPING
            _terminate(task.pid)
        _reap(task.pid)
        task.status = TensorboardStatus.STOPPED if task.status != TensorboardStatus.ERROR else task.status


def _terminate(pid: int | None) -> None:
    """SIGTERM to the process group of ``pid``, SIGKILL when it has not ended after the grace time."""
    if pid is None:
        return
    for sig, wait in ((signal.SIGTERM, _STOP_GRACE), (signal.SIGKILL, _STOP_GRACE)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        child = _children.get(pid)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if child is not None:
                try:
                    child.wait(timeout=max(0.0, deadline - time.monotonic()))
                    return
                except subprocess.TimeoutExpired:
                    break
            if not process_alive(pid):
                return
            time.sleep(0.05)


def _reap(pid: int | None) -> None:
    child = _children.pop(pid, None) if pid is not None else None
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=_STOP_GRACE)
