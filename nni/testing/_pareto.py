"""An independent Pareto set for tests: plain loops over the reported results, sharing no code with
``nni.analysis`` (what the tests check against)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["expected_pareto_set"]


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def expected_pareto_set(results: Mapping[str, Any], config: Mapping[str, Any]) -> set[str]:
    """Ids of the results (trial id -> final result dict) that are feasible under the config's
    ``constraints`` and that no other feasible result is at least as good as in every ``objectives`` entry
    and better in one."""
    objectives = [(o["name"], str(o.get("mode", "minimize")).startswith("max")) for o in config["objectives"]]
    feasible: dict[str, list[float]] = {}
    for tid, result in results.items():
        if not isinstance(result, Mapping) or not all(_finite(result.get(name)) for name, _ in objectives):
            continue
        within = True
        for c in config.get("constraints") or ():
            value = result.get(c["name"])
            if not _finite(value) or ("max" in c and value > c["max"]) or ("min" in c and value < c["min"]):
                within = False
        if within:
            feasible[tid] = [result[name] if up else -result[name] for name, up in objectives]  # all maximised
    front = set()
    for tid, mine in feasible.items():
        beaten = False
        for other, theirs in feasible.items():
            pairs = list(zip(theirs, mine, strict=True))
            if other != tid and all(t >= m for t, m in pairs) and any(t > m for t, m in pairs):
                beaten = True
                break
        if not beaten:
            front.add(tid)
    return front
