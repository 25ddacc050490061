"""One machine's single SSH connection: connect, keep alive, reconnect with backoff, and the agent on it.

Everything here runs on the platform's private asyncio loop. A session owns exactly one asyncssh
connection at a time; exec channels (setup commands, the agent) and the SFTP client all ride on it.
The platform is told about ``connected`` / ``disconnected`` / agent events through callbacks.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import json
import logging
import posixpath
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nni.errors import ConfigError

from ._launch import shell_path
from ._machine import MachineSpec
from ._scheduler import GpuInfo

__all__ = ["SessionOptions", "MachineSession", "import_asyncssh", "connect_kwargs"]

_log = logging.getLogger("nni.platforms.remote")


def import_asyncssh() -> Any:
    try:
        import asyncssh
    except ImportError:
        raise ConfigError("the remote platform needs the asyncssh package (a dependency of nni), which is not "
                          "installed here; reinstall nni, or: pip install 'asyncssh[bcrypt]>=2.14'",
                          key="trainingService.platform") from None
    return asyncssh


@dataclass(frozen=True)
class SessionOptions:
    connect_timeout: float = 10.0
    keepalive_interval: float = 2.0
    keepalive_count_max: int = 3
    reconnect_initial: float = 0.5
    reconnect_max: float = 10.0
    agent_interval: float = 0.05
    agent_idle: float = 60.0
    ping_interval: float = 5.0
    known_hosts: Any = None  # asyncssh's known_hosts argument; None = do not check host keys (as NNI)


@dataclass
class RemotePaths:
    root: str  # <remote root>/<experiment id>
    code: str
    trials: str
    agent: str


Callback = Callable[["MachineSession"], Awaitable[None]]
EventCallback = Callable[["MachineSession", dict[str, Any]], None]


class MachineSession:
    def __init__(self, spec: MachineSpec, *, experiment_id: str, remote_root: str,
                 code_package: Callable[[], tuple[bytes, str, int]], options: SessionOptions,
                 on_connected: Callback, on_disconnected: Callback, on_event: EventCallback,
                 on_failed: Callable[[MachineSession], None] = lambda _s: None) -> None:
        self.spec = spec
        self.key = spec.key
        self.experiment_id = experiment_id
        self.remote_root = remote_root
        self.options = options
        self._code_package = code_package
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._on_event = on_event
        self._on_failed = on_failed
        self.paths: RemotePaths | None = None
        self.gpus: list[GpuInfo] = []
        self.discovered = False
        self.connected = False
        self.down_since: float | None = time.monotonic()
        self.connections_made = 0
        self.last_error = ""
        self._conn: Any = None
        self._sftp: Any = None
        self._files_ready = False
        # short-lived exec channels one at a time: with the agent's channel and SFTP's, a connection never
        # needs more than three sessions (sshd's MaxSessions is often 10, sometimes much less)
        self._exec_slot = asyncio.Semaphore(1)
        self._agent: Any = None
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    # lifecycle
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._maintain(), name=f"ssh {self.key}")

    async def close(self) -> None:
        self._closing = True
        if self._agent is not None:
            try:
                self._agent.stdin.write(b'{"op":"exit"}\n')
            except Exception:  # the channel may already be gone
                pass
        self._drop()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def drop(self, why: str) -> None:
        """Close the connection now (the maintain loop reconnects unless the session is closing)."""
        if self._conn is not None:
            _log.info("remote %s: dropping the connection: %s", self.key, why)
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._sftp = None
        self._files_ready = False
        self._agent = None
        if conn is not None:
            conn.abort()
        self._lost.set()

    async def _maintain(self) -> None:
        delay = self.options.reconnect_initial
        while not self._closing:
            try:
                await self._connect_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every failure to connect is retried with backoff
                self._drop()
                self.last_error = _describe(exc)
                self._on_failed(self)
                _log.warning("remote %s: cannot connect (%s); retrying in %.1fs", self.key, self.last_error,
                             delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.options.reconnect_max)
                continue
            delay = self.options.reconnect_initial
            self.last_error = ""
            self.connected = True
            self.down_since = None
            self.connections_made += 1
            _log.info("remote %s: connected (connection #%d)", self.key, self.connections_made)
            pinger = asyncio.get_running_loop().create_task(self._ping())
            try:
                await self._on_connected(self)
                await self._lost.wait()
            finally:
                pinger.cancel()
                self.connected = False
                self.down_since = time.monotonic()
                self._drop()
            if not self._closing:
                _log.warning("remote %s: connection lost; reconnecting", self.key)
                await self._on_disconnected(self)

    async def _connect_once(self) -> None:
        asyncssh = import_asyncssh()
        spec, opt = self.spec, self.options
        self._lost = asyncio.Event()
        kwargs = connect_kwargs(spec, opt)
        conn = await asyncio.wait_for(asyncssh.connect(spec.host, **kwargs), opt.connect_timeout * 2)
        self._conn = conn
        conn_closed = asyncio.get_running_loop().create_task(conn.wait_closed())
        conn_closed.add_done_callback(lambda _t: self._lost.set() if self._conn is conn else None)
        # one exec sets up the folders and reports the code digest and the GPUs; then SFTP; then the agent
        probe = await self.run(self._probe_command())
        fields = _probe_fields(probe)
        exp_root = fields.get("root", "")
        if not exp_root.startswith("/"):
            raise RuntimeError(f"cannot set up the experiment folder on {self.key}: {probe.strip()[:500]}")
        self.paths = RemotePaths(exp_root, posixpath.join(exp_root, "code"), posixpath.join(exp_root, "trials"),
                                 posixpath.join(exp_root, ".nni_agent.py"))
        self.gpus = _parse_gpus(probe)
        self.discovered = True
        _log.info("remote %s: %d GPU(s) found", self.key, len(self.gpus))
        try:
            self._sftp = await conn.start_sftp_client()
        except Exception as exc:  # some servers disable the SFTP subsystem: plain exec channels do the same
            _log.info("remote %s: no SFTP (%s); copying files through the shell instead", self.key, _describe(exc))
            self._sftp = None
        self._files_ready = True
        agent_src = importlib.resources.files(__package__).joinpath("_agent_script.py").read_bytes()
        await self._write(self.paths.agent, agent_src)
        unpack = await self._upload_code(fields.get("digest", ""))
        await self._start_agent(unpack)

    def _probe_command(self) -> str:
        root = self.remote_root
        if root == "~" or root.startswith("~/"):
            base = '"$HOME"' + shlex.quote(root[1:]) if len(root) > 1 else '"$HOME"'
        elif root.startswith("/"):
            base = shlex.quote(root)
        else:
            base = '"$HOME"/' + shlex.quote(root)
        exp = shlex.quote(self.experiment_id)
        return (f'R={base}/{exp} && mkdir -p "$R/code" "$R/trials" && printf "root=%s\\n" "$R"; '
                'printf "digest=%s\\n" "$(cat "$R/code/.nni_code_digest" 2>/dev/null)"; ' + _GPU_QUERY)

    async def refresh_gpus(self) -> None:
        """Ask ``nvidia-smi`` again which GPUs exist and which run other people's processes."""
        self.gpus = _parse_gpus(await self.run(_GPU_QUERY))

    async def run(self, command: str, *, check: bool = True) -> str:
        """Run a short command on the machine (``PATH`` gets ``pythonPath`` first); its stdout."""
        if self._conn is None:
            raise ConnectionError(f"remote {self.key} is not connected")
        async with self._exec_slot:
            result = await self._conn.run(self._with_path(command), check=False)
        if check and result.exit_status != 0:
            raise RuntimeError(f"remote {self.key}: command {command!r} exited {result.exit_status}: "
                               f"{str(result.stderr).strip()[:500]}")
        return str(result.stdout)

    def _with_path(self, command: str) -> str:
        if self.spec.python_path:
            path = ":".join(shell_path(p) for p in self.spec.python_path.split(":"))
            return f'export PATH={path}:"$PATH"; {command}'
        return command

    async def _write(self, path: str, data: bytes) -> None:
        tmp = path + ".tmp"
        if self._sftp is None:
            q = shlex.quote
            async with self._exec_slot:
                result = await self._conn.run(f"cat > {q(tmp)} && mv -f {q(tmp)} {q(path)}", input=data,
                                              encoding=None, check=False)
            if result.exit_status != 0:
                raise RuntimeError(f"remote {self.key}: cannot write {path}: "
                                   f"{bytes(result.stderr or b'').decode(errors='replace').strip()[:300]}")
            return
        async with self._sftp.open(tmp, "wb") as f:
            await f.write(data)
        await self._sftp.posix_rename(tmp, path)

    async def _upload_code(self, current: str) -> str:
        """Upload the code tarball unless this digest is there already; the shell line that unpacks it."""
        assert self.paths is not None
        data, digest, count = self._code_package()
        if current == digest:
            _log.info("remote %s: trial code already uploaded (%s)", self.key, digest)
            return ""
        tarball = posixpath.join(self.paths.root, "code.tar.gz")
        await self._write(tarball, data)
        _log.info("remote %s: uploaded the trial code (%d files, %d bytes) to %s", self.key, count, len(data),
                  self.paths.code)
        q = shlex.quote
        marker = posixpath.join(self.paths.code, ".nni_code_digest")
        return (f"tar -xzf {q(tarball)} -C {q(self.paths.code)} && rm -f {q(tarball)} && "
                f"printf '%s\\n' {q(digest)} > {q(marker)} || exit 125; ")

    async def _start_agent(self, unpack: str) -> None:
        assert self.paths is not None
        opt = self.options
        py = unpack + 'P=$(command -v python3 || command -v python) || { echo "no python3 on PATH" >&2; exit 127; }; '
        cmd = self._with_path(f'{py}exec "$P" -u {shlex.quote(self.paths.agent)} --interval {opt.agent_interval} '
                              f'--idle {opt.agent_idle}')
        self._agent = await self._conn.create_process(cmd, encoding=None)
        first = await asyncio.wait_for(self._agent.stdout.readline(), self.options.connect_timeout)
        if not first:
            err = await asyncio.wait_for(self._agent.stderr.read(2000), 2)
            raise RuntimeError(f"the remote agent did not start: {err.decode(errors='replace').strip()}")
        ready = json.loads(first)
        _log.debug("remote %s: agent ready (pid %s)", self.key, ready.get("pid"))
        asyncio.get_running_loop().create_task(self._read_agent(self._agent))

    async def _read_agent(self, agent: Any) -> None:
        try:
            while True:
                line = await agent.stdout.readline()
                if not line:
                    break
                try:
                    event = json.loads(line)
                except ValueError:
                    _log.warning("remote %s: unreadable agent output %r", self.key, line[:200])
                    continue
                self._on_event(self, event)
        except Exception as exc:  # the channel broke: reconnect
            _log.debug("remote %s: agent stream ended: %s", self.key, _describe(exc))
        if agent is self._agent:
            self._lost.set()

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.options.ping_interval)
            self.send({"op": "ping"})

    def send(self, command: dict[str, Any]) -> bool:
        """Hand a command to the agent; False when the machine is not connected right now."""
        agent = self._agent
        if agent is None or not self.connected:
            return False
        try:
            agent.stdin.write((json.dumps(command, separators=(",", ":")) + "\n").encode())
        except Exception as exc:
            _log.debug("remote %s: cannot send to the agent: %s", self.key, _describe(exc))
            self._lost.set()
            return False
        return True

    async def read_file(self, path: str, limit: int, offset: int = 0) -> bytes:
        """Up to ``limit`` bytes of a remote file from ``offset`` (``b""`` when it does not exist)."""
        if not self._files_ready or self._conn is None:
            raise ConnectionError(f"remote {self.key} is not connected")
        if self._sftp is None:
            q = shlex.quote
            async with self._exec_slot:
                result = await self._conn.run(f"test -f {q(path)} || exit 0; tail -c +{offset + 1} {q(path)} "
                                              f"| head -c {limit}", encoding=None, check=False)
            return bytes(result.stdout or b"")
        try:
            async with self._sftp.open(path, "rb") as f:
                return bytes(await f.read(limit, offset))
        except Exception as exc:
            if type(exc).__name__ in ("SFTPNoSuchFile", "FileNotFoundError"):
                return b""
            raise


_GPU_QUERY = ("echo '--gpus'; nvidia-smi --query-gpu=index,uuid --format=csv,noheader,nounits 2>/dev/null; "
              "echo '--apps'; nvidia-smi --query-compute-apps=gpu_uuid,pid --format=csv,noheader 2>/dev/null; true")


def connect_kwargs(spec: MachineSpec, opt: SessionOptions) -> dict[str, Any]:
    """``asyncssh.connect`` arguments for a machine: its login, timeouts, keep-alives, no agent."""
    kwargs: dict[str, Any] = {
        "port": spec.port,
        "username": spec.user,
        "known_hosts": opt.known_hosts,
        "agent_path": None,
        "connect_timeout": opt.connect_timeout,
        "login_timeout": opt.connect_timeout,
        "keepalive_interval": opt.keepalive_interval,
        "keepalive_count_max": opt.keepalive_count_max,
        "client_keys": [spec.ssh_key_file] if spec.ssh_key_file else None,
    }
    if spec.ssh_key_file and spec.passphrase:
        kwargs["passphrase"] = spec.passphrase
    if spec.password:
        kwargs["password"] = spec.password
    return kwargs


def _probe_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("--"):
            break
        name, sep, value = line.partition("=")
        if sep:
            fields[name] = value.strip()
    return fields


def _parse_gpus(text: str) -> list[GpuInfo]:
    """GPUs from the probe's ``nvidia-smi`` sections; a GPU with foreign processes is marked busy."""
    gpus: list[GpuInfo] = []
    busy: set[str] = set()
    section = ""
    for line in text.splitlines():
        if line.strip() in ("--gpus", "--apps"):
            section = line.strip()
            continue
        parts = [p.strip() for p in line.split(",")]
        if section == "--gpus" and len(parts) >= 2 and parts[0].isdigit():
            gpus.append(GpuInfo(int(parts[0]), parts[1]))
        elif section == "--apps" and parts and parts[0]:
            busy.add(parts[0])
    for g in gpus:
        g.busy_elsewhere = g.uuid in busy
    return gpus


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
