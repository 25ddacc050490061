"""How soon the local platform sees what a trial reports: metric latency and exit latency.

    python3 benchmarks/metric_latency.py [--metrics 50] [--gap 0.02]

A trial reports ``--metrics`` intermediate results ``--gap`` seconds apart, then exits. For each
metric: the time from the trial's ``report_intermediate_result`` (the record's timestamp) to the
platform's event. For the exit: from the final report to the ``TrialExited`` event (this includes the
interpreter's own shutdown). Measured through both OS seams in the same run: the Linux fast path
(pidfds, inotify) and the portable path macOS runs (psutil, watchdog; ``NNI_OS_SEAM=portable``). Beside
them, the latency a fixed 0.5 s polling loop would have on average (half its period).
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

from nni._os import SEAM_VARIABLE  # noqa: E402
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


def measure(seam: str, args: argparse.Namespace) -> tuple[list[float], list[float]]:
    """(metric latencies, exit latencies) in seconds with the OS seam ``seam`` forced."""
    os.environ[SEAM_VARIABLE] = seam
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
    return sorted(latencies), exits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metrics", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.02)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    seams = ["linux", "portable"] if sys.platform.startswith("linux") else ["portable"]
    results = {seam: measure(seam, args) for seam in seams}
    print(f"\nLocal platform latency: {args.trials} trials x {args.metrics + 1} metrics per seam "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"{'what':<50} | {'median ms':>9} | {'p90 ms':>7} | {'max ms':>7}")
    print(f"{'-' * 50}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}")
    for seam, (latencies, exits) in results.items():
        p90 = latencies[int(0.9 * (len(latencies) - 1))]
        print(f"{f'{seam}: metric reported -> platform event':<50} | {statistics.median(latencies) * 1000:>9.1f} | "
              f"{p90 * 1000:>7.1f} | {latencies[-1] * 1000:>7.1f}")
        print(f"{f'{seam}: final reported -> exit event':<50} | {statistics.median(exits) * 1000:>9.1f} | "
              f"{'':>7} | {max(exits) * 1000:>7.1f}")
    print(f"{'(a 0.5 s polling loop, on average)':<50} | {250.0:>9.1f} | {'':>7} | {500.0:>7.1f}")


if __name__ == "__main__":
    main()
