"""``ExperimentManager``: the experiment loop. One thread owns every piece of mutable state.

Platform events (``Platform.start(sink)``), commands (``manager.control.send(cmd) -> Future``) and a stop
request all go into one queue; the loop blocks on it (with a timeout only up to the next deadline:
maxExperimentDuration, a trial's maxTrialDuration) and handles what it finds in order. Every change is
written to the store before its side effect (submit, kill, tuner call): persist, then act, so a
``resume`` replays exactly.

The loop calls its parts: the state (``_state.ManagerState``), the scheduling and budget policy
(``_policy``), the algorithm journal that writes and replays the tuner calls (``_journal``), the trial
operations (``_trials``), the command handlers (``_commands``) and resume (``_resume``).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from nni.errors import NNIError
from nni.platforms.base import Platform, TrialExited, TrialMetric, TrialStarted, TrialWaiting
from nni.status import ExperimentStatus, TrialStatus
from nni.storage import ExperimentStore, NewMetric, TrialRecord

from . import _policy as policy
from . import commands as cmd
from ._algorithm_calls import AlgorithmCaller, AlgorithmFailure
from ._commands import CommandHandlers
from ._journal import AlgorithmJournal
from ._state import ActiveTrial, ManagerState, limits_of
from ._trials import TrialOps

__all__ = ["ExperimentManager"]

_log = logging.getLogger("nni.manager")
_STOP_GRACE = 20.0  # seconds to wait for killed trials to report their exit when stopping

_Item = tuple[str, Any, Any]  # ("event" | "command" | "stop", payload, future)


class _Control:
    """``ManagerControl`` of one manager: puts commands into its queue while it runs."""

    def __init__(self, items: queue.SimpleQueue[_Item], closed: threading.Event, state: ManagerState) -> None:
        self._items = items
        self._closed = closed
        self._state = state

    def send(self, command: cmd.Command) -> Future[Any]:
        future: Future[Any] = Future()
        if self._closed.is_set():
            future.set_exception(NNIError(
                f"the experiment has ended ({self._state.status}); {type(command).__name__} needs a running "
                "experiment (nnictl resume ID runs it again)"))
            return future
        self._items.put(("command", command, future))
        return future


def _typed_config(config: Any) -> Any:
    """The typed ``ExperimentConfig``; a camelCase (or v1) dict is parsed here, once."""
    if isinstance(config, dict):
        from nni.config import ExperimentConfig

        return ExperimentConfig.from_json(config)
    return config


def _mode_of(objectives: Any, judged: str | None, *, single: bool) -> dict[str, Any]:
    """``optimize_mode`` for an algorithm's constructor from the objective it uses (a tuner: the only one)."""
    if objectives is None or (single and objectives.is_multi):
        return {}
    return {"optimize_mode": objectives.judged(judged).mode}


def _named(algorithm: Any) -> Any:
    """An algorithm section that names one (not the empty placeholder), else None."""
    if algorithm is None or (algorithm.name is None and algorithm.class_name is None):
        return None
    return algorithm


class ExperimentManager:
    """Runs one experiment. Public API (used by the launcher, the REST app and the Python API):

    - ``ExperimentManager(config, experiment_dir, experiment_id, *, store, platform=None, resume=False)``:
      ``config`` is an ``nni.config.ExperimentConfig`` (or its camelCase dict); ``store`` the experiment's
      ``nni.storage.ExperimentStore`` (``run()`` closes it when done); ``platform`` defaults to the one the
      config names; ``resume`` continues an experiment from its store. ``tuner=`` / ``assessor=`` give
      ready instances instead of the config's (tests, the Python API). With ``stay_after_done`` the loop
      keeps taking commands once the experiment is DONE (as NNI's manager): raising maxTrialNumber or
      maxExperimentDuration then sends it back to RUNNING, its tuner continuing from its state; a stop
      ends it (still DONE). Without it, ``run()`` returns at DONE.
    - ``.control``: ``ManagerControl``; ``control.send(command) -> Future`` (see ``nni.manager.commands``).
    - ``.run()``: blocks until the experiment is DONE (and, with ``stay_after_done``, stopped), STOPPED or
      ERROR and every trial is cleaned up; returns that status.
    - ``.request_stop()``: thread-safe; ``run()`` then stops the trials and returns ``"STOPPED"``.
    - ``.status``: the current experiment status (read-only; the store is the source of truth).
    """

    def __init__(self, config: Any, experiment_dir: str | os.PathLike[str], experiment_id: str, *,
                 store: ExperimentStore, platform: Platform | None = None, resume: bool = False,
                 tuner: Any = None, assessor: Any = None, stop_grace: float = _STOP_GRACE,
                 stay_after_done: bool = False) -> None:
        self.config = _typed_config(config)
        self.experiment_dir = Path(experiment_dir)
        self.experiment_id = experiment_id
        self.store = store
        self.resume = resume
        self._platform = platform
        self._tuner = tuner
        self._assessor = assessor
        self._stop_grace = stop_grace
        self._stay_after_done = stay_after_done
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._state = ManagerState(limits=limits_of(self.config))
        self.control = _Control(self._queue, self._closed, self._state)
        # the parts built by run() once the algorithms and the platform exist
        self._journal: AlgorithmJournal | None = None
        self._trials: TrialOps | None = None
        self._commands: CommandHandlers | None = None
        self._stop_futures: list[Future[Any]] = []
        self._leftover: list[_Item] = []  # queue items not handled when a tuner failed
        self._log_handler: logging.Handler | None = None

    # ================================================================ public
    @property
    def status(self) -> ExperimentStatus:
        return self._state.status

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
        final: str = ExperimentStatus.STOPPED
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
        level = getattr(logging, (self.config.log_level or "info").upper(), logging.INFO)
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

    def _create_algorithms(self) -> AlgorithmJournal:
        os.environ["NNI_EXP_ID"] = self.experiment_id
        os.environ["NNI_CHECKPOINT_DIRECTORY"] = str(self.experiment_dir / "checkpoint")
        os.environ.setdefault("NNI_LOG_DIRECTORY", str(self.experiment_dir / "log"))
        from nni.algorithms import create_algorithm

        advisor = _named(self.config.advisor)
        objectives = self.config.objective_spec()
        assessor = _named(self.config.assessor)
        judged = assessor.class_args.get("objective") if assessor is not None else None
        try:
            if self._tuner is None:
                spec = advisor or _named(self.config.tuner)
                if spec is None:
                    raise NNIError("the config names no tuner (tuner: {name: TPE, ...}) and no advisor")
                kind = "advisor" if advisor else "tuner"
                self._tuner = create_algorithm(kind, spec, key=kind, defaults=_mode_of(objectives, None, single=True))
            if self._assessor is None and assessor is not None and advisor is None:
                self._assessor = create_algorithm("assessor", assessor, key="assessor",
                                                  defaults=_mode_of(objectives, judged, single=False))
            if judged is None and self._assessor is not None:
                judged = getattr(self._assessor, "objective", None)
        except Exception as exc:
            import traceback

            raise AlgorithmFailure(str(exc), traceback.format_exc()) from exc
        calls = AlgorithmCaller(self._tuner, self._assessor)
        if objectives is not None:
            if callable(getattr(self._tuner, "set_objectives", None)):
                calls.tuner_call("set_objectives", objectives)
            elif objectives.is_multi:
                raise AlgorithmFailure(f"tuner {type(self._tuner).__name__} cannot optimise {objectives.describe()} "
                                       "(it has no set_objectives(); subclass nni.tuner.Tuner)", "")
        return AlgorithmJournal(self.store, calls, self._st_callback, objectives=objectives, judged=judged)

    def _create_platform(self) -> Platform:
        if self._platform is None:
            from nni.platforms import PlatformContext, create_platform

            self._platform = create_platform(self.config, PlatformContext(
                self.experiment_id, self.experiment_dir, self.config.trial_code_directory))
        return self._platform

    # ================================================================ main
    def _run(self) -> ExperimentStatus:
        state, store = self._state, self.store
        try:
            if store.profile() is None:
                store.init_profile(self.experiment_id, self.config.experiment_name, self.config.to_json(),
                                   dict(self.config.search_space or {}), state.limits)
            journal = self._journal = self._create_algorithms()
            platform = self._create_platform()
            trials = self._trials = TrialOps(state, store, self.config, platform)
            self._commands = CommandHandlers(state=state, store=store, journal=journal, trials=trials,
                                             set_status=self._set_status, experiment_id=self.experiment_id)
            if self.resume:
                from ._resume import resume_state

                resume_state(state, store, journal, self.experiment_id)
            else:
                journal.update_search_space(dict(self.config.search_space or {}))
            platform.start(self._sink)
            if self.resume:
                from ._resume import reattach_trials

                reattach_trials(state, store, platform, trials, journal)
            self._set_status(ExperimentStatus.RUNNING)
            self._loop()
        except AlgorithmFailure as exc:
            _log.error("%s\n%s", exc, exc.traceback_text)
            self._shutdown(TrialStatus.SYS_CANCELED, f"experiment error: {exc}")
            self._set_status(ExperimentStatus.ERROR, error=str(exc), traceback=exc.traceback_text, end=True)
        except BaseException as exc:
            import traceback

            text = traceback.format_exc()
            _log.error("manager failure: %s\n%s", exc, text)
            try:
                self._shutdown(TrialStatus.SYS_CANCELED, f"experiment error: {exc}")
            finally:
                if store.profile() is not None:
                    self._set_status(ExperimentStatus.ERROR, error=f"{type(exc).__name__}: {exc}", traceback=text,
                                     end=True)
                else:
                    state.status = ExperimentStatus.ERROR
            if not isinstance(exc, (Exception, KeyboardInterrupt)):
                raise
        return state.status

    def _sink(self, event: Any) -> None:
        self._queue.put(("event", event, None))

    def _loop(self) -> None:
        self._schedule()
        self._check_done()  # a resumed experiment may have nothing left to run or wait for
        while self.status not in ExperimentStatus.final() or (
                self.status == ExperimentStatus.DONE and self._stay_after_done):
            timeout = policy.next_deadline_in(self._state, time.monotonic())
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
            if self.status == ExperimentStatus.DONE:  # no limit raised: it stays DONE
                if stop:
                    break
                continue
            self._check_deadlines()
            if stop:
                self._stop()
                return
            self._schedule()
            self._check_done()
        if self.status == ExperimentStatus.DONE:
            assert self._platform is not None
            self._platform.stop()

    # ================================================================ batches of queue items
    def _handle_batch(self, batch: list[_Item]) -> bool:
        """Handle events and commands in order; consecutive metrics are stored in one transaction.

        If handling fails (a tuner error), what is left of the batch waits in ``_leftover`` so that
        stopping still sees those trial exits."""
        assert self._commands is not None
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
                        self._commands.run(payload, future)
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
        active = self._state.active.get(getattr(event, "trial_job_id", ""))
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

    def _metric_rows(self, events: list[TrialMetric], *, log_unfollowed: bool = True) -> list[NewMetric]:
        rows = []
        for ev in events:
            active = self._state.active.get(ev.trial_job_id)
            if active is None:
                if log_unfollowed:
                    _log.debug("metric for a trial not followed: %r", ev)
                continue
            r = ev.record
            rows.append(NewMetric(active.record.trial_job_id, active.record.parameter_id, r.type, r.sequence,
                                  r.value, r.timestamp, ev.offset))
        return rows

    def _on_metrics(self, events: list[TrialMetric]) -> None:
        assert self._journal is not None
        state, journal = self._state, self._journal
        rows = self._metric_rows(events)
        if not rows:
            return
        unusable: set[int] = set()
        with self.store.transaction():
            added = self.store.add_metrics(rows)
            for m in added:
                if m.type == "FINAL" and m.trial_job_id not in state.early_results:
                    problem = journal.result_problem(m.value)
                    if problem is None:
                        journal.record_receive(m.trial_job_id)
                    else:  # stored as reported; the trial is marked FAILED with this reason when it exits
                        unusable.add(m.id)
                        _log.error("trial %s: final result unusable: %s", m.trial_job_id, problem)
        for m in added:
            active = state.active.get(m.trial_job_id)
            if active is None:
                continue
            if m.type == "FINAL":
                if m.trial_job_id not in state.early_results and m.id not in unusable:
                    journal.receive_final(active.record, m.value)
                state.wait_results = False
            elif m.type == "PERIODICAL":
                active.history.append(m.value)
                self._assess(active)

    def _assess(self, active: ActiveTrial) -> None:
        journal, trials = self._journal, self._trials
        if journal is None or trials is None or not journal.has_assessor or active.kill_status is not None:
            return
        from nni.assessor import AssessResult

        trial_id = active.record.trial_job_id
        result = journal.assess(trial_id, list(active.history))
        if result is AssessResult.Bad or result is False or getattr(result, "value", True) is False:
            _log.info("assessor: stop trial %s early", trial_id)
            trials.kill(active, TrialStatus.EARLY_STOPPED, "the assessor stopped it early")
            tuner = _named(self.config.tuner)
            if (tuner is not None and tuner.include_intermediate_results and _named(self.config.advisor) is None
                    and self.store.trial(trial_id).final_metric is None):
                # NNI's includeIntermediateResults: the last intermediate result stands in for the final one
                # (unless the trial's own final result came in already, e.g. in the same batch).
                last = active.history[-1]
                if journal.result_problem(last) is not None:
                    return
                journal.record_receive_intermediate(trial_id, last)
                self._state.early_results.add(trial_id)
                journal.receive_final(active.record, last)

    def _on_exit(self, active: ActiveTrial, event: TrialExited) -> None:
        assert self._journal is not None
        record = active.record
        del self._state.active[record.trial_job_id]
        status, reason = event.status, event.reason
        if status == TrialStatus.SUCCEEDED:
            final = self.store.trial(record.trial_job_id).final_metric
            problem = None if final is None else self._journal.result_problem(final)
            if problem is not None:
                status, reason = TrialStatus.FAILED, f"final result unusable: {problem}"
        success = status == TrialStatus.SUCCEEDED
        with self.store.transaction():
            self.store.add_trial_event(record.trial_job_id, "EXITED",
                                       {"status": status, "exit_code": event.exit_code,
                                        "reason": reason}, timestamp=event.timestamp)
            self._journal.record_trial_end(record.trial_job_id, success)
            self._save_stats()
        _log.info("trial %s %s (exit code %s)%s", record.trial_job_id, status, event.exit_code,
                  f": {reason}" if reason else "")
        self._journal.trial_end(record, success)
        self._state.wait_results = False

    # ================================================================ scheduling
    def _st_callback(self, parameter_id: int, parameters: dict[str, Any]) -> None:
        """A trial the tuner sent on its own (NNI's ``st_callback``, passed on by the journal)."""
        assert self._journal is not None and self._trials is not None
        state = self._state
        state.next_parameter = max(state.next_parameter, int(parameter_id) + 1)
        with self.store.transaction():
            self._journal.record_st_callback(int(parameter_id))
            state.queued.append(self._trials.create(int(parameter_id), parameters, "algorithm"))
        if state.status == ExperimentStatus.NO_MORE_TRIAL:
            state.no_more = False
            self._set_status(ExperimentStatus.RUNNING)

    def _schedule(self) -> None:
        """Fill free slots: queued trials first (resumed, customized, st_callback), then new ones from the tuner."""
        assert self._trials is not None
        followed: list[TrialRecord] = []
        try:
            while True:
                step = policy.next_step(self._state)
                if step.kind == "submit":
                    followed.append(self._trials.follow(self._state.queued.popleft()))
                elif step.kind == "generate":
                    followed.extend(self._generate(step.count))
                else:
                    if step.no_more_trial:
                        self._set_status(ExperimentStatus.NO_MORE_TRIAL)
                    return
        finally:
            self._trials.start(followed)  # together: a platform may start them as one unit

    def _generate(self, count: int) -> list[TrialRecord]:
        """New trials from the tuner, created and followed; the caller starts them."""
        assert self._journal is not None and self._trials is not None
        ids = self._state.take_parameter_ids(count)
        params_list, outcome = self._journal.generate(ids)
        params_list = params_list[:count]
        with self.store.transaction():
            self._journal.record_generate(ids, len(params_list), outcome)
            records = [self._trials.create(pid, params, "algorithm")
                       for pid, params in zip(ids, params_list, strict=False)]
        followed = [self._trials.follow(record) for record in records]
        if policy.after_generate(self._state, outcome, len(params_list)):
            self._set_status(ExperimentStatus.NO_MORE_TRIAL)
        return followed

    # ================================================================ deadlines and the end
    def _check_deadlines(self) -> None:
        state, trials = self._state, self._trials
        assert trials is not None
        now = time.monotonic()
        for active in policy.overdue_trials(state, now):
            max_trial = state.limits["maxTrialDuration"]
            trials.kill(active, TrialStatus.SYS_CANCELED, f"maxTrialDuration ({max_trial:g}s) reached")
        if policy.experiment_overdue(state, now):
            state.duration_over = True
            _log.info("maxExperimentDuration reached: stopping the running trials")
            for active in list(state.active.values()):
                trials.kill(active, TrialStatus.SYS_CANCELED, "maxExperimentDuration reached")
            trials.end_all_queued(TrialStatus.SYS_CANCELED, "maxExperimentDuration reached")

    def _check_done(self) -> None:
        if policy.is_done(self._state):
            self._state.pause_clock()
            self._set_status(ExperimentStatus.DONE, end=True)

    def _stop(self) -> None:
        self._set_status(ExperimentStatus.STOPPING)
        self._shutdown(TrialStatus.USER_CANCELED, "the experiment was stopped")
        self._set_status(ExperimentStatus.STOPPED, end=True)

    def _shutdown(self, status: TrialStatus, reason: str) -> None:
        """Kill what runs, wait (bounded) for the exits, stop the platform, record whatever remains."""
        trials, state, platform = self._trials, self._state, self._platform
        if trials is not None:  # else nothing was created yet: nothing is queued, nothing runs
            trials.end_all_queued(status, reason)
            for active in list(state.active.values()):
                try:
                    trials.kill(active, status, reason)
                except Exception:  # noqa: BLE001 - keep stopping the others
                    _log.exception("killing trial %s failed", active.record.trial_job_id)
        if platform is None:
            return
        deadline = time.monotonic() + self._stop_grace
        while state.active and time.monotonic() < deadline:
            if self._leftover:
                kind, payload, future = self._leftover.pop(0)
            else:
                try:
                    kind, payload, future = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if kind == "event":
                try:
                    if isinstance(payload, TrialMetric):
                        rows = self._metric_rows([payload], log_unfollowed=False)
                        if rows:
                            self.store.add_metrics(rows)
                    elif isinstance(payload, TrialExited) and payload.trial_job_id in state.active:
                        active = state.active.pop(payload.trial_job_id)
                        self.store.add_trial_event(active.record.trial_job_id, "EXITED",
                                                   {"status": payload.status, "exit_code": payload.exit_code,
                                                    "reason": payload.reason}, timestamp=payload.timestamp)
                except Exception:  # noqa: BLE001
                    _log.exception("while stopping: event %r", payload)
            elif kind == "command":
                if isinstance(payload, cmd.StopExperiment):
                    self._stop_futures.append(future)
                else:
                    future.set_exception(NNIError("the experiment is stopping"))
        try:
            platform.stop()
        except Exception:  # noqa: BLE001
            _log.exception("stopping the platform failed")
        for active in list(state.active.values()):
            self.store.add_trial_event(active.record.trial_job_id, "EXITED",
                                       {"status": active.kill_status or status, "exit_code": None,
                                        "reason": reason})
        state.active.clear()

    def _drain_commands_after_end(self) -> None:
        while True:
            if self._leftover:
                kind, payload, future = self._leftover.pop(0)
            else:
                try:
                    kind, payload, future = self._queue.get_nowait()
                except queue.Empty:
                    return
            if kind == "command" and future is not None and not future.done():
                if isinstance(payload, cmd.StopExperiment):
                    future.set_result(self.status)
                else:
                    future.set_exception(NNIError(f"the experiment has ended ({self.status})"))

    # ================================================================ status and stats
    def _set_status(self, status: ExperimentStatus, *, error: str | None = None, traceback: str | None = None,
                    end: bool = False) -> None:
        self._state.status = status
        self._save_stats()  # the clock's reading with each change: execDuration stays right while trials run
        self.store.set_status(status, error=error, traceback=traceback, end_time=time.time() if end else None)
        _log.info("experiment %s: %s", self.experiment_id, status)

    def _save_stats(self) -> None:
        stats = dict(self._state.stats)
        if self._journal is not None:
            stats.update(self._journal.calls.stats)
        stats["elapsed"] = self._state.elapsed()
        stats["elapsedAt"] = time.time()
        stats["clockRunning"] = self._state.paused_at is None
        self.store.set_stats(stats)
