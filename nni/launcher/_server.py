"""The manager process of one experiment: ExperimentManager in a thread, REST (uvicorn) in another.

Started detached by :mod:`nni.launcher._launch` (``python -m nni.launcher._server ...``) or run
in-process for ``nnictl create --foreground`` (:func:`serve` with an ``on_tick`` callback). Modes:
``create`` (new experiment), ``resume`` (same folder, ``resume=True``) and ``view`` (read-only REST
over the store, no manager).

Detached, the process keeps serving after the experiment is DONE until it is stopped (REST ``DELETE
/experiment`` or SIGTERM), as NNI, and so does its manager: raising maxTrialNumber or
maxExperimentDuration of a DONE experiment runs it again. In the foreground it returns when the
experiment ends.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nni.status import ExperimentStatus

from ._registry import Registry
from ._secrets import restore_secrets

__all__ = ["ServeOptions", "serve", "bind_socket", "LAUNCH_CONFIG", "TOKEN_ENV", "main"]

FAKE_GPUS_ENV = "NNI_FAKE_GPUS"  # test hook: "2" or "0,1" gives the local platform that fixed set of GPUs
LAUNCH_CONFIG = ".launch-config.json"  # the full config handed from the launcher to the manager process
TOKEN_ENV = "NNI_REST_TOKEN"
_log = logging.getLogger("nni.launcher")


@dataclass
class ServeOptions:
    experiment_id: str
    experiment_dir: Path
    port: int
    mode: str = "create"  # create | resume | view
    host: str = "127.0.0.1"
    url_prefix: str = ""
    token: str | None = None
    foreground: bool = False
    debug: bool = False


class PortBusyError(OSError):
    pass


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortBusyError(
            f"port {port} on {host} is busy ({exc.strerror}); choose another with --port, "
            "or stop the experiment using it (nnictl experiment list shows ports)"
        ) from None
    sock.listen(128)
    sock.set_inheritable(False)
    return sock


class _ServerControl:
    """The REST app's ManagerControl: forwards to the manager while it runs; a stop afterwards ends the process."""

    def __init__(self, manager: Any, stop_event: threading.Event) -> None:
        self._manager = manager
        self._stop_event = stop_event
        self.manager_done = threading.Event()

    def send(self, command: Any) -> Future[Any]:
        from nni.manager.commands import StopExperiment

        if isinstance(command, StopExperiment):
            self._stop_event.set()
            if self.manager_done.is_set():
                done: Future[Any] = Future()
                done.set_result(None)
                return done
        if self.manager_done.is_set():
            from nni.errors import NNIError

            failed: Future[Any] = Future()
            failed.set_exception(NNIError(
                f"the experiment has ended; {type(command).__name__} needs a running experiment "
                "(nnictl resume ID runs it again)"))
            return failed
        return self._manager.control.send(command)


def _from_json(data: dict[str, Any]) -> Any:
    """The config object when ``nni.config`` offers one; the manager also takes the camelCase dict."""
    try:
        from nni.config import ExperimentConfig
    except ImportError:
        return data
    return ExperimentConfig.from_json(data)


def _load_launch_config(experiment_dir: Path) -> Any:
    path = experiment_dir / LAUNCH_CONFIG
    return _from_json(json.loads(path.read_text(encoding="utf-8")))


def _resume_config(experiment_dir: Path) -> Any:
    from nni.storage import StoreReader

    launch = experiment_dir / LAUNCH_CONFIG
    if launch.exists():  # written by `nnictl resume` when the caller gave the full config again
        return _load_launch_config(experiment_dir)
    with StoreReader(experiment_dir) as reader:
        profile = reader.profile()
    if profile is None:
        raise RuntimeError(f"experiment folder {experiment_dir} has no stored profile; it cannot be resumed")
    return _from_json(restore_secrets(profile.experiment_id, profile.config))


def _fake_gpu_platform(config: Any, options: ServeOptions) -> Any:
    """With ``$NNI_FAKE_GPUS`` set, the local platform sees exactly those GPUs (tests of GPU waiting)."""
    fake = os.environ.get(FAKE_GPUS_ENV, "").strip()
    if not fake:
        return None
    from nni.platforms import PlatformContext, create_platform
    from nni.platforms.local import FixedGpus

    if config.training_service.platform != "local":
        return None
    indices: Any = int(fake) if fake.isdigit() else [int(i) for i in fake.split(",") if i.strip()]
    _log.warning("%s=%s: using a fixed GPU set instead of NVML", FAKE_GPUS_ENV, fake)
    context = PlatformContext(options.experiment_id, options.experiment_dir, config.trial_code_directory,
                              gpu_inventory=FixedGpus(indices))
    return create_platform(config, context)


def _stored_status(experiment_dir: Path) -> str | None:
    try:
        from nni.storage import StoreReader

        with StoreReader(experiment_dir) as reader:
            profile = reader.profile()
        return None if profile is None else profile.status
    except Exception:  # noqa: BLE001 - a status for the registry only
        return None


def _start_uvicorn(app: Any, sock: socket.socket, debug: bool) -> tuple[Any, threading.Thread]:
    import uvicorn

    config = uvicorn.Config(app, log_level="info" if debug else "warning", access_log=debug, lifespan="off")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign] - the main thread owns signals
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="nni-rest", daemon=True)
    thread.start()
    return server, thread


def _wait_until_serving(server: Any, thread: threading.Thread, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError("the REST server did not start (see the log above)")


def serve(options: ServeOptions, on_tick: Callable[[Any], None] | None = None,
          sock: socket.socket | None = None) -> str:
    """Run the experiment's process; returns the experiment's final status."""
    from nni.storage import StoreReader

    from ._app import experiment_app

    registry = Registry()
    stop_event = threading.Event()
    sock = sock or bind_socket(options.host, options.port)
    manager = None
    control: _ServerControl | None = None
    manager_thread: threading.Thread | None = None
    errors: list[BaseException] = []

    if options.mode != "view":
        from nni.manager import ExperimentManager
        from nni.storage import ExperimentStore

        config = _load_launch_config(options.experiment_dir) if options.mode == "create" else \
            _resume_config(options.experiment_dir)
        store = ExperimentStore(options.experiment_dir)
        (options.experiment_dir / LAUNCH_CONFIG).unlink(missing_ok=True)  # it may hold passwords
        manager = ExperimentManager(config, options.experiment_dir, options.experiment_id, store=store,
                                    resume=options.mode == "resume",
                                    platform=_fake_gpu_platform(config, options),
                                    stay_after_done=not options.foreground)
        control = _ServerControl(manager, stop_event)

    reader = StoreReader(options.experiment_dir)
    app = experiment_app(experiment_dir=options.experiment_dir, store_reader=reader, control=control,
                     url_prefix=options.url_prefix, token=options.token)
    server, server_thread = _start_uvicorn(app, sock, options.debug)

    def _on_signal(signum: int, _frame: Any) -> None:
        _log.info("signal %s: stopping", signum)
        stop_event.set()
        if manager is not None and control is not None and not control.manager_done.is_set():
            manager.request_stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        if not options.foreground:
            signal.signal(signal.SIGINT, _on_signal)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

    try:
        _wait_until_serving(server, server_thread)
        registry.update(options.experiment_id, pid=os.getpid(), port=options.port,
                        status=ExperimentStatus.VIEWED if manager is None else ExperimentStatus.RUNNING)
        if manager is not None and control is not None:
            def _run() -> None:
                try:
                    manager.run()
                except BaseException as exc:  # noqa: BLE001 - reported, the process then ends
                    errors.append(exc)
                    _log.error("the experiment manager failed:\n%s", traceback.format_exc())
                finally:
                    control.manager_done.set()

            manager_thread = threading.Thread(target=_run, name="nni-manager", daemon=True)
            manager_thread.start()
        _main_loop(options, registry, stop_event, control, manager, reader, on_tick)
    except KeyboardInterrupt:
        stop_event.set()
        if manager is not None and control is not None and not control.manager_done.is_set():
            manager.request_stop()
    finally:
        if manager is not None and manager_thread is not None and control is not None:
            if not control.manager_done.is_set():
                manager.request_stop()
            manager_thread.join(timeout=60)
        _stop_tensorboards(options.experiment_dir)
        status = _final_status(options, manager is not None, stop_event.is_set())
        entry = registry.get(options.experiment_id) or {}
        end = entry.get("endTime") if status == entry.get("status") and entry.get("endTime") else int(time.time() * 1000)
        registry.update(options.experiment_id, status=status, endTime=end, pid=None)
        server.should_exit = True
        server_thread.join(timeout=10)
        reader.close()
        try:
            sock.close()
        except OSError:
            pass
    if errors:
        raise errors[0]
    return status


def _main_loop(options: ServeOptions, registry: Registry, stop_event: threading.Event,
               control: _ServerControl | None, manager: Any, reader: Any,
               on_tick: Callable[[Any], None] | None) -> None:
    last_status = None
    while True:
        if on_tick is not None:
            on_tick(reader)
        if control is not None:
            status, end_time = _safe_status(reader)
            if status and status != last_status:
                registry.update(options.experiment_id, status=status,
                                endTime=int(end_time * 1000) if end_time else None)
                last_status = status
            if control.manager_done.is_set():
                if options.foreground or stop_event.is_set():
                    return
        elif stop_event.is_set():
            return
        if stop_event.is_set() and manager is not None and control is not None and not control.manager_done.is_set():
            manager.request_stop()
        stop_event.wait(0.25 if on_tick is not None else 0.5)


def _stop_tensorboards(experiment_dir: Path) -> None:
    """The experiment's TensorBoards end with its server, as NNI's."""
    from nni.tensorboard import TensorboardTasks

    try:
        for task in TensorboardTasks(experiment_dir).stop_all():
            _log.info("TensorBoard task %s (port %s) stopped", task.id, task.port)
    except Exception:  # noqa: BLE001 - the experiment still ends
        _log.warning("could not stop the TensorBoard tasks:\n%s", traceback.format_exc())


def _safe_status(reader: Any) -> tuple[str | None, float | None]:
    try:
        profile = reader.profile()
    except Exception:  # noqa: BLE001 - a busy database; try again next tick
        return None, None
    return (None, None) if profile is None else (profile.status, profile.end_time)


def _final_status(options: ServeOptions, ran: bool, stopped: bool) -> str:
    stored = _stored_status(options.experiment_dir) or ExperimentStatus.STOPPED
    if not ran:  # a view ends; the experiment keeps what the store says
        return stored
    if stored in ExperimentStatus.managed():
        return ExperimentStatus.STOPPED
    return stored


def _setup_logging(experiment_dir: Path, debug: bool) -> None:
    """The launcher's own lines go to the manager's log (``log/nnimanager.log``), not twice."""
    (experiment_dir / "log").mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(experiment_dir / "log" / "nnimanager.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s (%(name)s) %(message)s"))
    _log.addHandler(handler)
    _log.setLevel(logging.DEBUG if debug else logging.INFO)
    _log.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nni.launcher._server")
    parser.add_argument("--id", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("create", "resume", "view"), default="create")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--url-prefix", default="")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    _setup_logging(Path(args.dir), args.debug)
    options = ServeOptions(
        experiment_id=args.id, experiment_dir=Path(args.dir), port=args.port, mode=args.mode, host=args.host,
        url_prefix=args.url_prefix, token=os.environ.pop(TOKEN_ENV, None) or None, debug=args.debug,
    )
    try:
        status = serve(options)
    except PortBusyError as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return 3
    except BaseException:
        _log.error("manager process failed:\n%s", traceback.format_exc())
        Registry().update(options.experiment_id, status=ExperimentStatus.ERROR, pid=None, endTime=int(time.time() * 1000))
        return 1
    _log.info("experiment %s ended: %s", options.experiment_id, status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
