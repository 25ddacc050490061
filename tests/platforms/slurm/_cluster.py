"""A real one-node Slurm cluster (munged + slurmctld + slurmd) in a temp folder, for tests.

Started by PID and stopped by PID; two fake GPUs declared through gres.conf (character devices made with
mknod), so ``--gres=gpu:N`` is really allocated by Slurm and sets ``CUDA_VISIBLE_DEVICES``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from nni.testing import wait_until

__all__ = ["SlurmCluster", "slurm_available"]

_BINARIES = ("/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged")


def slurm_available() -> str | None:
    """None when a cluster can be started here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "starting slurmctld/slurmd/munged needs root"
    for binary in _BINARIES:
        if not os.path.exists(binary):
            return f"{binary} is not installed (apt-get install slurmctld slurmd slurm-client munge)"
    for tool in ("sbatch", "squeue", "scancel", "scontrol", "sinfo"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install slurm-client)"
    return None


class SlurmCluster:
    def __init__(self, root: Path, *, cpus: int = 2, gpus: int = 2) -> None:
        self.root = root
        self.cpus = cpus
        self.gpus = gpus
        self.conf = root / "slurm.conf"
        self._procs: list[subprocess.Popen[bytes]] = []
        self._munged_pid: int | None = None

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def start(self) -> None:
        self._write_config()
        os.environ["SLURM_CONF"] = str(self.conf)
        self._start_munge()
        ctld = subprocess.Popen(
            ["/usr/sbin/slurmctld", "-D", "-f", str(self.conf)],
            stdout=open(self.root / "slurmctld.out", "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._procs.append(ctld)
        self._wait(lambda: b"UP" in self._run(["scontrol", "ping"]), "slurmctld to answer 'scontrol ping'", ctld)
        slurmd = subprocess.Popen(
            ["/usr/sbin/slurmd", "-D", "-N", "localhost", "-f", str(self.conf)],
            stdout=open(self.root / "slurmd.out", "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._procs.append(slurmd)
        self._wait(lambda: self._run(["sinfo", "-h", "-o", "%t"]).strip() in (b"idle", b"mix", b"alloc"),
                   "the node to be idle in sinfo", slurmd)

    def _run(self, argv: list[str]) -> bytes:
        try:
            return subprocess.run(argv, capture_output=True, timeout=10, env={**os.environ, **self.env}).stdout
        except subprocess.TimeoutExpired:
            return b""

    def _wait(self, ready, what: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.1
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} while waiting for {what}; "
                                   f"see {self.root}")
            if ready():
                return
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
        raise RuntimeError(f"timed out waiting for {what}; see {self.root}")

    def _start_munge(self) -> None:
        socket = Path("/run/munge/munge.socket.2")
        if socket.exists() and subprocess.run(["munge", "-n"], capture_output=True).returncode == 0:
            return  # a munged is already serving this machine
        subprocess.run(["install", "-d", "-o", "munge", "-g", "munge", "-m", "0755", "/run/munge"], check=True)
        pid_file = Path("/run/munge/nni-test-munged.pid")
        subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged", f"--pid-file={pid_file}",
                        "--force"], check=True)
        wait_until(pid_file.exists, 20, f"munged to write {pid_file}")
        self._munged_pid = int(pid_file.read_text().strip())

    def _write_config(self) -> None:
        root = self.root
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        state = root / "state"
        spool = root / "spool"
        for folder in (state, spool):
            folder.mkdir(exist_ok=True)
        shutil.chown(state, "slurm", "slurm")
        devices = []
        for index in range(self.gpus):
            dev = root / f"nvidia{index}"
            if not dev.exists():
                os.mknod(dev, 0o666 | 0o020000, os.makedev(1, 3))
            devices.append(dev)
        gres_line = f" Gres=gpu:{self.gpus}" if self.gpus else ""
        self.conf.write_text("\n".join([
            "ClusterName=nnitest",
            "SlurmctldHost=localhost",
            "AuthType=auth/munge",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "SchedulerParameters=sched_interval=2",
            "MinJobAge=600",
            "ReturnToService=2",
            "SlurmUser=slurm",
            "SlurmdUser=root",
            "SlurmctldPort=16817",
            "SlurmdPort=16818",
            f"StateSaveLocation={state}",
            f"SlurmdSpoolDir={spool}",
            f"SlurmctldPidFile={root}/slurmctld.pid",
            f"SlurmdPidFile={root}/slurmd.pid",
            f"SlurmctldLogFile={root}/slurmctld.log",
            f"SlurmdLogFile={root}/slurmd.log",
            "GresTypes=gpu",
            "KillWait=2",
            "InactiveLimit=0",
            f"NodeName=localhost NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory=8000{gres_line} State=UNKNOWN",
            "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
            "",
        ]))
        (root / "gres.conf").write_text(
            "AutoDetect=off\n"
            + (f"NodeName=localhost Name=gpu File={root}/nvidia[0-{self.gpus - 1}]\n" if self.gpus else "")
        )

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._procs.clear()
        if self._munged_pid is not None:
            try:
                os.kill(self._munged_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self._munged_pid = None
