"""``ExperimentManager``: the experiment loop. One thread owns every piece of mutable state.

Platform events (``Platform.start(sink)``), commands (``manager.control.send(cmd) -> Future``) and a stop
request all go into one queue; the loop blocks on it (with a timeout only up to the next deadline:
maxExperimentDuration, a trial's maxTrialDuration) and handles what it finds in order. Every change is
written to the store before its side effect (submit, kill, tuner call): persist, then act, so a
``resume`` replays exactly.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import string
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nni.errors import NNIError, WaitForResults
from nni.platforms.base import Platform, TrialExited, TrialJob, TrialMetric, TrialStarted, TrialWaiting
from nni.status import ExperimentStatus
from nni.storage import ExperimentStore, NewMetric, TrialRecord

from . import commands as cmd
from ._algorithm_calls import AlgorithmCaller, AlgorithmFailure
from ._commands import CommandHandlers
from ._config_view import ManagerConfig, read_config
from ._lifecycle import Lifecycle

__all__ = ["ExperimentManager"]

_log = logging.getLogger("nni.manager")
_ID_CHARS = string.ascii_letters + string.digits
_STOP_GRACE = 20.0  # seconds to wait for killed trials to report their exit when stopping


@dataclass
class _Active:
    """A trial the loop follows (created, not yet exited)."""

    record: TrialRecord
    history: list[Any] = field(default_factory=list)
    started: float | None = None  # monotonic time it started running (for maxTrialDuration)
    kill_status: str | None = None


class _Control:
    """``ManagerControl`` of one manager: puts commands into its queue."""

    def __init__(self, manager: ExperimentManager) -> None:
        self._manager = manager

    def send(self, command: cmd.Command) -> Future[Any]:
        future: Future[Any] = Future()
        if self._manager._closed.is_set():
            future.set_exception(NNIError(
                f"the experiment has ended ({self._manager.status}); {type(command).__name__} needs a running "
                "experiment (nnictl resume ID runs it again)"))
            return future
        self._manager._queue.put(("command", command, future))
        return future


class ExperimentManager(CommandHandlers, Lifecycle):
    """Runs one experiment. Public API (used by the launcher, the REST app and the Python API):

    - ``ExperimentManager(config, experiment_dir, experiment_id, *, store, platform=None, resume=False)``:
      ``config`` is an ``nni.config.ExperimentConfig`` (or its camelCase dict); ``store`` the experiment's
      ``nni.storage.ExperimentStore`` (``run()`` closes it when done); ``platform`` defaults to the one the
      config names; ``resume`` continues an experiment from its store. ``tuner=`` / ``assessor=`` give
      ready instances instead of the config's (tests, the Python API).
    - ``.control``: ``ManagerControl``; ``control.send(command) -> Future`` (see ``nni.manager.commands``).
    - ``.run()``: blocks until the experiment is DONE, STOPPED or ERROR and every trial is cleaned up;
      returns that status.
    - ``.request_stop()``: thread-safe; ``run()`` then stops the trials and returns ``"STOPPED"``.
    - ``.status``: the current experiment status (read-only; the store is the source of truth).
    """

    def __init__(self, config: Any, experiment_dir: str | os.PathLike[str], experiment_id: str, *,
                 store: ExperimentStore, platform: Platform | None = None, resume: bool = False,
                 tuner: Any = None, assessor: Any = None, stop_grace: float = _STOP_GRACE) -> None:
        self.config: ManagerConfig = read_config(config)
        self.experiment_dir = Path(experiment_dir)
        self.experiment_id = experiment_id
        self.store = store
        self.resume = resume
        self._platform = platform
        self._tuner = tuner
        self._assessor = assessor
        self._stop_grace = stop_grace
        self._queue: queue.SimpleQueue[tuple[str, Any, Any]] = queue.SimpleQueue()
        self._closed = threading.Event()
        self.control = _Control(self)
        self.status = "INITIALIZED"
        self._active: dict[str, _Active] = {}
        self._queued: deque[TrialRecord] = deque()  # created, not yet submitted (no free slot yet)
        self._limits: dict[str, Any] = self.config.limits()
        # Trials whose last intermediate result went to the tuner as their result (includeIntermediateResults).
        self._early_results: set[str] = set()
        self._counted = 0  # trials that count toward maxTrialNumber
        self._next_sequence = 0
        self._next_parameter = 0
        self._wait_results = False
        self._no_more = False
        self._duration_over = False
        self._run_start = time.monotonic()
        self._elapsed_before = 0.0
        self._stats: dict[str, Any] = {}
        self._calls: AlgorithmCaller | None = None
        self._replaying = False
        self._stop_futures: list[Future[Any]] = []
        self._leftover: list[tuple[str, Any, Any]] = []  # queue items not handled when a tuner failed
        self._log_handler: logging.Handler | None = None

    # ================================================================ public
    def request_stop(self) -> None:
        """Ask the loop to stop the experiment (thread-safe; returns at once)."""
        self._queue.put(("stop", None, None))

    @property
    def platform(self) -> Platform | None:
        return self._platform

    def run(self) -> str:
        profile = self.store.profile()
        problem = None
        if self.resume and profile is None:
            problem = f"cannot resume {self.experiment_id}: its store in {self.experiment_dir} is empty"
        elif profile is not None and not self.resume:
            problem = (f"{self.experiment_dir} already holds experiment {profile.experiment_id}; "
                       "resume it (resume=True / nnictl resume) or use a new folder")
        if problem is not None:
            self._closed.set()
            self.store.close()
            raise NNIError(problem)
        self._setup_logging()
        final = "STOPPED"
        try:
            final = self._run()
        finally:
            self._closed.set()
            self._drain_commands_after_end()
            for future in self._stop_futures:
                if not future.done():
                    future.set_result(final)
            _log.info("experiment %s ended: %s", self.experiment_id, final)
            try:
                self.store.close()
            finally:
                self._teardown_logging()
        return final

    # ================================================================ setup
    def _setup_logging(self) -> None:
        log_dir = self.experiment_dir / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_dir / "nnimanager.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s (%(name)s) %(message)s"))
        level = getattr(logging, self.config.log_level.upper(), logging.INFO)
        handler.setLevel(level)
        # the launcher writes its own lines to this file through its own handler: do not write them twice
        handler.addFilter(lambda record: not record.name.startswith("nni.launcher"))
        root = logging.getLogger("nni")
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > level:
            root.setLevel(level)
        self._log_handler = handler

    def _teardown_logging(self) -> None:
        if self._log_handler is not None:
            logging.getLogger("nni").removeHandler(self._log_handler)
            self._log_handler.close()

    def _create_algorithms(self) -> None:
        os.environ["NNI_EXP_ID"] = self.experiment_id
        os.environ["NNI_CHECKPOINT_DIRECTORY"] = str(self.experiment_dir / "checkpoint")
        os.environ.setdefault("NNI_LOG_DIRECTORY", str(self.experiment_dir / "log"))
        from ._algorithms import create_algorithm

        try:
            if self._tuner is None:
                spec = self.config.advisor or self.config.tuner
                if spec is None:
                    raise NNIError("the config names no tuner (tuner: {name: TPE, ...}) and no advisor")
                self._tuner = create_algorithm(spec, "advisor" if self.config.advisor else "tuner")
            if self._assessor is None and self.config.assessor is not None and self.config.advisor is None:
                self._assessor = create_algorithm(self.config.assessor, "assessor")
        except Exception as exc:
            import traceback

            raise AlgorithmFailure(str(exc), traceback.format_exc()) from exc
        self._calls = AlgorithmCaller(self._tuner, self._assessor)

    def _create_platform(self) -> None:
        if self._platform is None:
            from ._platforms import create_platform

            self._platform = create_platform(self.config, self.experiment_dir, self.experiment_id)

    # ================================================================ main
    def _run(self) -> str:
        try:
            profile = self.store.profile()
            if profile is None:
                self.store.init_profile(self.experiment_id, self.config.experiment_name, self.config.json,
                                        self.config.search_space, self._limits)
            self._create_algorithms()
            self._create_platform()
            assert self._platform is not None
            if self.resume:
                from ._resume import resume_state

                resume_state(self)
            else:
                self._set_search_space(self.config.search_space, log=True)
            self._platform.start(self._sink)
            if self.resume:
                from ._resume import reattach_trials

                reattach_trials(self)
            self._set_status("RUNNING")
            self._loop()
        except AlgorithmFailure as exc:
            _log.error("%s\n%s", exc, exc.traceback_text)
            self._shutdown("SYS_CANCELED", f"experiment error: {exc}")
            self._set_status("ERROR", error=str(exc), traceback=exc.traceback_text, end=True)
        except BaseException as exc:
            import traceback

            text = traceback.format_exc()
            _log.error("manager failure: %s\n%s", exc, text)
            try:
                self._shutdown("SYS_CANCELED", f"experiment error: {exc}")
            finally:
                if self.store.profile() is not None:
                    self._set_status("ERROR", error=f"{type(exc).__name__}: {exc}", traceback=text, end=True)
                else:
                    self.status = "ERROR"
            if not isinstance(exc, (Exception, KeyboardInterrupt)):
                raise
        return self.status

    def _sink(self, event: Any) -> None:
        self._queue.put(("event", event, None))

    def _loop(self) -> None:
        self._schedule()
        self._check_done()  # a resumed experiment may have nothing left to run or wait for
        while self.status not in ExperimentStatus.final():
            timeout = self._next_deadline_in()
            try:
                item = self._queue.get(timeout=timeout) if timeout is None or timeout > 0 else None
            except queue.Empty:
                item = None
            batch = [] if item is None else [item]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = self._handle_batch(batch)
            self._check_deadlines()
            if stop:
                self._stop()
                return
            self._schedule()
            self._check_done()

    # ================================================================ batches of queue items
    def _handle_batch(self, batch: list[tuple[str, Any, Any]]) -> bool:
        """Handle events and commands in order; consecutive metrics are stored in one transaction.

        If handling fails (a tuner error), what is left of the batch waits in ``_leftover`` so that
        stopping still sees those trial exits."""
        stop = False
        metrics: list[TrialMetric] = []
        next_item = 0
        try:
            for index, (kind, payload, future) in enumerate(batch):
                if kind == "event" and isinstance(payload, TrialMetric):
                    metrics.append(payload)
                    continue
                if metrics:
                    self._on_metrics(metrics)
                    metrics = []
                next_item = index + 1
                if kind == "event":
                    self._on_event(payload)
                elif kind == "command":
                    if isinstance(payload, cmd.StopExperiment):
                        self._stop_futures.append(future)
                        stop = True
                    else:
                        self._run_command(payload, future)
                elif kind == "stop":
                    stop = True
            next_item = len(batch)
            if metrics:
                self._on_metrics(metrics)
        except BaseException:
            self._leftover = [item for item in batch[next_item:] if not (
                item[0] == "event" and isinstance(item[1], TrialMetric) and item[1] in metrics)]
            raise
        return stop

    def _on_event(self, event: Any) -> None:
        active = self._active.get(getattr(event, "trial_job_id", ""))
        if active is None:
            _log.debug("event for a trial not followed (ended already?): %r", event)
            return
        trial_id = active.record.trial_job_id
        if isinstance(event, TrialWaiting):
            active.record = self.store.add_trial_event(trial_id, "WAITING", {"reason": event.reason})
        elif isinstance(event, TrialStarted):
            active.record = self.store.add_trial_event(trial_id, "RUNNING", {"handle": event.handle},
                                                       timestamp=event.timestamp)
            active.started = time.monotonic() - max(0.0, time.time() - event.timestamp)
            _log.info("trial %s running", trial_id)
        elif isinstance(event, TrialExited):
            self._on_exit(active, event)

    def _on_metrics(self, events: list[TrialMetric]) -> None:
        rows = []
        for ev in events:
            active = self._active.get(ev.trial_job_id)
            if active is None:
                _log.debug("metric for a trial not followed: %r", ev)
                continue
            r = ev.record
            rows.append(NewMetric(active.record.trial_job_id, active.record.parameter_id, r.type, r.sequence,
                                  r.value, r.timestamp, ev.offset))
        if not rows:
            return
        with self.store.transaction():
            added = self.store.add_metrics(rows)
            for m in added:
                if m.type == "FINAL" and m.trial_job_id not in self._early_results:
                    self.store.log_algorithm("receive", {"trial_job_id": m.trial_job_id})
        for m in added:
            active = self._active.get(m.trial_job_id)
            if active is None:
                continue
            if m.type == "FINAL":
                if m.trial_job_id not in self._early_results:  # else the tuner has its result already
                    self._receive_final(active.record, m.value)
                self._wait_results = False
            elif m.type == "PERIODICAL":
                active.history.append(m.value)
                self._assess(active)

    def _receive_final(self, record: TrialRecord, value: Any) -> None:
        assert self._calls is not None
        customized = self._is_customized(record)
        if customized and getattr(self._tuner, "_accept_customized", True) is False:
            return
        self._calls.tuner_call("receive_trial_result", record.parameter_id, record.parameters, value,
                               customized=customized, trial_job_id=record.trial_job_id)

    def _is_customized(self, record: TrialRecord) -> bool:
        if record.parameter_source == "customized":
            return True
        if record.parameter_source == "resumed" and record.resumed_from:
            origin = self.store.trial(record.resumed_from)
            return origin is not None and origin.parameter_source == "customized"
        return False

    def _assess(self, active: _Active) -> None:
        if self._assessor is None or active.kill_status is not None or self._calls is None:
            return
        from nni.assessor import AssessResult

        result = self._calls.assessor_call("assess_trial", active.record.trial_job_id, list(active.history))
        if result is AssessResult.Bad or result is False or getattr(result, "value", True) is False:
            _log.info("assessor: stop trial %s early", active.record.trial_job_id)
            self._kill(active, "EARLY_STOPPED", "the assessor stopped it early")
            tuner = self.config.tuner
            if (tuner is not None and tuner.include_intermediate_results and self.config.advisor is None
                    and self.store.trial(active.record.trial_job_id).final_metric is None):
                # NNI's includeIntermediateResults: the last intermediate result stands in for the final one
                # (unless the trial's own final result came in already, e.g. in the same batch).
                last = active.history[-1]
                self.store.log_algorithm("receive_intermediate", {"trial_job_id": active.record.trial_job_id,
                                                                  "value": last})
                self._early_results.add(active.record.trial_job_id)
                self._receive_final(active.record, last)

    def _on_exit(self, active: _Active, event: TrialExited) -> None:
        record = active.record
        del self._active[record.trial_job_id]
        success = event.status == "SUCCEEDED"
        with self.store.transaction():
            self.store.add_trial_event(record.trial_job_id, "EXITED",
                                       {"status": event.status, "exit_code": event.exit_code,
                                        "reason": event.reason}, timestamp=event.timestamp)
            self.store.log_algorithm("trial_end", {"trial_job_id": record.trial_job_id, "success": success})
            self._save_stats()
        _log.info("trial %s %s (exit code %s)%s", record.trial_job_id, event.status, event.exit_code,
                  f": {event.reason}" if event.reason else "")
        self._trial_end(record, success)
        self._wait_results = False

    def _trial_end(self, record: TrialRecord, success: bool) -> None:
        assert self._calls is not None
        self._calls.tuner_call("trial_end", record.parameter_id, success)
        if self._assessor is not None:
            self._calls.assessor_call("trial_end", record.trial_job_id, success)

    # ================================================================ creating and killing trials
    def _new_trial_id(self) -> str:
        while True:
            trial_id = "".join(secrets.choice(_ID_CHARS) for _ in range(5))
            if trial_id not in self._active and self.store.trial(trial_id) is None:
                return trial_id

    def _job(self, record: TrialRecord) -> TrialJob:
        return TrialJob(
            trial_job_id=record.trial_job_id, sequence_id=record.sequence_id, parameter_id=record.parameter_id,
            parameters=record.parameters, command=self.config.trial_command,
            code_dir=self.config.trial_code_directory, gpu_number=self.config.trial_gpu_number,
            parameter_source=record.parameter_source, metrics_offset=record.metrics_offset,
        )

    def _create(self, parameter_id: int, parameters: dict[str, Any], source: str,
                resumed_from: str | None = None) -> TrialRecord:
        """Persist a new trial (inside the caller's transaction when there is one)."""
        parameters = _plain(parameters)
        trial_id = self._new_trial_id()
        data: dict[str, Any] = {"sequence_id": self._next_sequence, "parameter_id": parameter_id,
                                "parameters": parameters, "parameter_source": source}
        if resumed_from:
            data["resumed_from"] = resumed_from
        self._next_sequence += 1
        record = self.store.add_trial_event(trial_id, "CREATED", data)
        if source != "resumed":
            self._counted += 1
        return record

    def _submit(self, record: TrialRecord) -> None:
        assert self._platform is not None
        self._active[record.trial_job_id] = _Active(record)
        _log.info("trial %s (sequence %d, parameter %d, %s) submitted: %s", record.trial_job_id,
                  record.sequence_id, record.parameter_id, record.parameter_source, record.parameters)
        self._platform.submit(self._job(record))

    def _kill(self, active: _Active, status: str, reason: str) -> None:
        if active.kill_status is not None:
            return
        active.kill_status = status
        active.record = self.store.add_trial_event(active.record.trial_job_id, "KILL",
                                                   {"status": status, "reason": reason})
        assert self._platform is not None
        self._platform.kill(active.record.trial_job_id, status)

    def _st_callback(self, parameter_id: int, parameters: dict[str, Any], *_: Any, **__: Any) -> None:
        """NNI's ``st_callback``: a tuner sends a trial on its own (e.g. after a result)."""
        if self._replaying:
            return
        self._next_parameter = max(self._next_parameter, int(parameter_id) + 1)
        with self.store.transaction():
            self.store.log_algorithm("st_callback", {"parameter_id": int(parameter_id)})
            self._queued.append(self._create(int(parameter_id), parameters, "algorithm"))
        if self.status == "NO_MORE_TRIAL":
            self._no_more = False
            self._set_status("RUNNING")

    def _free_slots(self) -> int:
        return int(self._limits["trialConcurrency"]) - len(self._active)

    def _trial_budget(self) -> int | None:
        max_trials = self._limits.get("maxTrialNumber")
        return None if max_trials is None else int(max_trials) - self._counted

    def _schedule(self) -> None:
        """Fill free slots: queued trials first (resumed, customized, st_callback), then new ones from the tuner."""
        assert self._calls is not None
        while self.status in ("RUNNING", "NO_MORE_TRIAL", "INITIALIZED") and not self._duration_over:
            free = self._free_slots()
            if free <= 0:
                return
            if self._queued:
                self._submit(self._queued.popleft())
                continue
            budget = self._trial_budget()
            if budget is not None and budget <= 0 and not self._queued and self.status == "RUNNING":
                self._set_status("NO_MORE_TRIAL")  # as NNI: every trial is submitted, waiting for them
            if self._no_more or self._wait_results or (budget is not None and budget <= 0):
                return
            count = free if budget is None else min(free, budget)
            self._generate(count)

    def _generate(self, count: int) -> None:
        assert self._calls is not None
        ids = list(range(self._next_parameter, self._next_parameter + count))
        self._next_parameter += count
        try:
            params_list = self._calls.tuner_call("generate_multiple_parameters", ids, st_callback=self._st_callback)
            outcome = "ok"
        except WaitForResults:
            params_list, outcome = [], "wait"
        params_list = list(params_list or [])[:count]
        with self.store.transaction():
            self.store.log_algorithm("generate", {"ids": ids, "returned": len(params_list), "outcome": outcome})
            records = [self._create(pid, params, "algorithm") for pid, params in zip(ids, params_list, strict=False)]
        for record in records:
            self._submit(record)
        if outcome == "wait":
            if self._active or self._queued:
                self._wait_results = True
                _log.info("tuner waits for results of running trials")
            else:
                _log.info("tuner waits for results but no trial is running: no more trials")
                self._no_more = True
        elif not params_list:
            # A shorter list may mean "no more" or "wait" (the base class hides which): only an empty
            # answer to a new request ends the tuner's trials.
            _log.info("tuner has no more trials")
            self._no_more = True
        if self._no_more and self.status == "RUNNING":
            self._set_status("NO_MORE_TRIAL")

    # ================================================================ status and stats
    def _set_status(self, status: str, *, error: str | None = None, traceback: str | None = None,
                    end: bool = False) -> None:
        self.status = status
        if end:
            self._save_stats()
        self.store.set_status(status, error=error, traceback=traceback, end_time=time.time() if end else None)
        _log.info("experiment %s: %s", self.experiment_id, status)

    def _save_stats(self) -> None:
        stats = dict(self._stats)
        if self._calls is not None:
            stats.update(self._calls.stats)
        stats["elapsed"] = self._elapsed_before + (time.monotonic() - self._run_start)
        self.store.set_stats(stats)

    def _set_search_space(self, space: dict[str, Any], *, log: bool) -> None:
        assert self._calls is not None
        with self.store.transaction():
            self.store.set_search_space(space)
            if log:
                self.store.log_algorithm("update_search_space", {"search_space": space})
        self._calls.tuner_call("update_search_space", space)


def _plain(value: Any) -> Any:
    """Parameters as plain JSON values: numpy scalars and arrays (which tuners often return) become
    Python numbers and lists, tuples become lists, dict keys strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    for method in ("tolist", "item"):  # numpy arrays / scalars, without importing numpy
        fn = getattr(value, method, None)
        if callable(fn):
            return _plain(fn())
    raise NNIError(f"the tuner returned a parameter value that is not JSON data: {value!r} ({type(value).__name__})")
