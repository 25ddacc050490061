"""The platform conformance suite: what every training platform (local, remote, Slurm...) must do.

Subclass :class:`PlatformConformance` in a test module, in a class whose name starts with ``Test``::

    from nni.testing.platform_conformance import PlatformConformance
    from nni.platforms.local import LocalPlatform

    class TestLocal(PlatformConformance):
        def make_platform(self, experiment_dir):
            return LocalPlatform(experiment_dir, self.experiment_id, kill_grace=2.0)

``make_platform(experiment_dir)`` returns a new, not yet started platform for experiment
``self.experiment_id`` (the environment test checks ``NNI_EXP_ID``); the reattach test calls it
twice with the same folder (the second instance plays the restarted manager). Hooks to override:
``python`` (the interpreter on the machine that runs trials), ``code_dir(tmp_path)`` (the trial code
folder handed to the platform; the suite writes its trial script there), ``process_alive(pid)`` (can
this pid still be seen on the trial machine; ``None`` = the suite cannot tell, skip those checks),
``timeout`` (seconds to wait for any event) and ``supports_max_duration``.

Checked: started, metrics in order and exactly once with growing offsets, exit SUCCEEDED / FAILED with
the exit code; NNI's environment variables and ``parameter.cfg`` as the trial sees them, NNI's variables
winning over a job ``env`` entry of the same name; ``read_file``;
kill with the status given and no process left; ``stop`` leaves no process; ``reattach`` after a
"manager restart" goes on from ``metrics_offset`` without repeating a metric, and refuses what is gone.
"""

from __future__ import annotations

import json
import secrets
import string
import sys
from pathlib import Path
from typing import Any

from nni.platforms.base import Platform, TrialJob, TrialMetric, TrialStarted
from nni.testing._events import EventLog
from nni.testing._net import wait_until
from nni.testing._process import pid_alive

__all__ = ["PlatformConformance", "EventLog", "TRIAL_SCRIPT"]

TRIAL_SCRIPT = r'''
import json, os, subprocess, sys, time
import nni

mode = sys.argv[1]
params = nni.get_next_parameter()
out = os.environ.get("NNI_OUTPUT_DIR", ".")
names = ["NNI_PLATFORM", "NNI_EXP_ID", "NNI_TRIAL_JOB_ID", "NNI_SYS_DIR", "NNI_OUTPUT_DIR", "NNI_TRIAL_SEQ_ID",
         "NNI_CODE_DIR", "CUDA_VISIBLE_DEVICES", "NNI_CONFORMANCE_EXTRA"]
with open(os.path.join(out, "seen.json"), "w") as f:
    json.dump({"env": {n: os.environ.get(n) for n in names}, "params": params, "cwd": os.getcwd(),
               "pid": os.getpid()}, f)
print("conformance trial says hello", flush=True)
print("conformance trial writes stderr", file=sys.stderr, flush=True)
if mode == "ok":
    for i in range(3):
        nni.report_intermediate_result({"default": params["x"] * i, "step": i})
    nni.report_final_result(params["x"])
elif mode == "fail":
    nni.report_intermediate_result(1.0)
    sys.exit(3)
elif mode == "slow":
    nni.report_intermediate_result(1.0)
    time.sleep(float(params.get("pause", 3)))
    nni.report_final_result(2.0)
elif mode == "hang":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(os.path.join(out, "pids.json"), "w") as f:
        json.dump([os.getpid(), child.pid], f)
    nni.report_intermediate_result(1.0)
    time.sleep(600)
'''


def _trial_id() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(5))


class PlatformConformance:
    """See the module docstring. Each ``test_*`` method is one pytest test."""

    python: str = sys.executable
    timeout: float = 60.0
    supports_max_duration: bool = True
    experiment_id: str = "confexp1"

    # -- hooks ----------------------------------------------------------------------------------------
    def make_platform(self, experiment_dir: Path) -> Platform:
        raise NotImplementedError("subclasses return a new platform for experiment_dir")

    def code_dir(self, tmp_path: Path) -> Path:
        folder = tmp_path / "code"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def process_alive(self, pid: int) -> bool | None:
        """Whether ``pid`` still runs on the trial machine (default: this machine; zombies count as gone)."""
        return pid_alive(pid)

    # -- helpers --------------------------------------------------------------------------------------
    def _setup(self, tmp_path: Path) -> tuple[Path, Path]:
        code = self.code_dir(tmp_path)
        (code / "conformance_trial.py").write_text(TRIAL_SCRIPT, encoding="utf-8")
        experiment_dir = tmp_path / "experiment"
        experiment_dir.mkdir(exist_ok=True)
        return code, experiment_dir

    def _job(self, code: Path, mode: str, sequence_id: int = 0, **params: Any) -> TrialJob:
        return TrialJob(
            trial_job_id=_trial_id(), sequence_id=sequence_id, parameter_id=100 + sequence_id,
            parameters={"x": 0.5, **params}, command=f"{self.python} conformance_trial.py {mode}",
            code_dir=str(code),
        )

    def _started(self, platform: Platform, log: EventLog, job: TrialJob) -> None:
        platform.submit(job)
        log.wait(lambda: bool(log.of(job.trial_job_id, TrialStarted)), self.timeout, f"{job.trial_job_id} to start")

    def _seen(self, platform: Platform, trial_job_id: str) -> dict[str, Any]:
        return json.loads(platform.read_file(trial_job_id, "seen.json"))

    def _assert_gone(self, pids: list[int]) -> None:
        try:
            wait_until(lambda: not any(self.process_alive(pid) for pid in pids), 10, f"processes {pids} to end")
        except AssertionError:
            left = [pid for pid in pids if self.process_alive(pid)]
            raise AssertionError(f"processes {left} are still running after the trial ended") from None

    # -- the suite ------------------------------------------------------------------------------------
    def test_trial_runs_reports_metrics_in_order_and_succeeds(self, tmp_path: Path) -> None:
        code, exp = self._setup(tmp_path)
        platform, log = self.make_platform(exp), EventLog()
        platform.start(log)
        try:
            job = self._job(code, "ok")
            platform.submit(job)
            exit_event = log.exited(job.trial_job_id, self.timeout)
            assert (exit_event.status, exit_event.exit_code) == ("SUCCEEDED", 0), exit_event
            events = log.of(job.trial_job_id)
            kinds = [type(e).__name__ for e in events if not type(e).__name__ == "TrialWaiting"]
            assert kinds == ["TrialStarted", "TrialMetric", "TrialMetric", "TrialMetric", "TrialMetric",
                             "TrialExited"], kinds
            metrics = [e for e in events if isinstance(e, TrialMetric)]
            assert [(m.record.type, m.record.sequence) for m in metrics] == \
                [("PERIODICAL", 0), ("PERIODICAL", 1), ("PERIODICAL", 2), ("FINAL", 0)]
            assert [m.record.value for m in metrics] == [{"default": 0.0, "step": 0}, {"default": 0.5, "step": 1},
                                                         {"default": 1.0, "step": 2}, 0.5]
            offsets = [m.offset for m in metrics]
            assert offsets == sorted(offsets) and len(set(offsets)) == 4, offsets
            assert all(m.record.parameter_id == job.parameter_id for m in metrics)
        finally:
            platform.stop()

    def test_environment_parameter_file_and_read_file(self, tmp_path: Path) -> None:
        code, exp = self._setup(tmp_path)
        platform, log = self.make_platform(exp), EventLog()
        platform.start(log)
        try:
            job = self._job(code, "ok", sequence_id=7, lr=0.01)
            platform.submit(job)
            assert log.exited(job.trial_job_id, self.timeout).status == "SUCCEEDED"
            seen = self._seen(platform, job.trial_job_id)
            env = seen["env"]
            assert env["NNI_PLATFORM"] and env["NNI_PLATFORM"] != "standalone"
            assert env["NNI_EXP_ID"] == self.experiment_id
            assert env["NNI_TRIAL_JOB_ID"] == job.trial_job_id
            assert env["NNI_TRIAL_SEQ_ID"] == "7"
            assert env["NNI_SYS_DIR"] and env["NNI_OUTPUT_DIR"] and env["NNI_CODE_DIR"]
            assert env["CUDA_VISIBLE_DEVICES"] is None  # no GPU asked, none assigned
            assert seen["params"] == {"x": 0.5, "lr": 0.01}
            cfg = json.loads(platform.read_file(job.trial_job_id, "parameter.cfg"))
            assert cfg["parameter_id"] == job.parameter_id and cfg["parameters"] == {"x": 0.5, "lr": 0.01}
            assert b"conformance trial says hello" in platform.read_file(job.trial_job_id, "stdout")
            assert b"conformance trial writes stderr" in platform.read_file(job.trial_job_id, "stderr")
        finally:
            platform.stop()

    def test_nni_variables_win_over_the_job_env(self, tmp_path: Path) -> None:
        """One precedence rule on every platform: a job ``env`` entry reaches the trial, except where it names
        one of NNI's own variables (or CUDA_VISIBLE_DEVICES): NNI's value wins there."""
        code, exp = self._setup(tmp_path)
        platform, log = self.make_platform(exp), EventLog()
        platform.start(log)
        try:
            job = self._job(code, "ok", sequence_id=3)
            job.env = {"NNI_TRIAL_JOB_ID": "wrong", "NNI_SYS_DIR": "/wrong", "NNI_OUTPUT_DIR": "/wrong",
                       "NNI_EXP_ID": "wrongexp", "NNI_TRIAL_SEQ_ID": "99", "CUDA_VISIBLE_DEVICES": "7",
                       "NNI_CONFORMANCE_EXTRA": "from the job"}
            platform.submit(job)
            assert log.exited(job.trial_job_id, self.timeout).status == "SUCCEEDED"
            env = self._seen(platform, job.trial_job_id)["env"]
            assert env["NNI_TRIAL_JOB_ID"] == job.trial_job_id
            assert env["NNI_EXP_ID"] == self.experiment_id
            assert env["NNI_TRIAL_SEQ_ID"] == "3"
            assert env["NNI_SYS_DIR"] != "/wrong" and env["NNI_OUTPUT_DIR"] != "/wrong"
            assert env["CUDA_VISIBLE_DEVICES"] is None  # no GPU asked: none, whatever the job's env says
            assert env["NNI_CONFORMANCE_EXTRA"] == "from the job"
            assert len(log.of(job.trial_job_id, TrialMetric)) == 4  # its metrics went to its own folder
        finally:
            platform.stop()

    def test_failing_command_is_failed_with_its_exit_code(self, tmp_path: Path) -> None:
        code, exp = self._setup(tmp_path)
        platform, log = self.make_platform(exp), EventLog()
        platform.start(log)
        try:
            job = self._job(code, "fail")
            platform.submit(job)
            exit_event = log.exited(job.trial_job_id, self.timeout)
            assert (exit_event.status, exit_event.exit_code) == ("FAILED", 3), exit_event
            assert len(log.of(job.trial_job_id, TrialMetric)) == 1, log.events
            missing = self._job(code, "ok")
            missing.command = "nni-conformance-no-such-command-xyz"
            platform.submit(missing)
            assert log.exited(missing.trial_job_id, self.timeout).status == "FAILED"
        finally:
            platform.stop()

    def test_kill_ends_the_trial_and_its_children(self, tmp_path: Path) -> None:
        code, exp = self._setup(tmp_path)
        platform, log = self.make_platform(exp), EventLog()
        platform.start(log)
        try:
            job = self._job(code, "hang")
            self._started(platform, log, job)
            log.wait(lambda: bool(log.of(job.trial_job_id, TrialMetric)), self.timeout, "the first metric")
            pids = json.loads(platform.read_file(job.trial_job_id, "pids.json"))
            platform.kill(job.trial_job_id, "EARLY_STOPPED")
            assert log.exited(job.trial_job_id, self.timeout).status == "EARLY_STOPPED"
            self._assert_gone(pids)
        finally:
            platform.stop()

    def test_stop_leaves_no_process(self, tmp_path: Path) -> None:
        code, exp = self._setup(tmp_path)
        platform, log = self.make_platform(exp), EventLog()
        platform.start(log)
        jobs = [self._job(code, "hang", sequence_id=i) for i in range(2)]
        pids: list[int] = []
        try:
            for job in jobs:
                self._started(platform, log, job)
            for job in jobs:
                log.wait(lambda j=job: bool(log.of(j.trial_job_id, TrialMetric)), self.timeout, "a metric")
                pids += json.loads(platform.read_file(job.trial_job_id, "pids.json"))
        finally:
            platform.stop()
        self._assert_gone(pids)

    def test_max_duration_cancels(self, tmp_path: Path) -> None:
        if not self.supports_max_duration:
            return
        code, exp = self._setup(tmp_path)
        platform, log = self.make_platform(exp), EventLog()
        platform.start(log)
        try:
            job = self._job(code, "hang")
            job.max_duration = 1.0
            platform.submit(job)
            assert log.exited(job.trial_job_id, self.timeout).status == "SYS_CANCELED"
        finally:
            platform.stop()

    def test_reattach_after_restart_goes_on_without_repeating(self, tmp_path: Path) -> None:
        code, exp = self._setup(tmp_path)
        first, log1 = self.make_platform(exp), EventLog()
        first.start(log1)
        second: Platform | None = None
        try:
            job = self._job(code, "slow", pause=3)
            self._started(first, log1, job)
            log1.wait(lambda: bool(log1.of(job.trial_job_id, TrialMetric)), self.timeout, "the first metric")
            handle = log1.of(job.trial_job_id, TrialStarted)[0].handle
            consumed = log1.of(job.trial_job_id, TrialMetric)[0].offset
            # the "manager" restarts: a new platform instance follows the same trial
            second, log2 = self.make_platform(exp), EventLog()
            second.start(log2)
            job.metrics_offset = consumed
            assert second.reattach(job, handle) is True
            exit_event = log2.exited(job.trial_job_id, self.timeout)
            assert exit_event.status == "SUCCEEDED", exit_event
            metrics = log2.of(job.trial_job_id, TrialMetric)
            assert [(m.record.type, m.record.value) for m in metrics] == [("FINAL", 2.0)], metrics
            assert metrics[0].offset > consumed
            gone = self._job(code, "ok")
            assert second.reattach(gone, {}) is False  # never ran: nothing to follow
        finally:
            if second is not None:
                second.stop()
            first.stop()
