"""Real OpenSSH servers on loopback (and in a network namespace) for the remote platform tests.

Everything started here is started by PID and stopped by PID: each sshd listener, the per-connection
sshd processes under it, and the namespace/veth pair (deleted by name, since the tests created them).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nni.testing import Nnictl, free_port

REPO = Path(__file__).resolve().parents[3]
SSHD = "/usr/sbin/sshd"
# one test user per test session (two sessions at once on one machine must not reset each other's password)
TEST_USER = f"nnir{os.getpid()}"


def _skip_reason() -> str | None:
    if sys.platform != "linux":
        return "sshd fixtures need Linux"
    if os.geteuid() != 0:
        return "sshd fixtures need root (own sshd, a test user, network namespaces)"
    if not os.path.exists(SSHD):
        return "openssh-server is not installed (scripts/setup.sh installs it)"
    try:
        import asyncssh  # noqa: F401
    except ImportError:
        return "asyncssh (a dependency of nni) is not installed (pip install -e .)"
    return None


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc), deepest last."""
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read().decode("latin-1")
        except OSError:
            continue
        ppid = int(data[data.rfind(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


@dataclass
class Sshd:
    """One sshd listener we started."""

    host: str
    port: int
    config: Path
    log: Path
    netns: str | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [SSHD, "-D", "-e", "-f", str(self.config)]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd on {self.host}:{self.port} did not start: {self.log.read_text()[-2000:]}")

    def connection_pids(self) -> list[int]:
        """The per-connection sshd processes (and their sessions) under the listener."""
        return _children(self.proc.pid) if self.proc else []

    def drop_connections(self) -> None:
        """Kill the per-connection sshd processes: every client connection breaks, the listener stays.

        Only sshd processes: the agents and trials below them live on, as on a real server."""
        for pid in self.connection_pids():
            if _comm(pid) != "sshd":
                continue
            with _suppress():
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is None:
            return
        kids = self.connection_pids()
        with _suppress():
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        for pid in kids:
            with _suppress():
                os.kill(pid, signal.SIGKILL)
        self.proc = None


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], (ProcessLookupError, PermissionError))  # type: ignore[arg-type]


@dataclass
class SshWorld:
    """Keys, the test user and helpers shared by the session's sshd instances."""

    root: Path
    host_key: Path
    root_key: Path  # no passphrase, authorized for root
    pass_key: Path  # protected by ``passphrase``, authorized for root
    passphrase: str
    user: str
    password: str
    user_home: Path
    user_python: Path  # a venv (bin folder) for the test user with nni importable
    root_python: Path  # a venv (bin folder) for root with nni importable
    started: list[Sshd] = field(default_factory=list)

    def sshd(self, *, host: str = "127.0.0.1", port: int | None = None, netns: str | None = None,
             max_sessions: int = 50, sftp: bool = True) -> Sshd:
        port = port or free_port()
        name = f"sshd-{len(self.started)}-{port}"
        config = self.root / f"{name}.conf"
        config.write_text("\n".join([
            f"Port {port}",
            f"ListenAddress {host}",
            f"HostKey {self.host_key}",
            f"PidFile {self.root / name}.pid",
            "PasswordAuthentication yes",
            "PubkeyAuthentication yes",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin prohibit-password",
            "Subsystem sftp internal-sftp" if sftp else "",
            f"MaxSessions {max_sessions}",
            "MaxStartups 100",
            "ClientAliveInterval 2",
            "ClientAliveCountMax 3",
            f"AuthorizedKeysFile .ssh/authorized_keys {self.root}/authorized_keys.%u",
            "StrictModes no",
            "",
        ]))
        server = Sshd(host, port, config, self.root / f"{name}.log", netns)
        server.start()
        self.started.append(server)
        return server


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _venv(path: Path, nni_parent: Path, owner: str | None) -> Path:
    if not path.exists():
        _run("/usr/bin/python3", "-m", "venv", "--without-pip", str(path))
    site = next(path.glob("lib/python3*/site-packages"))
    (site / "nni_repo.pth").write_text(str(nni_parent) + "\n")
    if owner:
        _run("chown", "-R", f"{owner}:{owner}", str(path))
    return path / "bin"


@pytest.fixture(scope="session")
def ssh_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshWorld]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("sshd")
    os.makedirs("/run/sshd", exist_ok=True)
    host_key = root / "host_ed25519"
    root_key = root / "client_ed25519"
    pass_key = root / "client_pass_ed25519"
    passphrase = "pp-" + secrets.token_hex(8)
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key))
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root_key))
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(pass_key))
    (root / "authorized_keys.root").write_text(
        Path(str(root_key) + ".pub").read_text() + Path(str(pass_key) + ".pub").read_text())
    password = "pw-" + secrets.token_hex(8)
    if subprocess.run(["id", TEST_USER], capture_output=True).returncode != 0:
        _run("useradd", "-m", "-s", "/bin/bash", "-c", "NNI remote platform tests", TEST_USER)
    subprocess.run(["chpasswd"], input=f"{TEST_USER}:{password}".encode(), check=True)
    home = Path(f"/home/{TEST_USER}")
    # the test user cannot read root's temp folders: give it its own copy of the package and a venv
    lib = home / "nni-lib"
    shutil.rmtree(lib, ignore_errors=True)
    shutil.copytree(REPO / "nni", lib / "nni", ignore=shutil.ignore_patterns("__pycache__"))
    _run("chown", "-R", f"{TEST_USER}:{TEST_USER}", str(lib))
    user_python = _venv(home / "nni-venv", lib, TEST_USER)
    root_python = _venv(root / "venv", REPO, None)
    world = SshWorld(root, host_key, root_key, pass_key, passphrase, TEST_USER, password, home,
                     user_python, root_python)
    yield world
    for server in world.started:
        server.stop()
    subprocess.run(["userdel", "-r", "-f", TEST_USER], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def machine_a(ssh_world: SshWorld) -> Sshd:
    """A machine reached as root with a key."""
    return ssh_world.sshd()


@pytest.fixture
def nnictl(tmp_path: Path) -> Iterator[Nnictl]:
    """The real nnictl over a private experiments home; its experiments are stopped and their folders on
    root's machines (this machine's sshd) removed after the test."""
    runner = Nnictl(tmp_path / "home")
    yield runner
    runner.stop_all()
    for exp_id in runner.registry():
        shutil.rmtree(Path("/root/nni-experiments") / exp_id, ignore_errors=True)


@pytest.fixture
def fresh_machine(ssh_world: SshWorld) -> Iterator[Sshd]:
    """A machine of its own, for tests that break it."""
    server = ssh_world.sshd()
    yield server
    server.stop()
    ssh_world.started.remove(server)


@pytest.fixture(scope="session")
def machine_b(ssh_world: SshWorld) -> Sshd:
    """A machine reached as the test user with a password."""
    return ssh_world.sshd()


@dataclass
class Netns:
    name: str
    veth: str
    host_ip: str
    ns_ip: str

    def link(self, up: bool) -> None:
        _run("ip", "link", "set", self.veth, "up" if up else "down")


@pytest.fixture
def netns_machine(ssh_world: SshWorld) -> Iterator[tuple[Sshd, Netns]]:
    """A machine in its own network namespace (10.231.N.2), reached over a veth pair we can cut."""
    if shutil.which("ip") is None:
        pytest.skip("iproute2 is not installed")
    n = 100 + os.getpid() % 150
    ns = Netns(f"nniremote{os.getpid()}", f"vnr{os.getpid()}", f"10.231.{n}.1", f"10.231.{n}.2")
    try:
        _run("ip", "netns", "add", ns.name)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot create a network namespace here: {exc.stderr.decode().strip()}")
    try:
        _run("ip", "link", "add", ns.veth, "type", "veth", "peer", "name", ns.veth + "p")
        _run("ip", "link", "set", ns.veth + "p", "netns", ns.name)
        _run("ip", "addr", "add", f"{ns.host_ip}/24", "dev", ns.veth)
        _run("ip", "link", "set", ns.veth, "up")
        _run("ip", "netns", "exec", ns.name, "ip", "addr", "add", f"{ns.ns_ip}/24", "dev", ns.veth + "p")
        _run("ip", "netns", "exec", ns.name, "ip", "link", "set", ns.veth + "p", "up")
        _run("ip", "netns", "exec", ns.name, "ip", "link", "set", "lo", "up")
        server = ssh_world.sshd(host=ns.ns_ip, port=22, netns=ns.name)
        yield server, ns
        server.stop()
        ssh_world.started.remove(server)
    finally:
        subprocess.run(["ip", "link", "del", ns.veth], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)
