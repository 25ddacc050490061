"""Dispatch overhead: no-op trials through the manager + local platform vs. a bare launch loop.

    python3 benchmarks/dispatch.py [--trials 200] [--concurrency 2,8]

Each trial is ``import nni; p = nni.get_next_parameter(); nni.report_final_result(p["x"])``. The bare
loop is the limit: it writes each trial's parameter.cfg and launches the same script with the same
environment, keeping ``concurrency`` processes alive, with no manager, store, tuner or platform (each in
its own session, as the platform starts them: on this sandbox, children sharing the parent's session
start several times slower when many start at once). The
manager run is a full experiment (Random tuner, SQLite store, local platform, one process group per
trial) from ``run()`` to DONE. Prints trials per second for both and their ratio (target >= 0.7).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nni.manager import ExperimentManager  # noqa: E402
from nni.runtime import trial_channel  # noqa: E402
from nni.storage import ExperimentStore  # noqa: E402

TRIAL = "import nni\np = nni.get_next_parameter()\nnni.report_final_result(p['x'])\n"


def _bare(code: Path, work: Path, trials: int, concurrency: int) -> float:
    root = str(Path(__file__).resolve().parents[1])
    base_env = dict(os.environ, NNI_PLATFORM="local", NNI_EXP_ID="benchbare", NNI_CODE_DIR=str(code))
    base_env["PYTHONPATH"] = root + (os.pathsep + base_env["PYTHONPATH"] if base_env.get("PYTHONPATH") else "")
    running: dict[int, subprocess.Popen[bytes]] = {}
    started = 0
    t0 = time.perf_counter()
    while started < trials or running:
        while started < trials and len(running) < concurrency:
            sys_dir = work / f"t{started:05d}"
            (sys_dir / ".nni").mkdir(parents=True)
            trial_channel.write_parameter_file(sys_dir, started, {"x": 0.5})
            env = dict(base_env, NNI_TRIAL_JOB_ID=f"b{started:04d}", NNI_SYS_DIR=str(sys_dir),
                       NNI_OUTPUT_DIR=str(sys_dir), NNI_TRIAL_SEQ_ID=str(started))
            proc = subprocess.Popen([sys.executable, "trial.py"], cwd=code, env=env, start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            running[proc.pid] = proc
            started += 1
        pid, _status = os.wait()
        proc = running.pop(pid, None)
        if proc is not None:
            proc.returncode = 0
    return trials / (time.perf_counter() - t0)


def _managed(code: Path, work: Path, trials: int, concurrency: int) -> tuple[float, dict[str, int]]:
    config = {
        "trialCommand": f"{sys.executable} trial.py", "trialCodeDirectory": str(code),
        "trialConcurrency": concurrency, "maxTrialNumber": trials,
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "tuner": {"name": "Random", "classArgs": {"seed": 0}}, "trainingService": {"platform": "local"},
    }
    store = ExperimentStore(work)
    manager = ExperimentManager(config, work, "benchmgr", store=store)
    t0 = time.perf_counter()
    status = manager.run()
    elapsed = time.perf_counter() - t0
    from nni.storage import open_reader

    with open_reader(work) as reader:
        counts = reader.status_counts()
        finals = len(reader.metrics(type="FINAL"))
    if status != "DONE" or counts.get("SUCCEEDED") != trials or finals != trials:
        raise SystemExit(f"manager run incomplete: {status} {counts} finals={finals}")
    return trials / elapsed, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--concurrency", default="2,8")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, interleaved; the median is shown")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="nni-dispatch-") as tmp:
        code = Path(tmp) / "code"
        code.mkdir()
        (code / "trial.py").write_text(TRIAL)
        for c in levels:
            bares, manageds = [], []
            for r in range(args.repeat):
                bares.append(_bare(code, Path(tmp) / f"bare{c}-{r}", args.trials, c))
                manageds.append(_managed(code, Path(tmp) / f"mgr{c}-{r}", args.trials, c)[0])
                print(f"  concurrency {c} run {r + 1}: bare {bares[-1]:.2f}/s, manager {manageds[-1]:.2f}/s",
                      file=sys.stderr, flush=True)
            ratios = [m / b for m, b in zip(manageds, bares, strict=True)]
            rows.append((c, statistics.median(bares), statistics.median(manageds), statistics.median(ratios)))
    print(f"\nDispatch overhead: {args.trials} no-op trials, median of {args.repeat} interleaved runs "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"{'concurrency':>11} | {'bare loop trials/s':>18} | {'manager+local trials/s':>22} | {'ratio':>5} | "
          f"{'median ratio of pairs':>21}")
    print(f"{'-' * 11}-+-{'-' * 18}-+-{'-' * 22}-+-{'-' * 5}-+-{'-' * 21}")
    for c, bare, managed, paired in rows:
        print(f"{c:>11} | {bare:>18.2f} | {managed:>22.2f} | {managed / bare:>5.2f} | {paired:>21.2f}")


if __name__ == "__main__":
    main()
