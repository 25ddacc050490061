"""Tuner benchmark: best loss after 25/50/100 evaluations over seeds, ranks, and suggestion time.

Examples::

    python -m benchmarks.tuners                                   # everything (cached runs are reused)
    python -m benchmarks.tuners --problems synthetic --optimizers TPE,optuna-TPE-mv --seeds 10
    python -m benchmarks.tuners --report-only --markdown benchmarks/RESULTS-tuners.md
    python -m benchmarks.tuners --timing --optimizers TPE,optuna-TPE --timing-sizes 100,1000

Results go to a JSON cache (``--cache``), one entry per (problem, optimizer, seed, budget), so tables
can be re-printed and interrupted runs resumed. Runs use a process pool (``--jobs``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.tuners import report
from benchmarks.tuners.optimizers import (
    BUILTIN,
    NNI3_TUNERS,
    OPTIMIZERS,
    builtin_available,
    nni3_available,
    run_nni3,
)
from benchmarks.tuners.problems import GROUPS, PROBLEMS

DEFAULT_CACHE = Path(__file__).with_name("results.json")
DEFAULT_OPTIMIZERS = [
    "Random", "TPE", "Anneal", "Evolution", "GP", "SMAC", "Metis", "DNGO",
    "optuna-TPE", "optuna-TPE-mv", "optuna-GP", "optuna-CMAES", "hyperopt-TPE",
    "nni3-TPE", "nni3-Anneal", "nni3-Evolution", "nni3-Random",
]


def _split(text: str, known: dict[str, Any], groups: dict[str, list[str]] | None = None) -> list[str]:
    out: list[str] = []
    for item in [t.strip() for t in text.split(",") if t.strip()]:
        if groups and item in groups:
            out.extend(groups[item])
        elif item in known:
            out.append(item)
        else:
            choices = ", ".join([*(groups or {}), *known])
            raise SystemExit(f"unknown name {item!r}; expected one of: {choices}")
    return out


def _available(names: list[str]) -> list[str]:
    ok = []
    for name in names:
        if name in BUILTIN and not builtin_available(name):
            print(f"skipping {name}: its module is not in this checkout yet", file=sys.stderr)
            continue
        if name.startswith("nni3-") and not nni3_available():
            print(f"skipping {name}: NNI 3.0 environment not found", file=sys.stderr)
            continue
        ok.append(name)
    return ok


def _entry(losses: list[float], times: list[float], start: float) -> dict[str, Any]:
    return {"losses": [float(f"{x:.7g}") for x in losses],
            "suggest_ms": float(f"{1000 * sum(times) / max(1, len(times)):.4g}"),
            "wall": round(time.time() - start, 2)}


def _task(args: tuple[str, str, tuple[int, ...], int]) -> list[tuple[str, dict[str, Any]]]:
    problem_name, optimizer, seeds, budget = args
    problem = PROBLEMS[problem_name]
    start = time.time()
    if optimizer in NNI3_TUNERS:
        try:
            per_seed = run_nni3(NNI3_TUNERS[optimizer], problem_name, list(seeds), budget)
        except Exception as exc:
            per_seed = {s: {"error": f"{type(exc).__name__}: {exc}"[:300]} for s in seeds}
        return [(cache_key(problem_name, optimizer, s, budget),
                 r if "error" in r else _entry(r["losses"], r["cpu"], start)) for s, r in per_seed.items()]
    out = []
    for seed in seeds:
        key = cache_key(problem_name, optimizer, seed, budget)
        try:
            losses, times = OPTIMIZERS[optimizer](problem.space, problem.loss, seed, budget)
            out.append((key, _entry(losses, times, start)))
        except Exception as exc:  # a failing peer is a result too (shown as "fails" in the tables)
            out.append((key, {"error": f"{type(exc).__name__}: {exc}"[:300], "trace": traceback.format_exc()[-1500:]}))
    return out


def cache_key(problem: str, optimizer: str, seed: int, budget: int) -> str:
    return f"{problem}|{optimizer}|{seed}|{budget}"


def load_cache(path: Path) -> dict[str, Any]:
    if path.exists():
        return json.loads(path.read_text())
    return {}


def save_cache(path: Path, cache: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache, indent=0, sort_keys=True))
    os.replace(tmp, path)


def run_quality(problems: list[str], optimizers: list[str], seeds: int, sklearn_seeds: int, budget: int,
                jobs: int, cache_path: Path, retry_errors: bool) -> dict[str, Any]:
    cache = load_cache(cache_path)
    tasks: list[tuple[str, str, tuple[int, ...], int]] = []
    for p in problems:
        n_seeds = sklearn_seeds if PROBLEMS[p].group == "sklearn" else seeds
        for o in optimizers:
            todo = [s for s in range(n_seeds)
                    if not (cache_key(p, o, s, budget) in cache
                            and not (retry_errors and "error" in cache[cache_key(p, o, s, budget)]))]
            if o in NNI3_TUNERS and todo:
                tasks.append((p, o, tuple(todo), budget))  # one NNI 3.0 process per problem
            else:
                tasks.extend((p, o, (s,), budget) for s in todo)
    # Seed-major order (all problems and optimizers for seed 0, then seed 1, ...), optimizers in the
    # order given: a run cut short still has balanced seeds. NNI 3.0 batches come first.
    order = {o: i for i, o in enumerate(optimizers)}
    tasks.sort(key=lambda t: (t[1] not in NNI3_TUNERS, min(t[2]), order[t[1]], t[0]))
    print(f"{len(tasks)} runs to do ({len(cache)} cached) with {jobs} processes", file=sys.stderr)
    done = 0
    started = time.time()
    with mp.get_context("fork").Pool(jobs) as pool:
        for results in pool.imap_unordered(_task, tasks):
            for key, result in results:
                cache[key] = result
                if "error" in result:
                    print(f"  {key}: {result['error']}", file=sys.stderr)
            done += 1
            if done % 10 == 0 or done == len(tasks):
                save_cache(cache_path, cache)
                print(f"  {done}/{len(tasks)} runs, {time.time() - started:.0f}s", file=sys.stderr)
    save_cache(cache_path, cache)
    return cache


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tuners", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", default=",".join(GROUPS),
                        help=f"problems or groups, comma-separated (groups: {', '.join(GROUPS)}; "
                             f"problems: {', '.join(PROBLEMS)})")
    parser.add_argument("--optimizers", default=",".join(DEFAULT_OPTIMIZERS),
                        help=f"comma-separated, from: {', '.join(OPTIMIZERS)}")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per synthetic/space problem (default 10)")
    parser.add_argument("--sklearn-seeds", type=int, default=5, help="seeds per scikit-learn problem (default 5)")
    parser.add_argument("--budget", type=int, default=100, help="evaluations per run (default 100)")
    parser.add_argument("--checkpoints", default="25,50,100", help="report best-so-far at these evaluations")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="JSON results cache")
    parser.add_argument("--report-only", action="store_true", help="print tables from the cache, run nothing")
    parser.add_argument("--retry-errors", action="store_true", help="rerun cached runs that failed")
    parser.add_argument("--timing", action="store_true", help="measure suggestion time instead of quality")
    parser.add_argument("--timing-sizes", default="100,1000,5000", help="finished-trial counts for --timing")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this Markdown file")
    args = parser.parse_args(argv)

    problems = _split(args.problems, PROBLEMS, GROUPS)
    optimizers = _split(args.optimizers, OPTIMIZERS)
    checkpoints = [int(x) for x in args.checkpoints.split(",")]

    if args.timing:
        from benchmarks.tuners import timing

        sizes = [int(x) for x in args.timing_sizes.split(",")]
        cache = load_cache(args.cache)
        timing.run(_available(optimizers), sizes, cache)
        save_cache(args.cache, cache)
        text = report.timing_table(cache, optimizers, sizes)
        print(text)
        return
    if not args.report_only:
        run_quality(problems, _available(optimizers), args.seeds, args.sklearn_seeds, args.budget, args.jobs,
                    args.cache, args.retry_errors)
    cache = load_cache(args.cache)
    text = report.quality_report(cache, problems, optimizers, args.budget, checkpoints,
                                 {p: (args.sklearn_seeds if PROBLEMS[p].group == "sklearn" else args.seeds)
                                  for p in problems})
    if any(k.startswith("timing|") for k in cache):
        sizes = [int(x) for x in args.timing_sizes.split(",")]
        text += "\n" + report.timing_table(cache, optimizers, sizes)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
