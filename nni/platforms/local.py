"""NNI's ``local`` training service: each trial is a process group on this machine.

Trial folder ``<experiment_dir>/trials/<trial_id>/``: ``parameter.cfg``, ``stdout``, ``stderr``,
``trial.log`` (what the platform did: command, pid, GPUs, exit code, kills) and ``.nni/`` (``metrics``,
written by the trial; ``handle.json`` and ``exitcode``, written for re-attaching after a manager restart).

The trial command runs under ``/bin/sh -c`` in its own session (process group), in the trial code
folder, with NNI's environment variables. One monitor thread follows every trial without polling: it
sleeps in ``poll()`` on the OS seam's folder watch (metrics folders) and one exit waiter per process
(``nni._os``: the Linux fast path there, psutil and watchdog elsewhere), and wakes at once on either. Kill: SIGTERM to the group, SIGKILL after ``kill_grace`` seconds; when a
trial's main process ends, whatever it left in its group is killed too, so nothing outlives a trial.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nni._os import ExitWaiter, FolderWatch, os_seam, process_alive, process_start_time, signal_group
from nni.runtime import trial_channel
from nni.status import TrialStatus

from ._common import read_metric_events, trial_environment, trial_file_path
from ._gpu import FixedGpus, GpuInventory, GpuScheduler, NvmlInventory, parse_gpu_indices
from .base import EventSink, Platform, TrialExited, TrialJob, TrialStarted, TrialWaiting

__all__ = ["LocalPlatform", "FixedGpus", "GpuInventory", "NvmlInventory"]

_log = logging.getLogger(__name__)
_FALLBACK_POLL = 0.2  # seconds, only where a metrics folder cannot be watched
_GPU_RECHECK = 2.0  # seconds between looks at busy GPUs while a trial waits for one
_EXIT_SCRIPT = '\n__nni_code=$?\necho "$__nni_code" > "$NNI_SYS_DIR/.nni/exitcode"\nexit "$__nni_code"\n'


def _alive(pid: int | None, ticks: str | None) -> bool:
    """Whether the process of a handle (pid and start time) still runs."""
    return ticks is not None and process_alive(pid, ticks)


@dataclass(eq=False)
class _Trial:
    job: TrialJob
    dir: Path
    gpus: list[int] | None = None
    proc: subprocess.Popen[bytes] | None = None
    pid: int | None = None
    ticks: str | None = None
    exit_waiter: ExitWaiter | None = None
    wd: int | None = None  # the folder watch's token
    offset: int = 0
    kill_status: str | None = None
    kill_reason: str = ""
    sigkill_at: float | None = None
    deadline: float | None = None  # job.max_duration
    exit_code_hint: int | None = None  # a re-attached trial that had ended while nobody watched
    gone: bool = False  # ended: reap it
    lock: threading.Lock = field(default_factory=threading.Lock)


class LocalPlatform(Platform):
    """Runs trials as local processes. ``gpu_inventory`` defaults to NVML; give ``FixedGpus`` in tests."""

    name = "local"

    @classmethod
    def from_config(cls, config: Any, context: Any) -> LocalPlatform:
        return cls(context.experiment_dir, context.experiment_id, gpu_indices=config.gpu_indices,
                   max_trial_number_per_gpu=int(config.max_trial_number_per_gpu or 1),
                   use_active_gpu=bool(config.use_active_gpu), gpu_inventory=context.gpu_inventory)

    def __init__(self, experiment_dir: str | os.PathLike[str], experiment_id: str, *,
                 gpu_indices: Any = None, max_trial_number_per_gpu: int = 1, use_active_gpu: bool = False,
                 gpu_inventory: GpuInventory | None = None, kill_grace: float = 5.0) -> None:
        self.experiment_dir = Path(experiment_dir)
        self.experiment_id = experiment_id
        self.kill_grace = kill_grace
        self.gpus = GpuScheduler(gpu_inventory or NvmlInventory(), gpu_indices=parse_gpu_indices(gpu_indices),
                                 max_trial_number_per_gpu=max_trial_number_per_gpu, use_active_gpu=use_active_gpu)
        self._trials: dict[str, _Trial] = {}
        self._waiting: deque[_Trial] = deque()
        self._lock = threading.RLock()
        self._sink: EventSink | None = None
        self._watch: FolderWatch | None = None
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._fresh: set[str] = set()  # trials to read at once (just started or re-attached)
        self._nni_root = str(Path(trial_channel.__file__).resolve().parents[2])

    # ================================================================ Platform
    def start(self, sink: EventSink) -> None:
        self._sink = sink
        (self.experiment_dir / "trials").mkdir(parents=True, exist_ok=True)
        try:
            self._watch = os_seam().folder_watch()
        except OSError as exc:
            _log.warning("cannot watch folders (%s): reading metrics every %.1fs instead", exc, _FALLBACK_POLL)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._monitor, name="nni-local-monitor", daemon=True)
        self._thread.start()

    def trial_dir(self, trial_job_id: str) -> str | None:
        return str(self.experiment_dir / "trials" / trial_job_id)

    def submit(self, job: TrialJob) -> None:
        if self._stopping:
            raise RuntimeError("the local platform is stopped; it takes no more trials")
        trial = _Trial(job, self.experiment_dir / "trials" / job.trial_job_id)
        with self._lock:
            self._trials[job.trial_job_id] = trial
            if job.gpu_number > 0:
                impossible = self.gpus.impossible(job.gpu_number)
                if impossible:
                    del self._trials[job.trial_job_id]
                    self._prepare_dir(trial)
                    self._trial_log(trial, f"cannot run: {impossible}")
                    self._emit(TrialExited(job.trial_job_id, time.time(), TrialStatus.FAILED, None, impossible))
                    return
                indices, reason = self.gpus.try_assign(job.trial_job_id, job.gpu_number)
                if indices is None:
                    self._waiting.append(trial)
                    self._emit(TrialWaiting(job.trial_job_id, reason))
                    self._wake()
                    return
                trial.gpus = indices
            self._launch(trial)

    def kill(self, trial_job_id: str, status: str = TrialStatus.USER_CANCELED) -> None:
        with self._lock:
            trial = self._trials.get(trial_job_id)
            if trial is None or trial.gone:
                return
            if trial in self._waiting:
                self._waiting.remove(trial)
                del self._trials[trial_job_id]
                self.gpus.release(trial_job_id)
                self._emit(TrialExited(trial_job_id, time.time(), status, None, "killed before it started"))
                return
            if trial.kill_status is None:
                trial.kill_status = status
                trial.kill_reason = "killed"
            self._trial_log(trial, f"kill ({status}): SIGTERM to process group {trial.pid}")
            signal_group(trial.pid, signal.SIGTERM)
            trial.sigkill_at = time.monotonic() + self.kill_grace
        self._wake()

    def reattach(self, job: TrialJob, handle: dict[str, Any]) -> bool:
        trial = _Trial(job, self.experiment_dir / "trials" / job.trial_job_id, offset=job.metrics_offset)
        handle = dict(handle) or self._handle_file(trial)
        pid, ticks = handle.get("pid"), handle.get("start_ticks")
        with self._lock:
            if _alive(pid, ticks):
                trial.pid, trial.ticks, trial.gpus = int(pid), str(ticks), handle.get("gpus")  # type: ignore[arg-type]
                self.gpus.take(job.trial_job_id, trial.gpus or [])
                trial.exit_waiter = os_seam().exit_waiter(trial.pid, trial.ticks)
                if job.max_duration and handle.get("started"):
                    trial.deadline = time.monotonic() + job.max_duration - (time.time() - handle["started"])
                self._trial_log(trial, f"re-attached to pid {trial.pid}")
                self._register(trial)
                return True
            code = self._exit_record(trial)
            if code is None:
                return False
            trial.exit_code_hint = code
            trial.gone = True
            self._trial_log(trial, f"re-attached after its end (exit code {code})")
            self._register(trial)
            return True

    def read_file(self, trial_job_id: str, name: str) -> bytes:
        return trial_file_path(self.experiment_dir / "trials" / trial_job_id, trial_job_id, name).read_bytes()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            waiting = list(self._waiting)
        for trial in waiting:
            self.kill(trial.job.trial_job_id, TrialStatus.USER_CANCELED)
        for trial_id in list(self._trials):
            self.kill(trial_id, TrialStatus.USER_CANCELED)
        deadline = time.monotonic() + self.kill_grace + 5.0
        while time.monotonic() < deadline:
            with self._lock:
                if not self._trials:
                    break
            time.sleep(0.02)
        with self._lock:
            for trial in self._trials.values():  # did not die in time: no mercy
                signal_group(trial.pid, signal.SIGKILL)
        self._wake(stop=True)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._watch is not None:
            self._watch.close()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1

    # ================================================================ launching
    def _emit(self, event: Any) -> None:
        assert self._sink is not None
        self._sink(event)

    def _wake(self, stop: bool = False) -> None:
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"s" if stop else b"w")
            except (BlockingIOError, OSError):
                pass

    def _trial_log(self, trial: _Trial, line: str) -> None:
        try:
            with open(trial.dir / "trial.log", "a", encoding="utf-8") as f:
                f.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {line}\n")
        except OSError:
            pass

    def _handle_file(self, trial: _Trial) -> dict[str, Any]:
        try:
            return json.loads((trial.dir / ".nni" / "handle.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _exit_record(self, trial: _Trial) -> int | None:
        try:
            return int((trial.dir / ".nni" / "exitcode").read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None

    def _prepare_dir(self, trial: _Trial) -> None:
        nni_dir = trial.dir / ".nni"
        if not trial.dir.exists():  # a new trial (the usual case): nothing of an earlier run to clear
            nni_dir.mkdir(parents=True)
            return
        old = self._handle_file(trial)
        if old and _alive(old.get("pid"), old.get("start_ticks")):
            _log.warning("trial %s: a process of an earlier run (pid %s) still runs; killing it",
                         trial.job.trial_job_id, old["pid"])
            signal_group(int(old["pid"]), signal.SIGKILL)
        nni_dir.mkdir(parents=True, exist_ok=True)
        for name in ("metrics", "exitcode", "handle.json"):
            (nni_dir / name).unlink(missing_ok=True)

    def _env(self, trial: _Trial) -> dict[str, str]:
        base = dict(os.environ)
        path = base.get("PYTHONPATH")
        base["PYTHONPATH"] = f"{path}{os.pathsep}{self._nni_root}" if path else self._nni_root
        return trial_environment(trial.job, platform=self.name, experiment_id=self.experiment_id,
                                 trial_dir=trial.dir, code_dir=Path(trial.job.code_dir).resolve(),
                                 gpus=trial.gpus, base=base)

    def _launch(self, trial: _Trial) -> None:
        """Start the trial's process (lock held)."""
        job = trial.job
        self._prepare_dir(trial)
        trial_channel.write_parameter_file(trial.dir, job.parameter_id, job.parameters, job.parameter_source)
        code_dir = Path(job.code_dir).resolve()
        gpus = f", CUDA_VISIBLE_DEVICES={','.join(map(str, trial.gpus))}" if trial.gpus is not None else ""
        try:
            with open(trial.dir / "stdout", "ab") as out, open(trial.dir / "stderr", "ab") as err:
                trial.proc = subprocess.Popen(
                    ["/bin/sh", "-c", job.command + _EXIT_SCRIPT], cwd=code_dir, env=self._env(trial),
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True, close_fds=True,
                )
        except OSError as exc:
            self.gpus.release(job.trial_job_id)
            self._trials.pop(job.trial_job_id, None)
            reason = f"cannot start the trial command {job.command!r} in {code_dir}: {exc}"
            self._trial_log(trial, reason)
            self._emit(TrialExited(job.trial_job_id, time.time(), TrialStatus.FAILED, None, reason))
            return
        trial.pid = trial.proc.pid
        trial.ticks = process_start_time(trial.pid)
        started = time.time()
        handle = {"pid": trial.pid, "start_ticks": trial.ticks, "started": started, "gpus": trial.gpus,
                  "trial_dir": str(trial.dir)}
        (trial.dir / ".nni" / "handle.json").write_text(json.dumps(handle), encoding="utf-8")
        if job.max_duration:
            trial.deadline = time.monotonic() + job.max_duration
        trial.exit_waiter = os_seam().exit_waiter(trial.proc)
        self._trial_log(trial, f"started pid {trial.pid} in {code_dir}{gpus}: {job.command}")
        self._emit(TrialStarted(job.trial_job_id, started, handle))
        self._register(trial)

    def _register(self, trial: _Trial) -> None:
        """Follow a started trial from the monitor thread (lock held)."""
        self._trials[trial.job.trial_job_id] = trial
        if self._watch is not None:
            try:
                trial.wd = self._watch.add(str(trial.dir / ".nni"))
            except OSError as exc:
                _log.warning("trial %s: cannot watch its metrics (%s); polling it", trial.job.trial_job_id, exc)
        self._fresh.add(trial.job.trial_job_id)
        self._wake()

    def _start_waiting(self) -> None:
        """Start the trials waiting for GPUs that can run now (lock held)."""
        for trial in list(self._waiting):
            indices, reason = self.gpus.try_assign(trial.job.trial_job_id, trial.job.gpu_number)
            if indices is None:
                return  # first come, first served
            self._waiting.remove(trial)
            trial.gpus = indices
            self._launch(trial)

    # ================================================================ the monitor thread
    def _monitor(self) -> None:
        last_gpu_check = time.monotonic()
        while True:
            with self._lock:
                fds = {self._wake_r: None}
                if self._watch is not None:
                    fds[self._watch.fileno()] = None
                blind = False
                for trial in self._trials.values():
                    if trial.pid is None and not trial.gone:
                        continue  # waiting for a GPU: nothing runs yet
                    if trial.exit_waiter is not None and not trial.gone:
                        fds[trial.exit_waiter.fileno()] = trial.job.trial_job_id
                    if trial.wd is None:
                        blind = True
                timeout = self._timeout(blind, last_gpu_check)
                fresh = bool(self._fresh) or any(t.gone for t in self._trials.values())
            poller = select.poll()
            for fd in fds:
                poller.register(fd, select.POLLIN)
            ready = poller.poll(0 if fresh else (None if timeout is None else int(timeout * 1000) + 1))
            stop = False
            read_ids: set[str] = set()
            for fd, _ev in ready:
                if fd == self._wake_r:
                    try:
                        stop = b"s" in os.read(self._wake_r, 4096)
                    except BlockingIOError:
                        pass
                elif self._watch is not None and fd == self._watch.fileno():
                    wds = self._watch.read()
                    with self._lock:
                        read_ids |= {t.job.trial_job_id for t in self._trials.values() if t.wd in wds}
                elif fds.get(fd):
                    with self._lock:
                        trial = self._trials.get(fds[fd])  # type: ignore[arg-type]
                        if trial is not None:
                            trial.gone = True
            with self._lock:
                read_ids |= self._fresh
                self._fresh.clear()
                trials = [t for t in self._trials.values() if t.pid is not None or t.gone]
                if blind:
                    read_ids |= {t.job.trial_job_id for t in trials}
            for trial in trials:
                if trial.job.trial_job_id in read_ids or trial.gone:
                    self._read_metrics(trial)
                if trial.gone:
                    self._reap(trial)
            self._timers()
            if time.monotonic() - last_gpu_check >= _GPU_RECHECK:
                last_gpu_check = time.monotonic()
                with self._lock:
                    if self._waiting and not self._stopping:
                        self._start_waiting()
            if stop:
                with self._lock:
                    if not self._trials:
                        return
                    # keep reaping what remains; stop() has SIGKILLed it
                    for trial in self._trials.values():
                        if trial.pid is None or not self._still_running(trial):
                            trial.gone = True

    def _still_running(self, trial: _Trial) -> bool:
        if trial.proc is not None:
            return trial.proc.poll() is None
        return _alive(trial.pid, trial.ticks)

    def _timeout(self, blind: bool, last_gpu_check: float) -> float | None:
        now = time.monotonic()
        times = []
        for trial in self._trials.values():
            if trial.sigkill_at is not None:
                times.append(trial.sigkill_at - now)
            if trial.deadline is not None and trial.kill_status is None:
                times.append(trial.deadline - now)
        if blind:
            times.append(_FALLBACK_POLL)
        if self._waiting:
            times.append(last_gpu_check + _GPU_RECHECK - now)
        return max(0.0, min(times)) if times else None

    def _timers(self) -> None:
        now = time.monotonic()
        with self._lock:
            for trial in list(self._trials.values()):
                if trial.gone:
                    continue
                if trial.deadline is not None and trial.kill_status is None and now >= trial.deadline:
                    trial.kill_status, trial.kill_reason = TrialStatus.SYS_CANCELED, "maxTrialDuration reached"
                    self._trial_log(trial, "maxTrialDuration reached: SIGTERM")
                    signal_group(trial.pid, signal.SIGTERM)
                    trial.sigkill_at = now + self.kill_grace
                if trial.sigkill_at is not None and now >= trial.sigkill_at:
                    self._trial_log(trial, f"still alive {self.kill_grace:g}s after SIGTERM: SIGKILL")
                    signal_group(trial.pid, signal.SIGKILL)
                    trial.sigkill_at = None

    def _read_metrics(self, trial: _Trial) -> None:
        with trial.lock:
            events, trial.offset, errors = read_metric_events(trial.job.trial_job_id, trial.dir, trial.offset)
            for error in errors:
                self._trial_log(trial, error)
            for event in events:
                self._emit(event)

    def _reap(self, trial: _Trial) -> None:
        """The trial's main process ended: collect its code, kill its leftovers, report the exit."""
        trial_id = trial.job.trial_job_id
        code: int | None
        if trial.proc is not None:
            code = trial.proc.wait()
        elif trial.exit_code_hint is not None:
            code = trial.exit_code_hint
        else:
            code = self._exit_record(trial)
        signal_group(trial.pid, signal.SIGKILL)  # anything it left behind in its group
        with self._lock:
            if self._trials.get(trial_id) is not trial:
                return
            del self._trials[trial_id]
            if trial.exit_waiter is not None:
                trial.exit_waiter.close()
            if trial.wd is not None and self._watch is not None:
                self._watch.remove(trial.wd)
            self.gpus.release(trial_id)
            if trial.kill_status is not None:
                status, reason = trial.kill_status, trial.kill_reason
            elif code == 0:
                status, reason = TrialStatus.SUCCEEDED, ""
            else:
                status = TrialStatus.FAILED
                reason = f"killed by signal {-code}" if code is not None and code < 0 else \
                    ("exit code unknown (ended while the manager was down)" if code is None else f"exit code {code}")
            self._trial_log(trial, f"ended: {status} (exit code {code})")
            self._emit(TrialExited(trial_id, time.time(), status, code, reason))
            if self._waiting and not self._stopping:
                self._start_waiting()
