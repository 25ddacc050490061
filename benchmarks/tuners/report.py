"""Tables from the results cache: best-so-far mean/median, average ranks, wins over random, timings."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import rankdata

from benchmarks.tuners.problems import PROBLEMS

__all__ = ["quality_report", "timing_table", "best_so_far", "average_ranks"]


def best_so_far(cache: dict[str, Any], problem: str, optimizer: str, budget: int, seeds: int,
                at: int) -> list[float] | None:
    """Best loss after ``at`` evaluations for each seed in ``range(seeds)``; None if any is missing."""
    out = []
    for s in range(seeds):
        entry = cache.get(f"{problem}|{optimizer}|{s}|{budget}")
        if entry is None or "error" in entry or len(entry["losses"]) < at:
            return None
        out.append(float(np.min(entry["losses"][:at])))
    return out


def complete_seeds(cache: dict[str, Any], problem: str, optimizers: list[str], budget: int, seeds: int) -> int:
    """How many leading seeds every optimizer that ran on ``problem`` has finished (for partial runs)."""
    n = seeds
    for o in optimizers:
        done = 0
        while done < seeds and f"{problem}|{o}|{done}|{budget}" in cache:
            done += 1
        if done:
            n = min(n, done)
    return n


def _status(cache: dict[str, Any], problem: str, optimizer: str, budget: int, seeds: int) -> str:
    entries = [cache.get(f"{problem}|{optimizer}|{s}|{budget}") for s in range(seeds)]
    if all(e is None for e in entries):
        return "n/a"
    if any(e is not None and "error" in e for e in entries):
        return "fails"
    return "partial"


def average_ranks(cache: dict[str, Any], problems: list[str], optimizers: list[str], budget: int,
                  seeds: dict[str, int], at: int) -> dict[str, dict[str, float]]:
    """``{problem: {optimizer: mean rank over seeds}}``; a failed optimizer ranks last on that problem."""
    ranks: dict[str, dict[str, float]] = {}
    for p in problems:
        rows = {o: best_so_far(cache, p, o, budget, seeds[p], at) for o in optimizers}
        present = [o for o in optimizers if rows[o] is not None or _status(cache, p, o, budget, seeds[p]) == "fails"]
        if not present or all(rows[o] is None for o in present):
            continue
        per_seed = []
        for s in range(seeds[p]):
            vals = [rows[o][s] if rows[o] is not None else math.inf for o in present]
            per_seed.append(rankdata(vals))
        mean = np.mean(per_seed, axis=0)
        ranks[p] = dict(zip(present, mean.tolist(), strict=False))
    return ranks


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "inf"
    if x == 0:
        return "0"
    if abs(x) >= 1000 or abs(x) < 0.001:
        return f"{x:.2e}"
    return f"{x:.4g}"


def quality_report(cache: dict[str, Any], problems: list[str], optimizers: list[str], budget: int,
                   checkpoints: list[int], seeds: dict[str, int]) -> str:
    requested = dict(seeds)
    shown = [o for o in optimizers
             if any(_status(cache, p, o, budget, seeds[p]) != "n/a" for p in problems)]
    seeds = {p: complete_seeds(cache, p, shown, budget, seeds[p]) for p in problems}
    lines: list[str] = []
    short = {p: n for p, n in seeds.items() if n < requested[p]}
    if short:
        lines.append("Seeds used where fewer than requested finished for every optimizer: "
                     + ", ".join(f"{p} {n}" for p, n in short.items()) + "\n")
    groups: dict[str, list[str]] = {}
    for p in problems:
        groups.setdefault(PROBLEMS[p].group, []).append(p)
    for at in checkpoints:
        if at > budget:
            continue
        lines.append(f"### Best loss after {at} evaluations: mean / median over seeds (lower is better)\n")
        lines.append("| optimizer | " + " | ".join(problems) + " |")
        lines.append("|---|" + "---|" * len(problems))
        for o in shown:
            cells = []
            for p in problems:
                vals = best_so_far(cache, p, o, budget, seeds[p], at)
                cells.append(_status(cache, p, o, budget, seeds[p]) if vals is None
                             else f"{_fmt(float(np.mean(vals)))} / {_fmt(float(np.median(vals)))}")
            lines.append(f"| {o} | " + " | ".join(cells) + " |")
        lines.append("")
        ranks = average_ranks(cache, problems, shown, budget, seeds, at)
        lines.append(f"### Average rank after {at} evaluations (per problem: mean over seeds of the rank among "
                     "optimizers; lower is better; a failing optimizer ranks last)\n")
        group_names = list(groups)
        lines.append("| optimizer | " + " | ".join(f"{g} ({len(groups[g])})" for g in group_names) + " | all |")
        lines.append("|---|" + "---|" * (len(group_names) + 1))
        order = []
        for o in shown:
            per_group = []
            for g in group_names:
                rs = [ranks[p][o] for p in groups[g] if p in ranks and o in ranks[p]]
                complete = len(rs) == len(groups[g])
                per_group.append(float(np.mean(rs)) if rs and complete else None)
            every = [ranks[p][o] for p in problems if p in ranks and o in ranks[p]]
            total = float(np.mean(every)) if len(every) == len([p for p in problems if p in ranks]) and every else None
            order.append((total if total is not None else math.inf, o, per_group, total))
        for _, o, per_group, total in sorted(order):
            cells = ["-" if v is None else f"{v:.2f}" for v in per_group]
            lines.append(f"| {o} | " + " | ".join(cells) + f" | {'-' if total is None else f'{total:.2f}'} |")
        lines.append("")
    final = min(budget, max(checkpoints))
    if "Random" in shown:
        lines.append(f"### Problems where the mean best after {final} evaluations beats Random's\n")
        lines.append("| optimizer | wins / problems |")
        lines.append("|---|---|")
        for o in shown:
            if o == "Random":
                continue
            wins = total = 0
            for p in problems:
                mine = best_so_far(cache, p, o, budget, seeds[p], final)
                rand = best_so_far(cache, p, "Random", budget, seeds[p], final)
                if rand is None:
                    continue
                total += 1
                if mine is not None and np.mean(mine) < np.mean(rand):
                    wins += 1
            lines.append(f"| {o} | {wins} / {total} |")
        lines.append("")
    return "\n".join(lines)


def timing_table(cache: dict[str, Any], optimizers: list[str], sizes: list[int]) -> str:
    lines = ["### CPU ms per suggestion on Hartmann6 after N finished trials (median of 5 suggestions)\n",
             "| optimizer | " + " | ".join(f"N={n}" for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for o in optimizers:
        cells = []
        for n in sizes:
            entry = cache.get(f"timing|{o}|{n}")
            if entry is None:
                cells.append("n/a")
            elif "error" in entry:
                cells.append(entry.get("label", "fails"))
            else:
                cells.append(f"{entry['ms']:.1f}")
        if any(c != "n/a" for c in cells):
            lines.append(f"| {o} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
