"""Slurm platform: each trial is a Slurm batch job; Slurm does the placement, GPUs and accounting.

The experiment folder lives on a filesystem shared by the submit host and the compute nodes. Each trial
gets ``<root>/trials/<trial id>/`` there with ``parameter.cfg``, its job script, stdout and stderr, and
the metrics file the trial appends (``nni.runtime.trial_channel``). One monitor thread follows all jobs
of the experiment with one ``squeue`` call per round (Slurm has no push notifications) and reads the
metrics files that grew.

Submissions are batched: trials submitted together (the manager fills all free slots at once) with the
same resource request go to Slurm as one job array, one ``sbatch`` call for all of them, which keeps
the controller's load and the submit latency flat at high concurrency. A lone trial is a plain job.
Every job carries the ids of its trials in its comment (``nni:<trial id>,...``, array task N runs the
N-th), so a restarted manager finds its queued and running jobs again without any other record.
"""

from __future__ import annotations

import logging
import math
import os
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nni.config.training_services.slurm import SlurmConfig
from nni.errors import ConfigError, NNIError
from nni.runtime import trial_channel
from nni.status import TrialStatus

from ._common import EXIT_CODE_FILE, read_exit_code, read_metric_events, trial_environment, trial_file_path
from .base import (
    EventSink,
    Platform,
    TrialExited,
    TrialJob,
    TrialStarted,
    TrialWaiting,
)

__all__ = ["SlurmPlatform", "SlurmError", "slurm_time_limit"]

if TYPE_CHECKING:
    from ._registry import PlatformContext

_logger = logging.getLogger(__name__)

_SLURM_TOOLS = ("sbatch", "squeue", "scancel")

# Slurm job states (squeue %T) grouped by what they mean for a trial.
_WAITING_STATES = {"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD",
                   "SUSPENDED", "STOPPED"}
_RUNNING_STATES = {"RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING"}
_FAILED_STATES = {
    "FAILED": "the job failed",
    "TIMEOUT": "the job reached its Slurm time limit",
    "NODE_FAIL": "the job's node failed",
    "OUT_OF_MEMORY": "the job ran out of memory",
    "BOOT_FAIL": "the job's node failed to boot",
    "DEADLINE": "the job reached its deadline",
    "PREEMPTED": "the job was preempted",
    "REVOKED": "the job was revoked",
    "SPECIAL_EXIT": "the job ended in a special exit state",
}


class SlurmError(NNIError):
    """A Slurm command failed (sbatch refused a job, squeue could not be run...)."""


def slurm_time_limit(seconds: float) -> str:
    """Slurm's ``--time`` value for a duration; Slurm counts whole minutes, so this rounds up."""
    minutes = max(1, math.ceil(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}-{hours:02d}:{mins:02d}:00"


@dataclass
class _Trial:
    job: TrialJob
    trial_dir: Path
    slurm_job_id: str | None = None
    state: str = "SUBMITTING"
    reason: str = ""
    started: bool = False
    metrics_offset: int = 0
    kill_status: str | None = None
    missing_rounds: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class SlurmPlatform(Platform):
    """Runs trials as Slurm batch jobs; see the module docstring.

    ``config`` is the experiment's ``trainingService`` section (``nni.config`` SlurmConfig): partition,
    account, qos, time limit, CPUs, memory, GPU request style, extra sbatch options, setup script and
    the shared folder. ``poll_interval`` (default: the config's ``pollInterval``) is the longest wait
    between two squeue rounds.
    """

    name = "slurm"

    @classmethod
    def from_config(cls, config: SlurmConfig, context: PlatformContext) -> SlurmPlatform:
        return cls(config, experiment_id=context.experiment_id, experiment_dir=context.experiment_dir,
                   trial_code_directory=context.trial_code_directory)

    @classmethod
    def check_requirements(cls, config: SlurmConfig) -> None:
        missing = [tool for tool in _SLURM_TOOLS if shutil.which(tool) is None]
        if missing:
            raise ConfigError(f"the slurm platform needs the Slurm client commands {', '.join(_SLURM_TOOLS)} on PATH, "
                              f"and {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not found; run "
                              "nnictl where Slurm's client tools are installed (a cluster login node)",
                              key="trainingService.platform")
        if config.shared_directory:
            existing = Path(config.shared_directory)
            while not existing.exists() and existing != existing.parent:
                existing = existing.parent  # start() creates the missing folders below it
            if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
                raise ConfigError(f"{config.shared_directory} cannot be written by this user ({existing} is not a "
                                  "writable folder); give a folder you can write on the filesystem shared with "
                                  "the compute nodes", key="trainingService.sharedDirectory")

    def __init__(
        self,
        config: SlurmConfig,
        *,
        experiment_id: str,
        experiment_dir: str | os.PathLike[str],
        trial_code_directory: str | os.PathLike[str],
        poll_interval: float | None = None,
    ) -> None:
        self.config = config
        self.experiment_id = experiment_id
        shared = config.shared_directory
        self.root = Path(shared) / experiment_id if shared else Path(experiment_dir)
        self.trial_code_directory = Path(trial_code_directory)
        self.poll_interval = float(poll_interval or config.poll_interval or 2.0)
        self._trials: dict[str, _Trial] = {}
        self._to_submit: list[list[_Trial]] = []  # bursts (one submit_many each) not yet given to sbatch
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._sink: EventSink | None = None
        self._thread: threading.Thread | None = None

    # -- Platform interface -------------------------------------------------------------------------

    def start(self, sink: EventSink) -> None:
        self._sink = sink
        (self.root / "trials").mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._monitor, name="nni-slurm-monitor", daemon=True)
        self._thread.start()

    def submit(self, job: TrialJob) -> None:
        self.submit_many([job])

    def submit_many(self, jobs: Sequence[TrialJob]) -> None:
        """Trials submitted together with the same resource request become one job array."""
        trials = []
        for job in jobs:
            trial_dir = self.root / "trials" / job.trial_job_id
            (trial_dir / ".nni").mkdir(parents=True, exist_ok=True)
            trial_channel.write_parameter_file(trial_dir, job.parameter_id, job.parameters, job.parameter_source)
            script = trial_dir / "slurm_job.sh"
            script.write_text(self._job_script(job, trial_dir), encoding="utf-8")
            script.chmod(0o755)
            trials.append(_Trial(job, trial_dir, metrics_offset=job.metrics_offset))
        with self._lock:
            for trial in trials:
                self._trials[trial.job.trial_job_id] = trial
            self._to_submit.append(trials)
        self._wake.set()  # the monitor thread runs sbatch, so the manager's loop never waits on Slurm

    def kill(self, trial_job_id: str, status: str = TrialStatus.USER_CANCELED) -> None:
        with self._lock:
            trial = self._trials.get(trial_job_id)
            if trial is None or trial.state == "DONE":
                return
            trial.kill_status = status
            burst = next((b for b in self._to_submit if trial in b), None)
            if burst is not None:  # never reached Slurm
                burst.remove(trial)
                trial.state = "DONE"
                job_id = None
            else:
                job_id = trial.slurm_job_id
        if job_id is None:
            if trial.state == "DONE":
                self._emit(TrialExited(trial_job_id, time.time(), status, None, "cancelled before submission"))
            return
        result = _run(["scancel", job_id])
        if result.returncode != 0:
            _logger.warning("scancel %s failed: %s", job_id, result.stderr.strip())
        self._wake.set()

    def reattach(self, job: TrialJob, handle: dict[str, Any]) -> bool:
        trial_dir = self.root / "trials" / job.trial_job_id
        slurm_job_id = handle.get("slurm_job_id") or self._find_job(job.trial_job_id)
        has_exit_record = (trial_dir / EXIT_CODE_FILE).exists()
        if slurm_job_id is None and not has_exit_record:
            return False
        trial = _Trial(job, trial_dir, slurm_job_id, state="SUBMITTED", metrics_offset=job.metrics_offset,
                       started=bool(handle.get("slurm_job_id")))
        with self._lock:
            self._trials[job.trial_job_id] = trial
        self._wake.set()
        return True

    def read_file(self, trial_job_id: str, name: str) -> bytes:
        return trial_file_path(self.root / "trials" / trial_job_id, trial_job_id, name).read_bytes()

    def trial_dir(self, trial_job_id: str) -> str | None:
        return str(self.root / "trials" / trial_job_id)

    def stop(self) -> None:
        with self._lock:
            never_submitted = [trial for burst in self._to_submit for trial in burst]
            self._to_submit = []
            for trial in never_submitted:
                trial.state = "DONE"
            active = [t for t in self._trials.values() if t.slurm_job_id and t.state != "DONE"]
            for trial in active:
                trial.kill_status = trial.kill_status or TrialStatus.SYS_CANCELED
        for trial in never_submitted:
            self._emit(TrialExited(trial.job.trial_job_id, time.time(), TrialStatus.SYS_CANCELED, None,
                                   "the experiment stopped before the job was submitted"))
        if active:
            _run(["scancel", *[t.slurm_job_id for t in active if t.slurm_job_id]])
            self._wait_until_gone([t.slurm_job_id for t in active if t.slurm_job_id], timeout=60)
            self._poll_once()
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    # -- job script ---------------------------------------------------------------------------------

    def _job_name_prefix(self) -> str:
        return f"nni-{self.experiment_id}-"

    def _sbatch_options(self, job: TrialJob) -> list[str]:
        """The options that depend on the config and the trial's resource request (not on the trial)."""
        c = self.config
        options = [f"--chdir={self.trial_code_directory}"]
        for flag, value in (("--partition", c.partition), ("--account", c.account), ("--qos", c.qos)):
            if value:
                options.append(f"{flag}={value}")
        limit = c.time_limit or job.max_duration
        if limit:
            options.append(f"--time={slurm_time_limit(float(limit))}")
        if c.cpus_per_trial:
            options.append(f"--cpus-per-task={int(c.cpus_per_trial)}")
        if c.memory_per_trial:
            options.append(f"--mem={c.memory_per_trial}")
        if job.gpu_number > 0:
            if c.gpu_request == "gpus":
                options.append(f"--gpus={job.gpu_number}")
            else:
                options.append(f"--gres=gpu:{job.gpu_number}")
        options.extend(c.sbatch_options or [])
        return options

    def _job_script(self, job: TrialJob, trial_dir: Path) -> str:
        # Slurm sets CUDA_VISIBLE_DEVICES itself for the GPUs it gives the job (--gres / --gpus)
        env = trial_environment(job, platform=self.name, experiment_id=self.experiment_id, trial_dir=trial_dir,
                                code_dir=self.trial_code_directory)
        exports = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in env.items())
        setup = self.config.setup_script or ""
        exit_file = shlex.quote(str(trial_dir / EXIT_CODE_FILE))
        return (
            "#!/bin/bash\n"
            f"# NNI trial {job.trial_job_id} of experiment {self.experiment_id}\n"
            f"exec >>{shlex.quote(str(trial_dir / 'stdout'))} 2>>{shlex.quote(str(trial_dir / 'stderr'))}\n"
            f"{exports}\n"
            f"{setup}\n"
            f"cd {shlex.quote(str(self.trial_code_directory))}\n"
            f"bash -c {shlex.quote(job.command)}\n"
            "code=$?\n"
            f"echo $code > {exit_file}.tmp && mv {exit_file}.tmp {exit_file}\n"
            "exit $code\n"
        )

    # -- submission ---------------------------------------------------------------------------------

    def _submit_pending(self) -> None:
        with self._lock:
            bursts, self._to_submit = self._to_submit, []
        for burst in bursts:  # each burst (one submit_many) gives one sbatch per distinct resource request
            if not burst:
                continue
            groups: dict[tuple[str, ...], list[_Trial]] = {}
            for trial in burst:
                groups.setdefault(tuple(self._sbatch_options(trial.job)), []).append(trial)
            for options, trials in groups.items():
                self._sbatch(list(options), trials)

    def _sbatch(self, options: list[str], trials: list[_Trial]) -> None:
        ids = [t.job.trial_job_id for t in trials]
        name = self._job_name_prefix() + ids[0]
        common = [f"--job-name={name}", f"--comment=nni:{','.join(ids)}"]
        if len(trials) == 1:
            dest = trials[0].trial_dir / "slurm.out"
            argv = ["sbatch", "--parsable", *common, f"--output={dest}", f"--error={dest}", *options,
                    str(trials[0].trial_dir / "slurm_job.sh")]
        else:
            arrays = self.root / "slurm_arrays"
            arrays.mkdir(exist_ok=True)
            script = arrays / f"{name}.sh"
            scripts = " ".join(shlex.quote(str(t.trial_dir / "slurm_job.sh")) for t in trials)
            script.write_text("#!/bin/bash\n"
                              f"# NNI trials {', '.join(ids)} of experiment {self.experiment_id}, one per task\n"
                              f"scripts=({scripts})\n"
                              'exec bash "${scripts[$SLURM_ARRAY_TASK_ID]}"\n', encoding="utf-8")
            out = arrays / f"{name}_%a.out"
            argv = ["sbatch", "--parsable", *common, f"--array=0-{len(trials) - 1}", f"--output={out}",
                    f"--error={out}", *options, str(script)]
        result = _run(argv)
        if result.returncode != 0:
            message = (result.stderr or result.stdout).strip()
            _logger.warning("sbatch refused trials %s: %s", ", ".join(ids), message)
            for trial in trials:
                trial.state = "DONE"
                self._emit(TrialExited(trial.job.trial_job_id, time.time(), TrialStatus.FAILED, None,
                                       f"sbatch refused the job: {message}"))
            return
        job_id = result.stdout.strip().split(";")[0]
        for index, trial in enumerate(trials):
            with self._lock:
                trial.slurm_job_id = job_id if len(trials) == 1 else f"{job_id}_{index}"
                trial.state = "SUBMITTED"
                cancel = trial.kill_status is not None
            _logger.info("trial %s submitted as Slurm job %s", trial.job.trial_job_id, trial.slurm_job_id)
            if cancel:  # killed while sbatch ran
                _run(["scancel", trial.slurm_job_id])

    # -- monitoring ---------------------------------------------------------------------------------

    def _emit(self, event: Any) -> None:
        assert self._sink is not None, "start() must be called first"
        self._sink(event)

    def _monitor(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                busy = any(t.state != "DONE" for t in self._trials.values())
                submitting = bool(self._to_submit)
            # Without jobs there is nothing to poll: sleep until submit/reattach/stop wakes us.
            if not submitting:
                self._wake.wait(timeout=self.poll_interval if busy else None)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self._submit_pending()
                self._poll_once()
            except Exception:  # a failing squeue must not kill the monitor; it retries next round
                _logger.exception("Slurm monitor round failed")

    def _poll_once(self) -> None:
        with self._lock:
            active = [t for t in self._trials.values() if t.state not in ("DONE", "SUBMITTING")]
        if not active:
            return
        states = self._query_states()
        for trial in active:
            self._read_metrics(trial)
            info = states.get(trial.slurm_job_id or "")
            if info is None:
                self._handle_missing(trial)
                continue
            trial.missing_rounds = 0
            state, reason = info
            if state in _WAITING_STATES:
                if (state, reason) != (trial.state, trial.reason):
                    trial.state, trial.reason = state, reason
                    self._emit(TrialWaiting(trial.job.trial_job_id, f"Slurm job {trial.slurm_job_id} is "
                                            f"{state.lower()}: {reason}"))
            elif state in _RUNNING_STATES:
                self._mark_started(trial)
                trial.state = state
            else:
                self._finish(trial, state, reason)

    def _mark_started(self, trial: _Trial) -> None:
        if not trial.started:
            trial.started = True
            self._emit(TrialStarted(trial.job.trial_job_id, time.time(), {
                "slurm_job_id": trial.slurm_job_id,
                "trial_dir": str(trial.trial_dir),
            }))

    def _handle_missing(self, trial: _Trial) -> None:
        # Slurm forgets finished jobs after MinJobAge; the job script's exit record still tells.
        exit_code = read_exit_code(trial.trial_dir)
        if exit_code is not None:
            self._finish(trial, "COMPLETED" if exit_code == 0 else "FAILED", "")
            return
        trial.missing_rounds += 1
        if trial.missing_rounds >= 3:
            self._finish(trial, "LOST", f"Slurm job {trial.slurm_job_id} is no longer known to Slurm "
                                        "and left no exit record")

    def _finish(self, trial: _Trial, state: str, reason: str) -> None:
        if state != "LOST":
            self._mark_started(trial)
        self._read_metrics(trial)
        exit_code = read_exit_code(trial.trial_dir)
        if trial.kill_status is not None:
            status, text = trial.kill_status, f"cancelled by NNI (Slurm state {state})"
        elif state == "COMPLETED":
            status, text = ((TrialStatus.SUCCEEDED, "") if exit_code in (0, None)
                            else (TrialStatus.FAILED, f"exit code {exit_code}"))
        elif state == "CANCELLED":
            status, text = TrialStatus.SYS_CANCELED, f"Slurm job {trial.slurm_job_id} was cancelled outside NNI (scancel)"
        elif state in _FAILED_STATES:
            status = TrialStatus.FAILED
            text = f"Slurm job {trial.slurm_job_id}: {_FAILED_STATES[state]} ({state}"
            text += f", {reason})" if reason and reason != "None" else ")"
            if exit_code is not None:
                text += f", exit code {exit_code}"
        else:
            status, text = TrialStatus.FAILED, reason or f"Slurm job {trial.slurm_job_id} ended in state {state}"
        if exit_code is None and trial.slurm_job_id:
            exit_code = self._scontrol_exit_code(trial.slurm_job_id)
        trial.state = "DONE"
        self._emit(TrialExited(trial.job.trial_job_id, time.time(), status, exit_code, text))

    def _read_metrics(self, trial: _Trial) -> None:
        events, trial.metrics_offset, errors = read_metric_events(trial.job.trial_job_id, trial.trial_dir,
                                                                  trial.metrics_offset)
        for error in errors:
            _logger.warning("trial %s: %s", trial.job.trial_job_id, error)
        if events:
            self._mark_started(trial)  # a short job can report and end between two squeue rounds
        for event in events:
            self._emit(event)

    def _squeue(self) -> list[tuple[str, str, str, list[str]]]:
        """``(job id, state, reason, trial ids)`` of this experiment's jobs Slurm still knows, one line per
        array task (``-r``: task ids look like ``123_4``)."""
        prefix = self._job_name_prefix()
        result = _run(["squeue", "--me", "-r", "-h", "-t", "all", "-o", "%i|%j|%T|%r|%k"])
        if result.returncode != 0:
            raise SlurmError(f"squeue failed: {result.stderr.strip()}")
        jobs = []
        for line in result.stdout.splitlines():
            parts = line.strip().split("|", 4)
            if len(parts) == 5 and parts[1].startswith(prefix):
                trial_ids = parts[4].removeprefix("nni:").split(",") if parts[4].startswith("nni:") else []
                jobs.append((parts[0], parts[2], parts[3], trial_ids))
        return jobs

    def _query_states(self) -> dict[str, tuple[str, str]]:
        """``{slurm job id: (state, reason)}`` for every job of this experiment Slurm still knows."""
        return {job_id: (state, reason) for job_id, state, reason, _ in self._squeue()}

    def _find_job(self, trial_job_id: str) -> str | None:
        """The Slurm job (or array task) running a trial, from the trial ids in the jobs' comments."""
        for job_id, _state, _reason, trial_ids in self._squeue():
            array_id, _, task = job_id.partition("_")
            if task.isdigit():
                if int(task) < len(trial_ids) and trial_ids[int(task)] == trial_job_id:
                    return job_id
            elif trial_ids == [trial_job_id]:
                return job_id
        return None

    def _scontrol_exit_code(self, slurm_job_id: str) -> int | None:
        result = _run(["scontrol", "show", "job", slurm_job_id])
        for token in result.stdout.split():
            if token.startswith("ExitCode="):
                code, _, signal = token.removeprefix("ExitCode=").partition(":")
                try:
                    return int(code) if int(signal or 0) == 0 else 128 + int(signal)
                except ValueError:
                    return None
        return None

    def _wait_until_gone(self, job_ids: Sequence[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.2
        wanted = set(job_ids)
        while time.monotonic() < deadline:
            states = self._query_states()
            if not any(states.get(j, ("", ""))[0] in _WAITING_STATES | _RUNNING_STATES for j in wanted):
                return
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        _logger.warning("Slurm jobs %s still listed %.0f s after scancel", sorted(wanted), timeout)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise SlurmError(f"{argv[0]} not found: the Slurm client tools must be installed and on PATH "
                         "on the machine that runs the experiment") from None
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"{argv[0]} timed out after 60 s")
