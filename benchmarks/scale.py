"""Scale: an experiment store of 10,000 trials x 100 intermediate results, read by nnictl and the REST API.

    python benchmarks/scale.py [--trials 10000] [--intermediates 100] [--runs 3] [--folder PATH]

Builds the store once through the store's writer API (cached in --folder), registers it in a temporary
experiments home, serves it with ``nnictl view`` (a real server process, the same app a running
manager serves) and times, as the median of --runs:

- ``nnictl trial ls`` (rich table, --json, --tail 20) as subprocesses (Python start-up included; the
  "python -c pass + import nni.cli" row is that start-up alone, measured in the same run);
- REST routes over HTTP (httpx, keep-alive) with the response size;
- the floor of each REST list: the same rows read with sqlite3 and encoded with json.dumps, in-process;
- the server process's resident memory after start, after the first round and after all rounds
  (flat = no growth from repeated requests).

Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nni.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
EXP_ID = "scale001"


def build(folder: Path, trials: int, intermediates: int) -> float:
    from nni.storage import ExperimentStore, NewMetric, store_exists

    marker = folder / "scale.json"
    if store_exists(folder) and marker.exists() and json.loads(marker.read_text()) == [trials, intermediates]:
        return 0.0
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    start = time.perf_counter()
    store = ExperimentStore(folder)
    t0 = time.time() - trials * 10
    config = {"experimentName": "scale", "trialCommand": "python3 trial.py", "trialCodeDirectory": ".",
              "trialConcurrency": 8, "maxTrialNumber": trials, "tuner": {"name": "Random"},
              "searchSpace": {"lr": {"_type": "loguniform", "_value": [1e-5, 1]},
                              "layers": {"_type": "randint", "_value": [1, 9]}},
              "trainingService": {"platform": "local"}}
    store.init_profile(EXP_ID, "scale", config, config["searchSpace"], {"trialConcurrency": 8, "maxTrialNumber": trials},
                       status="RUNNING", start_time=t0)
    import random

    rng = random.Random(0)
    batch = 200
    for first in range(0, trials, batch):
        with store.transaction():
            for seq in range(first, min(first + batch, trials)):
                tid = f"t{seq:04d}" if seq < 10000 else f"{seq:05d}"
                ts = t0 + seq * 10
                params = {"lr": 10 ** rng.uniform(-5, 0), "layers": rng.randrange(1, 9)}
                store.add_trial_event(tid, "CREATED", {"sequence_id": seq, "parameter_id": seq, "parameters": params},
                                      timestamp=ts)
                store.add_trial_event(tid, "RUNNING", {"handle": {"pid": 0}}, timestamp=ts + 1)
                curve = [1 - 0.5 / (i + 1) * rng.uniform(0.9, 1.1) for i in range(intermediates)]
                metrics = [NewMetric(tid, seq, "PERIODICAL", i, v, ts + 1 + i * 0.05, 40 * (i + 1))
                           for i, v in enumerate(curve)]
                metrics.append(NewMetric(tid, seq, "FINAL", 0, curve[-1], ts + 8, 40 * (intermediates + 1)))
                store.add_metrics(metrics)
                store.add_trial_event(tid, "EXITED", {"status": "SUCCEEDED", "exit_code": 0}, timestamp=ts + 9)
    store.set_status("DONE", end_time=t0 + trials * 10)
    store.close()
    marker.write_text(json.dumps([trials, intermediates]))
    return time.perf_counter() - start




def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process so far (wall times are noisy on a shared machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median_time(fn: Any, runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _floor(db: Path, sql: str, runs: int) -> float:
    def run() -> int:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return len(json.dumps(conn.execute(sql).fetchall()))
        finally:
            conn.close()

    return _median_time(run, runs)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--intermediates", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "nni-scale-bench" / EXP_ID)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import httpx

    built = build(args.folder, args.trials, args.intermediates)
    how = f"built in {built:.0f} s" if built else "cached"
    print(f"store: {args.trials} trials x {args.intermediates} intermediate results in {args.folder} ({how}; "
          f"{(args.folder / 'db' / 'nni.sqlite').stat().st_size / 2**20:.0f} MiB)")

    home = Path(tempfile.mkdtemp(prefix="nni-scale-home-"))
    env = {**os.environ, "NNI_EXPERIMENTS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    port = free_port()

    def nnictl(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "nni.cli", *cmd], env=env, capture_output=True, text=True,
                              check=True, stdin=subprocess.DEVNULL)

    nnictl("view", EXP_ID, "--experiment_dir", str(args.folder), "--port", str(port))
    registry = json.loads((home / ".experiment").read_text())
    pid = registry[EXP_ID]["pid"]
    rows: list[tuple[str, float, float, str, str]] = []
    try:
        base = f"http://127.0.0.1:{port}/api/v1/nni"
        rss_start = _rss_mib(pid)
        client = httpx.Client(timeout=300, trust_env=False)
        some = client.get(f"{base}/trial-jobs/t0042").json()["id"]
        db = args.folder / "db" / "nni.sqlite"
        routes = [
            ("GET trial-jobs", "/trial-jobs", "SELECT * FROM trials"),
            ("GET trial-jobs/{id}", f"/trial-jobs/{some}", f"SELECT * FROM trials WHERE trial_job_id = '{some}'"),
            ("GET metric-data/{id}", f"/metric-data/{some}", f"SELECT * FROM metrics WHERE trial_job_id = '{some}'"),
            ("GET metric-data-latest", "/metric-data-latest",
             "SELECT * FROM metrics WHERE id IN (SELECT MAX(id) FROM metrics GROUP BY trial_job_id)"),
            ("GET job-statistics", "/job-statistics", "SELECT status, COUNT(*) FROM trials GROUP BY status"),
            ("GET export-data", "/export-data", "SELECT parameters, final_metric, trial_job_id FROM trials"),
            ("GET experiment", "/experiment", "SELECT * FROM profile"),
            ("GET metric-data (all)", "/metric-data", "SELECT * FROM metrics"),
        ]
        rss_first = None
        for label, path, sql in routes:
            cpu0 = _cpu_of(pid)
            elapsed, response = _median_time(lambda p=path: client.get(base + p), args.runs)
            cpu = (_cpu_of(pid) - cpu0) / args.runs
            response.raise_for_status()
            floor = _floor(db, sql, args.runs)
            rows.append((label, elapsed, cpu, f"{len(response.content) / 2**20:.2f} MiB", f"{floor:.3f}"))
            if rss_first is None:
                rss_first = _rss_mib(pid)
        rss_end = _rss_mib(pid)
        for _ in range(args.runs):
            client.get(base + "/trial-jobs")
            client.get(base + "/metric-data-latest")
        rss_again = _rss_mib(pid)
        client.close()

        cpu0 = _children_cpu()
        start_only, _ = _median_time(lambda: subprocess.run(
            [sys.executable, "-c", "import nni.cli"], env=env, check=True), args.runs)
        start_cpu = (_children_cpu() - cpu0) / args.runs
        for label, cmd in (("nnictl trial ls (table)", ("trial", "ls", EXP_ID)),
                           ("nnictl trial ls --json", ("trial", "ls", EXP_ID, "--json")),
                           ("nnictl trial ls --tail 20", ("trial", "ls", EXP_ID, "--tail", "20"))):
            cpu0 = _children_cpu()
            elapsed, result = _median_time(lambda c=cmd: nnictl(*c), args.runs)
            cpu = (_children_cpu() - cpu0) / args.runs
            rows.append((label, elapsed, cpu, f"{len(result.stdout) / 2**20:.2f} MiB",
                         f"{start_only:.3f} / {start_cpu:.3f}"))
    finally:
        nnictl("stop", EXP_ID)

    print()
    print(f"{'operation':<28} {'wall s':>8} {'cpu s':>7} {'response':>11} {'floor s':>13}")
    print("-" * 71)
    for label, elapsed, cpu, size, floor in rows:
        print(f"{label:<28} {elapsed:>8.3f} {cpu:>7.3f} {size:>11} {floor:>13}")
    print("wall: median of the runs; cpu: mean CPU seconds per run of the server process (REST rows) or of the")
    print("nnictl process (nnictl rows). floor: REST rows = sqlite3 fetch + json.dumps of the same rows in-process;")
    print("nnictl rows = Python start-up + import nni.cli (wall / cpu)")
    print(f"machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print()
    print(f"server RSS (MiB): after start {rss_start:.0f}, after first request {rss_first:.0f}, "
          f"after one round of all routes {rss_end:.0f}, after {args.runs} more rounds of the lists {rss_again:.0f}")


if __name__ == "__main__":
    main()
