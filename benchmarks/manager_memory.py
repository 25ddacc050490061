"""Manager memory over a long experiment: it keeps only running trials in memory, so it stays flat.

    python3 benchmarks/manager_memory.py [--trials 3000] [--metrics 20]

The manager (Random tuner, real SQLite store) runs ``--trials`` trials on the in-process fake platform
(no processes: this measures the manager alone), each reporting ``--metrics`` intermediate results
and a final one, at concurrency 8. Prints the process's resident memory every tenth of the way,
and the manager's throughput.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nni.manager import ExperimentManager  # noqa: E402
from nni.storage import ExperimentStore, open_reader  # noqa: E402
from nni.testing.fake_platform import Exit, FakePlatform, Final, Metric  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=3000)
    parser.add_argument("--metrics", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nni-memory-") as tmp:
        config = {"trialCommand": "unused", "trialConcurrency": 8, "maxTrialNumber": args.trials,
                  "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
                  "tuner": {"name": "Random", "classArgs": {"seed": 0}}, "trainingService": {"platform": "local"}}

        def script(job):  # type: ignore[no-untyped-def]
            return [*(Metric({"default": i, "loss": 1.0 / (i + 1)}) for i in range(args.metrics)),
                    Final(job.parameters["x"]), Exit(0)]

        manager = ExperimentManager(config, tmp, "memory01", store=ExperimentStore(tmp), platform=FakePlatform(script, record=False))
        gc.collect()
        samples: list[tuple[int, float]] = [(0, _rss_mib())]
        thread = threading.Thread(target=manager.run, daemon=True)
        t0 = time.perf_counter()
        thread.start()
        reader = open_reader(tmp)
        step = max(1, args.trials // 10)
        next_mark = step
        while thread.is_alive():
            done = reader.trial_count(["SUCCEEDED", "FAILED"])
            if done >= next_mark:
                samples.append((done, _rss_mib()))
                next_mark += step
            time.sleep(0.2)
        elapsed = time.perf_counter() - t0
        samples.append((reader.trial_count(), _rss_mib()))
        metrics = reader.metric_count()
        reader.close()
    print(f"\nManager memory: {args.trials} trials x {args.metrics + 1} metrics on the fake platform "
          f"({elapsed:.0f}s, {args.trials / elapsed:.0f} trials/s, {metrics / elapsed:.0f} metrics/s stored)")
    print(f"{'trials done':>11} | {'RSS MiB':>8}")
    print(f"{'-' * 11}-+-{'-' * 8}")
    for done, rss in samples:
        print(f"{done:>11} | {rss:>8.1f}")


if __name__ == "__main__":
    main()
