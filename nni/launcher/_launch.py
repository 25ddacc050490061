"""Start, stop and list experiments: what ``nnictl`` and ``nni.experiment.Experiment`` call."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nni.errors import NNIError
from nni.status import ExperimentStatus

from ._paths import DEFAULT_PORT, experiments_home, new_experiment_id
from ._registry import Registry, entry_folder, entry_url, manager_alive, registry_fields
from ._secrets import save_secrets
from ._server import LAUNCH_CONFIG, TOKEN_ENV, PortBusyError, ServeOptions, bind_socket, serve

__all__ = [
    "LaunchError",
    "Launched",
    "create_experiment",
    "resume_experiment",
    "view_experiment",
    "stop_experiment",
    "list_experiments",
    "experiment_dir_of",
    "web_url",
    "MANAGER_LOG",
    "STDOUT_LOG",
    "STDERR_LOG",
]

MANAGER_LOG = Path("log") / "nnimanager.log"
# the manager process's own output, where NNI 3.0's `nnictl log stdout|stderr` looks for it
STDOUT_LOG = Path("log") / "nnictl_stdout.log"
STDERR_LOG = Path("log") / "nnictl_stderr.log"
_START_TIMEOUT = 120.0


class LaunchError(NNIError):
    """An experiment could not be started, found or stopped (the message says why and what to do)."""


@dataclass
class Launched:
    experiment_id: str
    experiment_dir: Path
    port: int
    url: str
    pid: int | None
    status: str | None = None  # set in the foreground: how it ended


def web_url(port: int, host: str = "127.0.0.1", url_prefix: str = "", token: str | None = None) -> str:
    prefix = "/" + url_prefix.strip("/") if url_prefix.strip("/") else ""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}{prefix}" + (f"/?token={token}" if token else "")


def _check_port_free(host: str, port: int) -> None:
    try:
        bind_socket(host, port).close()
    except PortBusyError as exc:
        raise LaunchError(str(exc)) from None


def _config_json(config: Any) -> dict[str, Any]:
    return config.to_json() if hasattr(config, "to_json") else dict(config)


def _absolute_paths(config_json: dict[str, Any]) -> dict[str, Any]:
    """Relative paths (a config built in Python) resolve against the caller's folder, not the manager's."""
    out = dict(config_json)
    for key in ("trialCodeDirectory", "searchSpaceFile", "experimentWorkingDirectory"):
        if isinstance(out.get(key), str) and not Path(out[key]).expanduser().is_absolute():
            out[key] = str(Path(out[key]).expanduser().resolve())
    for key in ("tuner", "assessor", "advisor"):
        algo = out.get(key)
        if isinstance(algo, dict) and isinstance(algo.get("codeDirectory"), str):
            out[key] = {**algo, "codeDirectory": str(Path(algo["codeDirectory"]).expanduser().resolve())}
    return out


def _working_root(config_json: dict[str, Any]) -> Path:
    working = config_json.get("experimentWorkingDirectory")
    return Path(working).expanduser() if working else experiments_home()


def _prepare_annotation(config_json: dict[str, Any], experiment_dir: Path) -> dict[str, Any]:
    """``useAnnotation: true``: the search space from the annotated code, trials run an instrumented copy
    of it (``<experiment folder>/code``); the user's files are never written."""
    if not config_json.get("useAnnotation"):
        return config_json
    from nni.annotation import prepare

    code_dir = config_json.get("trialCodeDirectory") or "."
    space, instrumented = prepare(code_dir, experiment_dir / "code")
    out = {k: v for k, v in config_json.items() if k != "searchSpaceFile"}
    out.update(searchSpace=space, trialCodeDirectory=str(instrumented), useAnnotation=False)
    return out


def experiment_dir_of(experiment_id: str, registry: Registry | None = None) -> Path:
    entry = (registry or Registry()).get(experiment_id)
    folder = entry_folder(entry) if entry else None
    if folder is not None:
        return folder
    folder = experiments_home() / experiment_id
    if folder.is_dir():
        return folder
    raise LaunchError(f"no experiment {experiment_id!r} here (nnictl experiment list shows the known ones)")


def _spawn(options: ServeOptions) -> subprocess.Popen[bytes]:
    log_path = options.experiment_dir / STDOUT_LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if options.token:
        env[TOKEN_ENV] = options.token
    cmd = [sys.executable, "-m", "nni.launcher", "--id", options.experiment_id,
           "--dir", str(options.experiment_dir), "--port", str(options.port), "--mode", options.mode,
           "--host", options.host, "--url-prefix", options.url_prefix]
    if options.debug:
        cmd.append("--debug")
    # each start is headed as NNI heads it, so `nnictl log stdout|stderr` (NNI's too) shows which run wrote what
    rule = "-" * 80
    header = f"{rule}\nExperiment {options.experiment_id} start: {time.strftime('%Y-%m-%d %H:%M:%S')}\n{rule}\n".encode()
    with open(log_path, "ab") as log, open(options.experiment_dir / STDERR_LOG, "ab") as err, \
            open(os.devnull, "rb") as devnull:
        log.write(header)
        err.write(header)
        log.flush()
        err.flush()
        return subprocess.Popen(cmd, stdin=devnull, stdout=log, stderr=err,
                                start_new_session=True, close_fds=True, cwd=str(options.experiment_dir))


def _log_tail(experiment_dir: Path, lines: int = 15) -> str:
    out = []
    for name in (MANAGER_LOG, STDOUT_LOG, STDERR_LOG):
        try:
            text = (experiment_dir / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out += text.rstrip().splitlines()[-lines:]
    return "\n".join(out)


def _wait_for_rest(proc: subprocess.Popen[bytes], options: ServeOptions) -> None:
    import httpx

    url = f"http://127.0.0.1:{options.port}" if options.host in ("0.0.0.0", "") else \
        f"http://{options.host}:{options.port}"
    url += ("/" + options.url_prefix.strip("/") if options.url_prefix.strip("/") else "") + "/api/v1/nni/check-status"
    headers = {"X-NNI-Token": options.token} if options.token else {}
    deadline = time.monotonic() + _START_TIMEOUT
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                tail = _log_tail(options.experiment_dir)
                last = next((ln for ln in reversed(tail.splitlines()) if ln.startswith("ERROR:")), None)
                raise LaunchError(last[len("ERROR: "):] if last else
                                  f"the manager process exited with code {code} before serving; its log "
                                  f"({options.experiment_dir / MANAGER_LOG}) ends with:\n{tail}")
            try:
                if client.get(url, headers=headers).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    proc.terminate()
    raise LaunchError(f"the manager did not answer on port {options.port} within {_START_TIMEOUT:.0f}s; "
                      f"see {options.experiment_dir / MANAGER_LOG}")


def _launch(options: ServeOptions, registry: Registry, on_tick: Callable[[Any], None] | None) -> Launched:
    url = web_url(options.port, options.host, options.url_prefix, options.token)
    if options.foreground:
        sock = bind_socket(options.host, options.port)
        registry.update(options.experiment_id, pid=os.getpid(),
                        **registry_fields(options.experiment_id, options.experiment_dir, url, options.url_prefix))
        status = serve(options, on_tick=on_tick, sock=sock)
        return Launched(options.experiment_id, options.experiment_dir, options.port, url, None, status)
    proc = _spawn(options)
    registry.update(options.experiment_id, pid=proc.pid,
                    **registry_fields(options.experiment_id, options.experiment_dir, url, options.url_prefix))
    _wait_for_rest(proc, options)
    return Launched(options.experiment_id, options.experiment_dir, options.port, url, proc.pid)


def _token_for(host: str, token: str | None) -> str | None:
    if host in ("127.0.0.1", "localhost", "::1"):
        return token
    return token or secrets.token_urlsafe(16)


def create_experiment(config: Any, *, port: int = DEFAULT_PORT, debug: bool = False, foreground: bool = False,
                      url_prefix: str = "", host: str = "127.0.0.1", token: str | None = None,
                      on_tick: Callable[[Any], None] | None = None, experiment_id: str | None = None) -> Launched:
    """Start a new experiment from a loaded, validated ``ExperimentConfig``."""
    if hasattr(config, "training_service"):  # what its platform needs here, before anything is created
        from nni.platforms import check_requirements

        check_requirements(config)
    _check_port_free(host, port)
    registry = Registry()
    known = registry.all()
    config_json = _absolute_paths(_config_json(config))
    root = _working_root(config_json)
    experiment_id = experiment_id or new_experiment_id()
    while experiment_id in known or (root / experiment_id).exists():
        experiment_id = new_experiment_id()
    experiment_dir = root / experiment_id
    experiment_dir.mkdir(parents=True)
    try:
        launch_json = _prepare_annotation(config_json, experiment_dir)
    except BaseException:
        shutil.rmtree(experiment_dir, ignore_errors=True)
        raise
    save_secrets(experiment_id, launch_json)
    launch_file = experiment_dir / LAUNCH_CONFIG
    fd = os.open(launch_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(launch_json, f)
    registry.add(experiment_id, {
        "experimentName": config_json.get("experimentName") or "",
        "port": port, "pid": None, "status": ExperimentStatus.INITIALIZED,
        "platform": _platform_name(config_json), "startTime": int(time.time() * 1000), "endTime": None,
        "tag": [], "webuiUrl": [], **registry_fields(experiment_id, experiment_dir, url_prefix=url_prefix),
    })
    options = ServeOptions(experiment_id, experiment_dir, port, "create", host, url_prefix,
                           _token_for(host, token), foreground, debug)
    try:
        return _launch(options, registry, on_tick)
    except LaunchError:
        registry.update(experiment_id, status=ExperimentStatus.ERROR, pid=None)
        raise


def _platform_name(config_json: dict[str, Any]) -> str:
    ts = config_json.get("trainingService")
    if isinstance(ts, list):
        return "+".join(str(t.get("platform", "?")) for t in ts)
    if isinstance(ts, dict):
        return str(ts.get("platform", "local"))
    return "local"


def _entry_or_error(registry: Registry, experiment_id: str) -> dict[str, Any]:
    entry = registry.get(experiment_id)
    if entry is None:
        raise LaunchError(f"no experiment {experiment_id!r} in {registry.path} "
                          "(nnictl experiment list shows the known ones)")
    return entry


def resume_experiment(experiment_id: str, *, port: int = DEFAULT_PORT, debug: bool = False,
                      foreground: bool = False, url_prefix: str = "", host: str = "127.0.0.1",
                      token: str | None = None, on_tick: Callable[[Any], None] | None = None,
                      experiment_dir: str | os.PathLike[str] | None = None) -> Launched:
    registry = Registry()
    entry = registry.get(experiment_id)
    folder = Path(experiment_dir) if experiment_dir else (entry and entry_folder(entry)) or experiments_home() / experiment_id
    _require_store(folder, experiment_id)
    if manager_alive(entry):
        raise LaunchError(f"experiment {experiment_id} is still running (pid {entry['pid']}, port {entry.get('port')}); "
                          f"stop it first: nnictl stop {experiment_id}")
    _check_port_free(host, port)
    if entry is None:
        registry.add(experiment_id, {"experimentName": "", "platform": "local", "tag": [],
                                     "startTime": int(time.time() * 1000), **registry_fields(experiment_id, folder)})
    registry.update(experiment_id, port=port, status=ExperimentStatus.RUNNING, endTime=None, **registry_fields(experiment_id, folder))
    options = ServeOptions(experiment_id, folder, port, "resume", host, url_prefix, _token_for(host, token),
                           foreground, debug)
    return _launch(options, registry, on_tick)


def view_experiment(experiment_id: str, *, port: int = DEFAULT_PORT, experiment_dir: str | os.PathLike[str] | None = None,
                    url_prefix: str = "", host: str = "127.0.0.1", token: str | None = None,
                    foreground: bool = False, debug: bool = False,
                    on_tick: Callable[[Any], None] | None = None) -> Launched:
    """Serve a stopped experiment read-only; ``experiment_dir`` may be a folder copied from elsewhere
    (NNI's ``--experiment_dir``: the folder holding ``<id>/`` or the experiment folder itself)."""
    registry = Registry()
    if experiment_dir is not None:
        folder = Path(experiment_dir).expanduser().resolve()
        if (folder / experiment_id).is_dir():
            folder = folder / experiment_id
    else:
        entry = registry.get(experiment_id)
        folder = (entry and entry_folder(entry)) or experiments_home() / experiment_id
        if manager_alive(entry):
            raise LaunchError(f"experiment {experiment_id} is running (port {entry.get('port')}); "
                              f"open {entry_url(entry) or web_url(int(entry.get('port') or DEFAULT_PORT))} instead")
    _require_store(folder, experiment_id)
    _check_port_free(host, port)
    if registry.get(experiment_id) is None:
        registry.add(experiment_id, _entry_from_store(folder, experiment_id))
    registry.update(experiment_id, port=port, **registry_fields(experiment_id, folder))
    options = ServeOptions(experiment_id, folder, port, "view", host, url_prefix, _token_for(host, token),
                           foreground, debug)
    return _launch(options, registry, on_tick)


def _require_store(folder: Path, experiment_id: str) -> None:
    from nni.storage import store_exists

    if not store_exists(folder):
        raise LaunchError(f"no experiment store for {experiment_id} in {folder} (expected {folder}/db/nni.sqlite); "
                          "give the folder with --experiment_dir")


def _entry_from_store(folder: Path, experiment_id: str) -> dict[str, Any]:
    from nni.storage import StoreReader

    with StoreReader(folder) as reader:
        p = reader.profile()
    config = p.config if p else {}
    return {
        "experimentName": (p.name if p else None) or config.get("experimentName") or "",
        "platform": _platform_name(config), "status": p.status if p else ExperimentStatus.STOPPED,
        "startTime": int(p.start_time * 1000) if p and p.start_time else None,
        "endTime": int(p.end_time * 1000) if p and p.end_time else None,
        "tag": [], "pid": None, "webuiUrl": [], **registry_fields(experiment_id, folder),
    }


def stop_experiment(experiment_id: str, *, timeout: float = 30.0) -> dict[str, Any]:
    """Stop a running experiment (REST ``DELETE /experiment``, then signals); waits until its process is gone."""
    registry = Registry()
    entry = _entry_or_error(registry, experiment_id)
    pid = entry.get("pid")
    if not manager_alive(entry):
        status = entry.get("status")
        if status in (*ExperimentStatus.managed(), ExperimentStatus.VIEWED):
            registry.update(experiment_id, status=ExperimentStatus.STOPPED, pid=None)
        raise LaunchError(f"experiment {experiment_id} is not running (status {entry.get('status')})")
    port = entry.get("port")
    import httpx

    asked = False
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            url = (entry_url(entry) or web_url(int(port))).split("/?token=")[0]
            token = (entry_url(entry) or "").partition("/?token=")[2] or None
            response = client.delete(f"{url}/api/v1/nni/experiment", headers={"X-NNI-Token": token} if token else {})
            asked = response.status_code == 200  # a read-only view answers 409: it is ended by a signal
    except httpx.HTTPError:
        pass
    if not asked:
        _signal_group(pid, signal.SIGTERM)
    if not _wait_gone(pid, timeout):
        _signal_group(pid, signal.SIGTERM)
        if not _wait_gone(pid, 10):
            _signal_group(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
    entry = registry.get(experiment_id) or entry
    if entry.get("status") in ExperimentStatus.managed() or entry.get("pid"):
        registry.update(experiment_id, status=ExperimentStatus.STOPPED if entry.get("status") != ExperimentStatus.VIEWED
                        else _entry_status(entry),
                        pid=None, endTime=int(time.time() * 1000))
    return registry.get(experiment_id) or entry


def _entry_status(entry: dict[str, Any]) -> str:
    folder = entry_folder(entry)
    try:
        return _entry_from_store(folder, entry["id"])["status"] if folder else ExperimentStatus.STOPPED
    except Exception:  # noqa: BLE001
        return ExperimentStatus.STOPPED


def _signal_group(pid: int, sig: int) -> None:
    from nni._os import signal_group

    if not signal_group(pid, sig):  # a foreground manager is no group leader: the process itself
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _wait_gone(pid: int, timeout: float) -> bool:
    from nni._os import wait_gone

    return wait_gone(pid, timeout)  # our own child (tests, Python API) is reaped


def list_experiments(*, refresh: bool = True) -> list[dict[str, Any]]:
    """Registry entries (NNI's experiments-info shape); a dead manager's RUNNING entry shows its stored status."""
    registry = Registry()
    entries = registry.all()
    out = []
    for experiment_id, entry in entries.items():
        entry = {"id": experiment_id, **entry}
        if refresh and entry.get("pid") and not manager_alive(entry):
            status = _entry_status(entry)
            if status in (*ExperimentStatus.managed(), ExperimentStatus.VIEWED):
                status = ExperimentStatus.STOPPED
            registry.update(experiment_id, pid=None, status=status)
            entry.update(pid=None, status=status)
        out.append(entry)
    out.sort(key=lambda e: e.get("startTime") or 0)
    return out
