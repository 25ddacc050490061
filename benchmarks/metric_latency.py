"""How soon the local platform sees what a trial reports: metric latency and exit latency.

    python3 benchmarks/metric_latency.py [--metrics 50] [--gap 0.02]

A trial reports ``--metrics`` intermediate results ``--gap`` seconds apart, then exits. For each
metric: the time from the trial's ``report_intermediate_result`` (the record's timestamp) to the
platform's event. For the exit: from the final report to the ``TrialExited`` event (this includes the
interpreter's own shutdown). Beside it, the latency a fixed 0.5 s polling loop would have on average
(half its period), the usual alternative to inotify + pidfds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nni.platforms.base import TrialExited, TrialJob, TrialMetric  # noqa: E402
from nni.platforms.local import LocalPlatform  # noqa: E402

TRIAL = """
import sys, time
import nni
nni.get_next_parameter()
n, gap = int(sys.argv[1]), float(sys.argv[2])
for i in range(n):
    nni.report_intermediate_result(i)
    time.sleep(gap)
nni.report_final_result(n)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metrics", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.02)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    latencies: list[float] = []
    exits: list[float] = []
    with tempfile.TemporaryDirectory(prefix="nni-latency-") as tmp:
        code = Path(tmp) / "code"
        code.mkdir()
        (code / "trial.py").write_text(TRIAL)
        arrivals: list[tuple[float, object]] = []
        platform = LocalPlatform(Path(tmp) / "exp", "latency1")
        platform.start(lambda event: arrivals.append((time.time(), event)))
        try:
            for i in range(args.trials):
                job = TrialJob(f"lat{i:02d}", i, i, {}, f"{sys.executable} trial.py {args.metrics} {args.gap}", str(code))
                platform.submit(job)
                deadline = time.monotonic() + 120
                while not any(isinstance(e, TrialExited) and e.trial_job_id == job.trial_job_id for _, e in arrivals):
                    if time.monotonic() > deadline:
                        raise SystemExit("the trial did not finish")
                    time.sleep(0.05)
        finally:
            platform.stop()
        final_at: dict[str, float] = {}
        for seen, event in arrivals:
            if isinstance(event, TrialMetric):
                latencies.append(seen - event.record.timestamp)
                if event.record.type == "FINAL":
                    final_at[event.trial_job_id] = event.record.timestamp
            elif isinstance(event, TrialExited):
                exits.append(event.timestamp - final_at[event.trial_job_id])
    latencies.sort()
    print(f"\nLocal platform latency: {args.trials} trials x {args.metrics + 1} metrics "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"{'what':<40} | {'median ms':>9} | {'p90 ms':>7} | {'max ms':>7}")
    print(f"{'-' * 40}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}")
    p90 = latencies[int(0.9 * (len(latencies) - 1))]
    print(f"{'metric reported -> platform event':<40} | {statistics.median(latencies) * 1000:>9.1f} | "
          f"{p90 * 1000:>7.1f} | {latencies[-1] * 1000:>7.1f}")
    print(f"{'final reported -> exit event':<40} | {statistics.median(exits) * 1000:>9.1f} | "
          f"{'':>7} | {max(exits) * 1000:>7.1f}")
    print(f"{'(a 0.5 s polling loop, on average)':<40} | {250.0:>9.1f} | {'':>7} | {500.0:>7.1f}")


if __name__ == "__main__":
    main()
