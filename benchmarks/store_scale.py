"""Store at scale: 10,000 trials x 100 intermediate results, write time and the reader queries REST,
``nnictl trial ls`` and the web UI make.

    python3 benchmarks/store_scale.py [--trials 10000] [--metrics 100]

Writes go through the manager's path (one transaction per batch of metrics, events one by one).
Beside each query: a plain ``SELECT`` of the same rows on the same database file, the floor any
store-based reader pays (decoding JSON values into Python objects is the rest).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nni.storage import NewMetric, db_path, open_reader, open_store  # noqa: E402


def _timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """Best wall time, best CPU time of this process (less disturbed by a busy machine), result."""
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, result


def _fill(folder: Path, trials: int, per_trial: int) -> tuple[float, float, int]:
    store = open_store(folder)
    store.init_profile("scale001", "scale", {}, {"x": {"_type": "uniform", "_value": [0, 1]}},
                       {"trialConcurrency": 8, "maxTrialNumber": trials})
    t_events = t_metrics = 0.0
    mid_revision = 0
    for i in range(trials):
        trial_id = f"t{i:06d}"[-5:] if trials <= 100000 else f"{i:05x}"
        t0 = time.perf_counter()
        store.add_trial_event(trial_id, "CREATED", {"sequence_id": i, "parameter_id": i,
                                                    "parameters": {"x": i / trials, "opt": {"_name": "sgd"}}})
        store.add_trial_event(trial_id, "RUNNING", {"handle": {"pid": 1000 + i}})
        t1 = time.perf_counter()
        batch = [NewMetric(trial_id, i, "PERIODICAL", s, {"default": s / per_trial, "loss": 1.0 - s / per_trial},
                           1.0 + s, 80 * (s + 1)) for s in range(per_trial)]
        batch.append(NewMetric(trial_id, i, "FINAL", 0, 0.5, 2.0, 80 * (per_trial + 1)))
        store.add_metrics(batch)
        t2 = time.perf_counter()
        store.add_trial_event(trial_id, "EXITED", {"status": "SUCCEEDED", "exit_code": 0})
        t_events += (t1 - t0) + (time.perf_counter() - t2)
        t_metrics += t2 - t1
        if i == trials - 100:
            mid_revision = store.revision()
    store.close()
    return t_events, t_metrics, mid_revision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--metrics", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nni-store-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        t_events, t_metrics, mid_rev = _fill(folder, args.trials, args.metrics)
        total = time.perf_counter() - t0
        n_metrics = args.trials * (args.metrics + 1)
        size = db_path(folder).stat().st_size / 2**20
        print(f"\nStore scale: {args.trials} trials x {args.metrics} intermediate results "
              f"({n_metrics} metric rows, {size:.0f} MiB)")
        print(f"  write: {total:.1f}s total; trial events {t_events:.1f}s "
              f"({t_events / (3 * args.trials) * 1e6:.0f} us/event); metrics {t_metrics:.1f}s "
              f"({t_metrics / n_metrics * 1e6:.1f} us/metric, one transaction per {args.metrics + 1})")
        reader = open_reader(folder)
        raw = sqlite3.connect(db_path(folder))
        one = reader.trials(limit=1, offset=args.trials // 2)[0].trial_job_id
        queries: list[tuple[str, Callable[[], Any], str]] = [
            ("trials() all (trial ls, REST trial-jobs)", lambda: reader.trials(),
             "SELECT * FROM trials ORDER BY sequence_id"),
            ("trials(offset, limit=100) one page", lambda: reader.trials(offset=args.trials // 2, limit=100),
             f"SELECT * FROM trials ORDER BY sequence_id LIMIT 100 OFFSET {args.trials // 2}"),
            ("trials(since_revision) last 100 changed", lambda: reader.trials(since_revision=mid_rev),
             f"SELECT * FROM trials WHERE revision > {mid_rev}"),
            ("status_counts() (job-statistics)", lambda: reader.status_counts(),
             "SELECT status, COUNT(*) FROM trials GROUP BY status"),
            ("metrics(trial) one trial's metrics", lambda: reader.metrics(one),
             f"SELECT * FROM metrics WHERE trial_job_id = '{one}' ORDER BY id"),
            ("metrics(type=FINAL) all finals", lambda: reader.metrics(type="FINAL"),
             "SELECT * FROM metrics WHERE type = 'FINAL' ORDER BY id"),
            ("latest_metrics() (metric-data-latest)", lambda: reader.latest_metrics(),
             "SELECT * FROM metrics WHERE id IN (SELECT MAX(id) FROM metrics GROUP BY trial_job_id)"),
            ("metrics(since_revision) last 100 trials", lambda: reader.metrics(since_revision=mid_rev),
             f"SELECT * FROM metrics WHERE revision > {mid_rev} ORDER BY id"),
            ("metrics(after_id, limit=1000) a page", lambda: reader.metrics(after_id=n_metrics // 2, limit=1000),
             f"SELECT * FROM metrics WHERE id > {n_metrics // 2} ORDER BY id LIMIT 1000"),
            ("metrics() every row (metric-data)", lambda: reader.metrics(), "SELECT * FROM metrics ORDER BY id"),
        ]
        print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        print(f"\n{'reader query':<42} | {'rows':>8} | {'store ms':>9} | {'store CPU ms':>12} | {'raw SELECT ms':>13}")
        print(f"{'-' * 42}-+-{'-' * 8}-+-{'-' * 9}-+-{'-' * 12}-+-{'-' * 13}")
        for label, fn, sql in queries:
            repeat = 1 if "every row" in label else 3
            seconds, cpu, rows = _timed(fn, repeat)
            raw_seconds, _cpu, _ = _timed(lambda sql=sql: raw.execute(sql).fetchall(), repeat)
            count = len(rows) if hasattr(rows, "__len__") else 1
            print(f"{label:<42} | {count:>8} | {seconds * 1000:>9.1f} | {cpu * 1000:>12.1f} | {raw_seconds * 1000:>13.1f}")
        raw.close()
        reader.close()


if __name__ == "__main__":
    main()
