"""``RemotePlatform``: trials on other machines over SSH (NNI's ``remote`` training service).

Threading: the manager calls the public methods from its own thread; all state lives on a private
asyncio loop thread, where the SSH sessions, the agents' event streams and the scheduler run. Events
reach the manager's ``sink`` from that thread.

Per machine: one SSH connection (:class:`MachineSession`), one agent process on it that launches,
watches and kills that machine's trials and streams their metric records back in rounds.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
import posixpath
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nni.config.training_services.remote import RemoteConfig
from nni.errors import ConfigError, NNIError
from nni.platforms._common import metric_events, trial_file_name, trial_file_path
from nni.platforms.base import (
    EventSink,
    Platform,
    PlatformEvent,
    TrialExited,
    TrialJob,
    TrialStarted,
    TrialWaiting,
)
from nni.runtime.trial_channel import METRICS_FILE, PARAMETER_FILE
from nni.status import TrialStatus

from ._ignore import pack_code
from ._launch import trial_files
from ._machine import MachineSpec, machines_from_config, remote_config
from ._scheduler import MachineState, place
from ._session import MachineSession, SessionOptions, import_asyncssh

__all__ = ["RemotePlatform"]

if TYPE_CHECKING:
    from nni.platforms._registry import PlatformContext

_log = logging.getLogger("nni.platforms.remote")

# streamed by the agent into <experiment dir>/trials/<id>/ as the trial runs (with parameter.cfg, written
# there at launch, and .nni/metrics, written as records arrive): the web UI, nnictl log and a copied
# experiment folder find them there
_LOG_FILES = ("stdout", "stderr", "trial.log")
# mirrored the same way, appended bytes only, into <experiment dir>/trials/<id>/tensorboard/, where
# nnictl tensorboard looks: the files a trial writes under $NNI_OUTPUT_DIR/tensorboard
_TENSORBOARD_DIR = "tensorboard"


@dataclass
class _Trial:
    job: TrialJob
    state: str = "waiting"  # waiting | launching | reattaching | running | done

    @property
    def over(self) -> bool:
        return self.state == "done"
    machine: str | None = None
    gpus: tuple[int, ...] = ()
    trial_dir: str = ""
    offset: int = 0
    pid: int | None = None
    kill_status: str | None = None
    reason: str = ""  # last waiting reason reported
    timer: asyncio.TimerHandle | None = None
    watch_reply: asyncio.Future[dict[str, Any]] | None = None
    attempt: str = ""  # names one placement; a launch sent again after a reconnect carries the same


@dataclass
class _Machine:
    session: MachineSession
    state: MachineState
    orphans: dict[str, str] = field(default_factory=dict)  # trial id -> folder: reported over, kill on reconnect
    lost_timer: asyncio.TimerHandle | None = None


class RemotePlatform(Platform):
    """Runs trials on the machines of a ``RemoteConfig`` (``machine_list``; see :func:`machines_from_config`).

    Options beyond the config: ``remote_root`` (folder on each machine holding ``<experiment id>/code``
    and ``<experiment id>/trials/<trial id>``; ``~`` is the login user's home; a callable gets the
    :class:`MachineSpec`), ``max_trials_per_machine`` (trials at once per machine, None = no limit
    besides GPUs), ``unreachable_timeout`` (seconds a machine may stay disconnected before its trials
    are given up), ``on_machine_lost`` (``"fail"``: those trials FAILED; ``"resubmit"``: they run again
    on another machine), ``kill_grace`` (seconds between SIGTERM and SIGKILL), ``gpu_recheck_interval``
    (seconds between ``nvidia-smi`` looks while trials wait for GPUs that other processes hold).

    With ``experiment_dir``, each trial's ``parameter.cfg``, metrics and logs (``stdout``, ``stderr``,
    ``trial.log``, streamed by the agent about once a second and completely before the exit is
    reported) are kept in ``<experiment_dir>/trials/<id>/`` too, where the web UI and ``nnictl log`` look.
    So are the files below the trial's ``$NNI_OUTPUT_DIR/tensorboard`` (TensorBoard's event files, for
    ``nnictl tensorboard``): their new bytes about once a second while it runs, all of them before its end
    is reported. The local copies are the record of what arrived: after a reconnect or a manager restart
    the agent goes on from their sizes.
    """

    name = "remote"

    @classmethod
    def from_config(cls, config: RemoteConfig, context: PlatformContext) -> RemotePlatform:
        return cls(config, experiment_id=context.experiment_id, trial_code_directory=context.trial_code_directory,
                   experiment_dir=str(context.experiment_dir))

    @classmethod
    def check_requirements(cls, config: RemoteConfig) -> None:
        import_asyncssh()
        for index, machine in enumerate(config.machine_list):
            key_file = os.path.expanduser(machine.ssh_key_file) if machine.ssh_key_file else None
            if key_file and not os.access(key_file, os.R_OK):
                raise ConfigError(f"the SSH key file {key_file} cannot be read by this user; give a key file "
                                  "you can read", key=f"trainingService.machineList[{index}].sshKeyFile")

    def __init__(self, config: RemoteConfig | Mapping[str, Any] | Sequence[MachineSpec], *, experiment_id: str, trial_code_directory: str,
                 experiment_dir: str | None = None,
                 remote_root: str | Callable[[MachineSpec], str] = "~/nni-experiments",
                 max_trials_per_machine: int | None = None, unreachable_timeout: float | None = None,
                 on_machine_lost: str | None = None, kill_grace: float = 5.0, reattach_timeout: float = 30.0,
                 gpu_recheck_interval: float = 10.0,
                 session_options: SessionOptions | None = None) -> None:
        import_asyncssh()  # fail early, with a clear message, when the package is missing
        self.machines = machines_from_config(config)
        # a list of machines has no options of its own; a config (or its mapping) has them, typed
        typed = None if isinstance(config, Sequence) else remote_config(config)
        if not os.path.isdir(trial_code_directory):
            raise ConfigError(f"trial code folder {trial_code_directory!r} does not exist; "
                              "set trialCodeDirectory to an existing folder", key="trialCodeDirectory")
        # the keyword arguments win over the config's keys (maxTrialsPerMachine, unreachableTimeout, onMachineLost)
        if max_trials_per_machine is None and typed is not None:
            max_trials_per_machine = typed.max_trials_per_machine
        if unreachable_timeout is None:
            unreachable_timeout = typed.unreachable_timeout if typed is not None else 60.0
        unreachable_timeout = float(unreachable_timeout)
        on_machine_lost = on_machine_lost or (typed.on_machine_lost if typed is not None else "fail")
        if on_machine_lost not in ("fail", "resubmit"):
            raise ConfigError(f"on_machine_lost must be 'fail' or 'resubmit'; got {on_machine_lost!r}")
        if typed is not None and typed.reuse_mode:
            _log.info("remote: reuseMode is accepted; every trial still runs in its own folder")
        self.experiment_id = experiment_id
        self.experiment_dir = experiment_dir
        self.code_dir = os.path.abspath(trial_code_directory)
        self.remote_root = remote_root
        self.max_trials_per_machine = max_trials_per_machine
        self.unreachable_timeout = unreachable_timeout
        self.on_machine_lost = on_machine_lost
        self.kill_grace = kill_grace
        self.reattach_timeout = reattach_timeout
        self.gpu_recheck_interval = gpu_recheck_interval
        self.session_options = session_options or SessionOptions()
        self._sink: EventSink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._machines: dict[str, _Machine] = {}
        self._trials: dict[str, _Trial] = {}
        self._queue: list[str] = []
        self._stopped = False
        self._package = pack_code(self.code_dir)  # refuses an oversized folder now, before any connection
        self._background: list[asyncio.Task[None]] = []

    # ----------------------------------------------------------------- public API (manager thread)
    def start(self, sink: EventSink) -> None:
        if self._loop is not None:
            raise NNIError("RemotePlatform.start() was called twice; start it once")
        self._sink = sink
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run_loop, name="nni-remote-platform", daemon=True)
        self._thread.start()
        self._call(self._start_sessions()).result(10)

    def submit(self, job: TrialJob) -> None:
        self._loop_required().call_soon_threadsafe(self._enqueue, job)

    def kill(self, trial_job_id: str, status: str = TrialStatus.USER_CANCELED) -> None:
        if status not in TrialStatus.kill():
            raise ValueError(f"kill status must be one of {', '.join(TrialStatus.kill())}; got {status!r}")
        self._loop_required().call_soon_threadsafe(self._kill, trial_job_id, status)

    def reattach(self, job: TrialJob, handle: dict[str, Any]) -> bool:
        return self._call(self._reattach(job, handle)).result(self.reattach_timeout + 5)

    def read_file(self, trial_job_id: str, name: str) -> bytes:
        rel = trial_file_name(trial_job_id, name)
        try:
            return self._call(self._read_file(trial_job_id, rel)).result(30)
        except Exception as exc:
            # the machine is unreachable (or the platform stopped): the local copy, when there is one
            if self.experiment_dir:
                local = trial_file_path(os.path.join(self.experiment_dir, "trials", trial_job_id), trial_job_id, rel)
                if local.is_file():
                    return local.read_bytes()
            if isinstance(exc, FutureTimeout):
                raise NNIError(f"reading {name!r} of trial {trial_job_id} timed out; the machine may be "
                               "unreachable") from None
            raise

    def stop(self) -> None:
        if self._loop is None or self._stopped:
            return
        self._stopped = True
        try:
            self._call(self._stop()).result(self.kill_grace + 30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(10)

    def detach(self) -> None:
        """Release the connections but leave the trials running, for a later ``reattach`` (manager restart)."""
        if self._loop is None or self._stopped:
            return
        self._stopped = True
        try:
            self._call(self._close_sessions()).result(30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(10)

    def trial_dir(self, trial_job_id: str) -> str | None:
        trial = self._trials.get(trial_job_id)
        if trial is None or not trial.trial_dir or trial.machine is None:
            return None
        spec = self._machines[trial.machine].session.spec
        return f"{spec.user}@{spec.host}:{trial.trial_dir}" if spec.port == 22 else \
            f"ssh://{spec.user}@{spec.host}:{spec.port}{trial.trial_dir}"

    def machine_status(self) -> list[dict[str, Any]]:
        """Per machine: connected, running trials, GPUs (safe to show: no secrets)."""
        out = []
        for m in self._machines.values():
            out.append({**m.session.spec.public(), "connected": m.state.connected, "lost": m.state.lost,
                        "running": m.state.running, "gpus": [g.index for g in m.state.gpus],
                        "connections": m.session.connections_made, "last_error": m.session.last_error})
        return out

    # ----------------------------------------------------------------- loop plumbing
    def _run_loop(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        self._loop.close()

    def _loop_required(self) -> asyncio.AbstractEventLoop:
        if self._stopped and self._loop is not None and not self._loop.is_running():
            raise NNIError("the remote platform is stopped; its machines are no longer connected")
        if self._loop is None:
            raise NNIError("the remote platform is not started; call start(sink) first")
        return self._loop

    def _call(self, coro: Any) -> Any:
        try:
            loop = self._loop_required()
        except NNIError:
            coro.close()  # never scheduled: do not leave it un-awaited
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def _emit(self, event: PlatformEvent) -> None:
        assert self._sink is not None
        try:
            self._sink(event)
        except Exception:
            _log.exception("remote: the event sink failed on %r", event)

    def _package_code(self) -> tuple[bytes, str, int]:
        return self._package

    async def _start_sessions(self) -> None:
        for spec in self.machines:
            root = self.remote_root(spec) if callable(self.remote_root) else self.remote_root
            session = MachineSession(spec, experiment_id=self.experiment_id, remote_root=root,
                                     code_package=self._package_code, options=self.session_options,
                                     on_connected=self._on_connected, on_disconnected=self._on_disconnected,
                                     on_event=self._on_agent_event, on_failed=lambda _s: self._schedule())
            state = MachineState(key=spec.key, gpu_indices=spec.gpu_indices,
                                 per_gpu=spec.max_trial_number_per_gpu, use_active_gpu=spec.use_active_gpu,
                                 max_trials=self.max_trials_per_machine)
            machine = _Machine(session, state)
            self._machines[spec.key] = machine
            machine.lost_timer = asyncio.get_running_loop().call_later(
                self.unreachable_timeout, self._check_lost, spec.key)
            session.start()
        loop = asyncio.get_running_loop()
        if self.gpu_recheck_interval > 0:
            self._background.append(loop.create_task(self._gpu_loop()))

    async def _gpu_loop(self) -> None:
        """While a trial waits for GPUs, look again at the machines whose GPUs others were using."""
        while not self._stopped:
            await asyncio.sleep(self.gpu_recheck_interval)
            if not any(self._trials[t].job.gpu_number > 0 for t in self._queue):
                continue
            changed = False
            for machine in self._machines.values():
                state = machine.state
                if not state.connected or state.use_active_gpu or not any(g.busy_elsewhere for g in state.gpus):
                    continue
                try:
                    await machine.session.refresh_gpus()
                except Exception as exc:  # the connection may just have dropped; next round
                    _log.debug("remote %s: GPU recheck failed: %s", machine.session.key, exc)
                    continue
                state.gpus = list(machine.session.gpus)
                changed = True
            if changed:
                self._schedule()

    # ----------------------------------------------------------------- scheduling
    def _enqueue(self, job: TrialJob) -> None:
        if job.trial_job_id in self._trials and not self._trials[job.trial_job_id].over:
            _log.warning("remote: trial %s submitted twice; ignoring the second", job.trial_job_id)
            return
        self._trials[job.trial_job_id] = _Trial(job)
        self._queue.append(job.trial_job_id)
        self._schedule()

    def _schedule(self) -> None:
        if self._stopped:
            return
        states = []
        for m in self._machines.values():
            m.state.last_error = "" if m.state.connected else m.session.last_error
            states.append(m.state)
        for tid in list(self._queue):
            trial = self._trials[tid]
            placement = place(trial.job.gpu_number, states)
            if placement.machine is None:
                if placement.impossible:
                    self._queue.remove(tid)
                    self._finish(trial, TrialStatus.FAILED, None, placement.reason)
                elif placement.reason != trial.reason:
                    trial.reason = placement.reason
                    self._emit(TrialWaiting(tid, placement.reason))
                continue
            self._queue.remove(tid)
            machine = self._machines[placement.machine]
            self._occupy(machine.state, placement.gpus, +1)
            paths = machine.session.paths
            assert paths is not None
            trial.state, trial.machine, trial.gpus = "launching", placement.machine, placement.gpus
            trial.trial_dir = posixpath.join(paths.trials, tid)
            trial.offset = 0
            trial.attempt = secrets.token_hex(4)
            self._clear_local(trial)
            if not self._send_launch(machine, trial):
                self._requeue(trial, front=True)

    def _send_launch(self, machine: _Machine, trial: _Trial) -> bool:
        paths = machine.session.paths
        assert paths is not None
        files = trial_files(trial.job, experiment_id=self.experiment_id, trial_dir=trial.trial_dir,
                            code_dir=paths.code, gpus=trial.gpus, python_path=machine.session.spec.python_path)
        local = self._local_dir(trial)
        if local is not None:  # the web UI and nnictl look here; logs are copied in as the trial runs
            try:
                os.makedirs(os.path.join(local, ".nni"), exist_ok=True)
                with open(os.path.join(local, PARAMETER_FILE), "w", encoding="utf-8") as f:
                    f.write(files[PARAMETER_FILE])
            except OSError as exc:
                _log.warning("remote: cannot write the local folder of trial %s: %s", trial.job.trial_job_id, exc)
        return machine.session.send({"op": "launch", "id": trial.job.trial_job_id, "dir": trial.trial_dir,
                                     "files": files, "attempt": trial.attempt})

    def _clear_local(self, trial: _Trial) -> None:
        """A new run of a trial starts its local copies from nothing (they are rewritten at offsets)."""
        local = self._local_dir(trial)
        for name in (*_LOG_FILES, METRICS_FILE) if local else ():
            try:
                os.remove(os.path.join(local, name))
            except OSError:
                pass
        if local:
            shutil.rmtree(os.path.join(local, _TENSORBOARD_DIR), ignore_errors=True)

    @staticmethod
    def _occupy(state: MachineState, gpus: tuple[int, ...], delta: int) -> None:
        state.running += delta
        for g in gpus:
            state.gpu_load[g] = state.gpu_load.get(g, 0) + delta

    def _release(self, trial: _Trial) -> None:
        if trial.machine is not None and trial.state in ("launching", "running", "reattaching"):
            self._occupy(self._machines[trial.machine].state, trial.gpus, -1)
        if trial.timer is not None:
            trial.timer.cancel()
            trial.timer = None

    def _requeue(self, trial: _Trial, *, front: bool) -> None:
        self._release(trial)
        trial.state, trial.machine, trial.gpus, trial.pid, trial.offset, trial.reason = \
            "waiting", None, (), None, 0, ""
        if front:
            self._queue.insert(0, trial.job.trial_job_id)
        else:
            self._queue.append(trial.job.trial_job_id)

    def _finish(self, trial: _Trial, status: str, exit_code: int | None, reason: str = "") -> None:
        if trial.over:
            return
        assert status in TrialStatus.final()
        self._release(trial)
        trial.state = "done"
        self._emit(TrialExited(trial.job.trial_job_id, time.time(), status, exit_code, reason))

    def _local_dir(self, trial: _Trial) -> str | None:
        if not self.experiment_dir:
            return None
        return os.path.join(self.experiment_dir, "trials", trial.job.trial_job_id)

    def _watch_command(self, trial: _Trial) -> dict[str, Any]:
        """Follow a trial started earlier from what the local copies hold (metrics, logs, TensorBoard files)."""
        return {"op": "watch", "id": trial.job.trial_job_id, "dir": trial.trial_dir, "offset": trial.offset,
                "logs": self._local_logs(trial), "files": self._local_files(trial)}

    def _local_logs(self, trial: _Trial) -> dict[str, int]:
        """How much of each log the local copy holds (where the agent goes on from after a reconnect)."""
        local = self._local_dir(trial)
        sizes: dict[str, int] = {}
        for name in _LOG_FILES:
            path = os.path.join(local, name) if local else ""
            sizes[name] = os.path.getsize(path) if path and os.path.exists(path) else 0
        return sizes

    def _local_files(self, trial: _Trial) -> dict[str, int]:
        """``{"tensorboard/<path>": size}`` of the local copies of the trial's TensorBoard files."""
        local = self._local_dir(trial)
        top = os.path.join(local, _TENSORBOARD_DIR) if local else ""
        sizes: dict[str, int] = {}
        for folder, _dirs, names in os.walk(top) if top else ():
            for name in names:
                path = os.path.join(folder, name)
                if os.path.isfile(path):
                    sizes[os.path.relpath(path, local).replace(os.sep, "/")] = os.path.getsize(path)
        return sizes

    # ----------------------------------------------------------------- kill
    def _kill(self, tid: str, status: str) -> None:
        trial = self._trials.get(tid)
        if trial is None or trial.over:
            _log.info("remote: kill of trial %s ignored: it is not running", tid)
            return
        if trial.state == "waiting":
            self._queue.remove(tid)
            self._finish(trial, status, None, "killed while waiting")
            return
        if trial.kill_status is not None:
            return
        trial.kill_status = status
        machine = self._machines[trial.machine] if trial.machine else None
        if machine is None or not machine.session.send(
                {"op": "kill", "id": tid, "dir": trial.trial_dir, "grace": self.kill_grace}):
            self._abandon(trial, status, None, "killed while its machine is unreachable; "
                          "the process is killed when the machine is back")

    def _abandon(self, trial: _Trial, status: str, code: int | None, reason: str) -> None:
        """Report the trial over now and kill whatever is left of it when its machine answers again."""
        if trial.machine is not None and trial.trial_dir:
            self._machines[trial.machine].orphans[trial.job.trial_job_id] = trial.trial_dir
        self._finish(trial, status, code, reason)
        self._schedule()

    def _on_max_duration(self, tid: str) -> None:
        trial = self._trials.get(tid)
        if trial is not None and trial.state == "running":
            _log.info("remote: trial %s ran past maxTrialDuration; killing it", tid)
            self._kill(tid, TrialStatus.SYS_CANCELED)

    # ----------------------------------------------------------------- agent events
    def _on_agent_event(self, session: MachineSession, event: dict[str, Any]) -> None:
        kind = event.get("ev")
        tid = str(event.get("id", ""))
        machine = self._machines[session.key]
        if kind == "killed" and tid.startswith("orphan:"):
            machine.orphans.pop(tid[len("orphan:"):], None)
            return
        trial = self._trials.get(tid)
        if kind == "error":
            _log.warning("remote %s: agent error: %s", session.key, event.get("message"))
            return
        if trial is None or trial.machine != session.key:
            return
        if kind == "watching":
            if trial.watch_reply is not None and not trial.watch_reply.done():
                trial.watch_reply.set_result(event)
            elif trial.state == "running" and event.get("pid") is None and event.get("exit") is None:
                self._finish(trial, trial.kill_status or TrialStatus.FAILED, None,
                             f"the trial folder {trial.trial_dir} on {session.key} is gone")
                self._schedule()
            return
        if trial.over:
            return
        if kind == "started":
            self._on_started(machine, trial, int(event["pid"]))
        elif kind == "launch_failed":
            self._finish(trial, TrialStatus.FAILED, None, f"cannot start the trial on {session.key}: {event.get('error')}")
            self._schedule()
        elif kind == "metrics":
            self._on_metrics(trial, int(event["offset"]), str(event["data"]).encode("latin-1"))
        elif kind == "log" and str(event.get("name")) in _LOG_FILES:
            self._mirror(trial, str(event["name"]), int(event["offset"]), str(event["data"]).encode("latin-1"))
        elif kind == "file":
            self._on_file(trial, event)
        elif kind == "exit":
            code = event.get("code")
            if trial.kill_status is not None:
                self._finish(trial, trial.kill_status, code)
            elif code is None:
                self._finish(trial, TrialStatus.FAILED, None, f"the trial process on {session.key} ended without an exit "
                             "record (killed from outside the experiment?)")
            else:
                self._finish(trial, TrialStatus.SUCCEEDED if code == 0 else TrialStatus.FAILED, int(code),
                             "" if code == 0 else f"the trial command exited with code {code}")
            self._schedule()
        elif kind == "killed":
            self._finish(trial, trial.kill_status or TrialStatus.USER_CANCELED, None)
            self._schedule()

    def _on_started(self, machine: _Machine, trial: _Trial, pid: int) -> None:
        if trial.state != "launching":
            return
        trial.state, trial.pid = "running", pid
        spec = machine.session.spec
        paths = machine.session.paths
        handle = {"platform": "remote", "machine": spec.key, "host": spec.host, "port": spec.port,
                  "user": spec.user, "trial_dir": trial.trial_dir, "code_dir": paths.code if paths else "",
                  "pid": pid, "gpus": list(trial.gpus)}
        self._emit(TrialStarted(trial.job.trial_job_id, time.time(), handle))
        if trial.job.max_duration:
            trial.timer = asyncio.get_running_loop().call_later(trial.job.max_duration, self._on_max_duration,
                                                                trial.job.trial_job_id)

    def _on_metrics(self, trial: _Trial, offset: int, data: bytes) -> None:
        if offset < trial.offset:  # replayed by a new agent after a reconnect: skip what was read
            data = data[trial.offset - offset:]
            offset = trial.offset
        elif offset > trial.offset:
            _log.warning("remote: trial %s metrics jump from byte %d to %d", trial.job.trial_job_id,
                         trial.offset, offset)
        self._mirror(trial, METRICS_FILE, offset, data)
        events, _end, errors = metric_events(trial.job.trial_job_id, data, offset)  # the agent sends whole lines
        for err in errors:
            _log.warning("remote: trial %s: %s", trial.job.trial_job_id, err)
        for event in events:
            self._emit(event)
        trial.offset = max(trial.offset, offset + len(data))

    def _on_file(self, trial: _Trial, event: dict[str, Any]) -> None:
        """New bytes of a file below the remote trial's ``tensorboard`` folder, for its local copy."""
        tid, name = trial.job.trial_job_id, str(event.get("name", ""))
        if not _below_tensorboard(name):
            _log.warning("remote: trial %s: agent sent file %r, outside its tensorboard folder; ignored", tid, name)
            return
        try:
            data = base64.b64decode(str(event.get("data", "")), validate=True)
            offset = int(event["offset"])
        except (KeyError, ValueError, binascii.Error) as exc:
            _log.warning("remote: trial %s: unreadable chunk of %s from the agent (%s); ignored", tid, name, exc)
            return
        self._mirror(trial, name, offset, data, contiguous=True, reset=bool(event.get("reset")))

    def _mirror(self, trial: _Trial, name: str, offset: int, data: bytes, *, contiguous: bool = False,
                reset: bool = False) -> None:
        """Write what the agent sent of a remote file at the same offset of its local copy (``reset``: the
        remote file was rewritten, the copy starts again; ``contiguous``: never leave a hole in the copy)."""
        local = self._local_dir(trial)
        if local is None or (not data and not reset):
            return
        path = os.path.join(local, name)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "r+b" if os.path.exists(path) and not reset else "wb") as f:
                if contiguous and offset > f.seek(0, os.SEEK_END):
                    # the copy lost bytes the agent counts as sent: the next watch resends from the copy's size
                    _log.warning("remote: trial %s: %s jumps from byte %d to %d; its copy stops there until the "
                                 "agent resends", trial.job.trial_job_id, name, f.tell(), offset)
                    return
                f.seek(offset)
                f.write(data)
        except OSError as exc:
            _log.debug("remote: cannot copy %s of trial %s: %s", name, trial.job.trial_job_id, exc)

    # ----------------------------------------------------------------- connection changes
    async def _on_connected(self, session: MachineSession) -> None:
        machine = self._machines[session.key]
        if machine.lost_timer is not None:
            machine.lost_timer.cancel()
            machine.lost_timer = None
        state = machine.state
        state.connected, state.lost = True, False
        state.gpus, state.discovered = list(session.gpus), session.discovered
        for tid, trial_dir in list(machine.orphans.items()):
            session.send({"op": "kill", "id": f"orphan:{tid}", "dir": trial_dir, "grace": self.kill_grace})
        for trial in self._trials.values():
            if trial.machine != session.key or trial.over:
                continue
            if trial.state == "launching":
                self._send_launch(machine, trial)
                if trial.kill_status is not None:
                    session.send({"op": "kill", "id": trial.job.trial_job_id, "dir": trial.trial_dir,
                                  "grace": self.kill_grace})
            elif trial.state in ("running", "reattaching"):
                session.send(self._watch_command(trial))
        self._schedule()

    async def _on_disconnected(self, session: MachineSession) -> None:
        machine = self._machines[session.key]
        machine.state.connected = False
        for trial in list(self._trials.values()):
            if trial.machine == session.key and trial.kill_status is not None and not trial.over:
                self._abandon(trial, trial.kill_status, None, "killed while its machine was unreachable; "
                              "the process is killed when the machine is back")
        if machine.lost_timer is None and not self._stopped:
            machine.lost_timer = asyncio.get_running_loop().call_later(
                self.unreachable_timeout, self._check_lost, session.key)

    def _check_lost(self, key: str) -> None:
        machine = self._machines[key]
        machine.lost_timer = None
        if machine.session.connected or self._stopped:
            return
        machine.state.lost = True
        why = machine.session.last_error or "connection lost"
        _log.warning("remote %s: unreachable for %.0fs (%s); giving up its trials", key,
                     self.unreachable_timeout, why)
        for trial in list(self._trials.values()):
            if trial.machine != key or trial.state not in ("launching", "running", "reattaching"):
                continue
            machine.orphans[trial.job.trial_job_id] = trial.trial_dir
            if self.on_machine_lost == "resubmit" and trial.kill_status is None:
                _log.warning("remote: trial %s runs again on another machine", trial.job.trial_job_id)
                self._requeue(trial, front=True)
            else:
                self._finish(trial, trial.kill_status or TrialStatus.FAILED, None,
                             f"machine {key} unreachable for {self.unreachable_timeout:.0f}s ({why})")
        self._schedule()

    # ----------------------------------------------------------------- reattach, files, stop
    async def _reattach(self, job: TrialJob, handle: dict[str, Any]) -> bool:
        key = str(handle.get("machine", ""))
        machine = self._machines.get(key)
        if machine is None or not handle.get("trial_dir"):
            _log.warning("remote: cannot reattach trial %s: machine %r is not in this experiment's machineList",
                         job.trial_job_id, key)
            return False
        trial = _Trial(job, state="reattaching", machine=key, gpus=tuple(handle.get("gpus") or ()),
                       trial_dir=str(handle["trial_dir"]), offset=job.metrics_offset, pid=handle.get("pid"))
        trial.watch_reply = asyncio.get_running_loop().create_future()
        self._trials[job.trial_job_id] = trial
        self._occupy(machine.state, trial.gpus, +1)
        if machine.session.connected:
            machine.session.send(self._watch_command(trial))
        elif machine.session.last_error:
            # known to be down: follow it when the machine is back (or give it up past the deadline)
            # rather than hold the manager's resume for every trial of that machine
            _log.warning("remote: trial %s: machine %s is unreachable (%s); following it when it is back",
                         job.trial_job_id, key, machine.session.last_error)
            trial.state, trial.watch_reply = "running", None
            return True
        try:
            reply = await asyncio.wait_for(asyncio.shield(trial.watch_reply), self.reattach_timeout)
        except asyncio.TimeoutError:
            _log.warning("remote: trial %s: machine %s did not answer in %.0fs; following it when it does",
                         job.trial_job_id, key, self.reattach_timeout)
            trial.state, trial.watch_reply = "running", None
            return True
        if not reply.get("alive") and reply.get("exit") is None:
            machine.session.send({"op": "forget", "id": job.trial_job_id})
            self._release(trial)
            trial.state = "done"
            return False
        trial.state, trial.watch_reply = "running", None
        if job.max_duration:
            _log.debug("remote: maxTrialDuration of reattached trial %s counts from now", job.trial_job_id)
            trial.timer = asyncio.get_running_loop().call_later(job.max_duration, self._on_max_duration,
                                                                job.trial_job_id)
        return True

    async def _read_file(self, tid: str, rel: str) -> bytes:
        trial = self._trials.get(tid)
        if trial is None:
            raise NNIError(f"unknown trial {tid!r}: it was never submitted to this platform")
        if not trial.trial_dir or trial.machine is None:
            return b""
        session = self._machines[trial.machine].session
        if not session.connected:
            raise NNIError(f"trial {tid} ran on {session.key}, which is unreachable now; try again later")
        return await session.read_file(posixpath.join(trial.trial_dir, rel), 64 * 1024 * 1024)

    async def _stop(self) -> None:
        for tid in list(self._queue):
            self._queue.remove(tid)
            self._finish(self._trials[tid], TrialStatus.USER_CANCELED, None, "the experiment stopped")
        pending = [t for t in self._trials.values() if not t.over]
        for trial in pending:
            self._kill(trial.job.trial_job_id, TrialStatus.USER_CANCELED)
        deadline = time.monotonic() + self.kill_grace + 5
        while time.monotonic() < deadline and (
                any(t.state != "done" for t in pending)
                or any(m.orphans and m.session.connected for m in self._machines.values())):
            await asyncio.sleep(0.05)
        for trial in pending:
            self._finish(trial, trial.kill_status or TrialStatus.USER_CANCELED, None, "the experiment stopped")
        await self._close_sessions()

    async def _close_sessions(self) -> None:
        for task in self._background:
            task.cancel()
        for machine in self._machines.values():
            if machine.lost_timer is not None:
                machine.lost_timer.cancel()
        await asyncio.gather(*(m.session.close() for m in self._machines.values()), return_exceptions=True)


def _below_tensorboard(name: str) -> bool:
    """Whether ``name`` is a relative path below ``tensorboard/`` that stays there."""
    parts = name.split("/")
    return len(parts) >= 2 and parts[0] == _TENSORBOARD_DIR and all(p not in ("", ".", "..") for p in parts[1:])
