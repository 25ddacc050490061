"""Remote platform throughput: 100 short trials over two SSH machines, beside peers in the same run.

Peers, all running the same trial script (reads its parameters, reports 3 intermediate and 1 final
metric through ``nni``) with the same number of trials in flight:
- ``local``: the local platform on this machine (no SSH at all: the floor of the per-trial cost);
- ``remote``: this package's remote platform, two machines (two sshd instances on loopback), one SSH
  connection and one agent per machine;
- ``ssh-per-trial``: the naive way, one new SSH connection per trial (connect, run, read the metrics
  file, close), over the same two machines, with asyncssh.

Needs root (it starts its own sshd instances on 127.0.0.1 with a throw-away key) and openssh-server.
Run: ``python3 benchmarks/remote.py [--trials 100] [--concurrency 8]``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nni.platforms.base import Platform, TrialExited, TrialJob, TrialMetric, TrialStarted  # noqa: E402
from nni.platforms.local import LocalPlatform  # noqa: E402
from nni.platforms.remote import MachineSpec, RemotePlatform, SessionOptions  # noqa: E402

TRIAL = """\
import nni
p = nni.get_next_parameter()
for i in range(3):
    nni.report_intermediate_result(p["x"] * i)
nni.report_final_result(p["x"])
"""


class _Sshd:
    def __init__(self, root: Path, host_key: Path, auth_keys: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        conf = root / f"sshd-{self.port}.conf"
        conf.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}", f"PidFile {root}/sshd-{self.port}.pid",
            "PasswordAuthentication no", "PubkeyAuthentication yes", "UsePAM no", "PermitRootLogin prohibit-password",
            "Subsystem sftp internal-sftp", "MaxSessions 50", "MaxStartups 200", "StrictModes no",
            f"AuthorizedKeysFile {auth_keys}", ""]))
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    def stop(self) -> None:
        os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


class _Collector:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.started: dict[str, float] = {}
        self.exited: dict[str, TrialExited] = {}
        self.metric_lag: list[float] = []
        self.on_exit: Callable[[], None] = lambda: None

    def __call__(self, event: Any) -> None:
        now = time.time()
        with self.cond:
            if isinstance(event, TrialStarted):
                self.started[event.trial_job_id] = time.monotonic()
            elif isinstance(event, TrialMetric):
                self.metric_lag.append(now - event.record.timestamp)
            elif isinstance(event, TrialExited):
                self.exited[event.trial_job_id] = event
                self.cond.notify_all()


def _jobs(n: int, code: Path, python: str) -> list[TrialJob]:
    return [TrialJob(trial_job_id=f"b{i:04d}", sequence_id=i, parameter_id=i, parameters={"x": i / n},
                     command=f"{python} trial.py", code_dir=str(code), env={"PYTHONPATH": str(REPO)})
            for i in range(n)]


def _run_platform(plat: Platform, jobs: list[TrialJob], concurrency: int) -> dict[str, Any]:
    sink = _Collector()
    plat.start(sink)
    submitted: dict[str, float] = {}
    try:
        t0 = time.monotonic()
        pending = list(jobs)
        with sink.cond:
            while len(sink.exited) < len(jobs):
                while pending and len(submitted) - len(sink.exited) < concurrency:
                    job = pending.pop(0)
                    submitted[job.trial_job_id] = time.monotonic()
                    sink.cond.release()
                    try:
                        plat.submit(job)
                    finally:
                        sink.cond.acquire()
                sink.cond.wait(60)
        wall = time.monotonic() - t0
    finally:
        plat.stop()
    ok = sum(e.status == "SUCCEEDED" for e in sink.exited.values())
    start_lat = [sink.started[t] - submitted[t] for t in sink.started]
    return {"wall": wall, "ok": ok, "start_ms": 1000 * statistics.median(start_lat),
            "metric_ms": 1000 * statistics.median(sink.metric_lag) if sink.metric_lag else float("nan")}


async def _ssh_per_trial(jobs: list[TrialJob], machines: list[MachineSpec], code: Path, remote: Path,
                         concurrency: int) -> dict[str, Any]:
    import asyncssh

    sem = asyncio.Semaphore(concurrency)
    ok = 0
    lags: list[float] = []

    async def one(i: int, job: TrialJob) -> None:
        nonlocal ok
        spec = machines[i % len(machines)]
        folder = remote / job.trial_job_id
        params = json.dumps({"parameter_id": job.parameter_id, "parameter_source": "algorithm",
                             "parameters": job.parameters, "parameter_index": 0})
        cmd = (f"mkdir -p {folder}/.nni && printf '%s' '{params}' > {folder}/parameter.cfg && cd {code} && "
               f"NNI_PLATFORM=remote NNI_EXP_ID=bench NNI_TRIAL_JOB_ID={job.trial_job_id} NNI_SYS_DIR={folder} "
               f"NNI_OUTPUT_DIR={folder} NNI_TRIAL_SEQ_ID={job.sequence_id} PYTHONPATH={REPO} {job.command} "
               f">{folder}/stdout 2>{folder}/stderr; rc=$?; cat {folder}/.nni/metrics; exit $rc")
        async with sem:
            async with asyncssh.connect(spec.host, port=spec.port, username=spec.user, client_keys=[spec.ssh_key_file],
                                        known_hosts=None, agent_path=None) as conn:
                result = await conn.run(cmd, check=False)
        now = time.time()
        if result.exit_status == 0:
            ok += 1
        for line in str(result.stdout).splitlines():
            lags.append(now - json.loads(line)["timestamp"])

    t0 = time.monotonic()
    await asyncio.gather(*(one(i, j) for i, j in enumerate(jobs)))
    return {"wall": time.monotonic() - t0, "ok": ok, "start_ms": float("nan"),
            "metric_ms": 1000 * statistics.median(lags) if lags else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/sshd"):
        sys.exit("benchmarks/remote.py needs root and openssh-server (it starts its own sshd on 127.0.0.1)")
    os.makedirs("/run/sshd", exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="nni-bench-remote-"))
    servers: list[_Sshd] = []
    try:
        key, host_key = tmp / "client", tmp / "host"
        for k in (key, host_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(k)], check=True)
        auth = tmp / "authorized_keys"
        shutil.copy(str(key) + ".pub", auth)
        servers = [_Sshd(tmp, host_key, auth) for _ in range(2)]
        machines = [MachineSpec(host="127.0.0.1", port=s.port, user="root", ssh_key_file=str(key)) for s in servers]
        code = tmp / "code"
        code.mkdir()
        (code / "trial.py").write_text(TRIAL)
        python = sys.executable
        n, c = args.trials, args.concurrency
        rows: list[tuple[str, dict[str, Any]]] = []

        local = LocalPlatform(tmp / "local-exp", "benchloc", kill_grace=2.0)
        rows.append(("local (this machine)", _run_platform(local, _jobs(n, code, python), c)))

        # both "machines" share this filesystem: each gets its own remote folder
        remote = RemotePlatform(machines, experiment_id="benchrem", trial_code_directory=str(code),
                                experiment_dir=str(tmp / "remote-exp"),  # logs copied back, as in a real run
                                remote_root=lambda spec: str(tmp / f"remote-{spec.port}"),
                                session_options=SessionOptions())
        rows.append(("remote, 2 machines, 1 connection each", _run_platform(remote, _jobs(n, code, python), c)))

        naive_root = tmp / "naive"
        naive_root.mkdir()
        rows.append(("ssh-per-trial, 2 machines (naive)",
                     asyncio.run(_ssh_per_trial(_jobs(n, code, python), machines, code, naive_root, c))))

        print(f"\n{n} trials (3 intermediate + 1 final metric each), {c} in flight, {os.cpu_count()} CPUs\n")
        head = f"{'platform':<40} {'ok':>5} {'wall s':>8} {'trials/s':>9} {'submit->start ms':>17} {'metric lag ms':>14}"
        print(head)
        print("-" * len(head))
        for name, r in rows:
            print(f"{name:<40} {r['ok']:>5} {r['wall']:>8.2f} {n / r['wall']:>9.2f} {r['start_ms']:>17.1f} "
                  f"{r['metric_ms']:>14.1f}")
        print("\nmetric lag: from the trial's write to the event reaching the caller (ssh-per-trial: read after exit)")
        print("both 'machines' are sshd instances on this host: their trials, sshd and the agents share its CPUs")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
