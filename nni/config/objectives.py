"""``objectives`` and ``constraints``: the two optional top-level keys of a v2 config for several objectives.

```yaml
objectives:
  - {name: accuracy, mode: maximize}
  - {name: latency_ms, mode: minimize}
constraints:
  - {name: memory_mb, max: 4000}      # max and/or min
```

Each entry is checked here (one line naming the key); the checks across entries (a name given twice, a
constraint on an objective, the tuner able to handle them) are :func:`check_objectives`'.
"""

from __future__ import annotations

from dataclasses import dataclass

from nni.objectives import MODES, Objectives

from ._base import ConfigBase, Context, option
from ._values import to_choice, to_nonempty_str, to_number

__all__ = ["ObjectiveConfig", "ConstraintConfig", "check_objectives"]


@dataclass
class ObjectiveConfig(ConfigBase):
    """One objective: the key trials report it under, and its direction."""

    name: str | None = option("name", to_nonempty_str, required=True,
                              help="the key trials report this objective under, e.g. accuracy")
    mode: str | None = option("mode", to_choice(*MODES), required=True, help="maximize or minimize")

    @classmethod
    def _label(cls) -> str:
        return "objective"


@dataclass
class ConstraintConfig(ConfigBase):
    """One constraint: the key trials report it under and its bounds (``max`` and/or ``min``)."""

    name: str | None = option("name", to_nonempty_str, required=True,
                              help="the key trials report this value under, e.g. memory_mb")
    max: float | None = option("max", to_number)
    min: float | None = option("min", to_number)

    @classmethod
    def _label(cls) -> str:
        return "constraint"

    def _check(self, ctx: Context, path: str) -> None:
        if self.max is None and self.min is None:
            raise ctx.error(path, f"constraint {self.name!r} has no bound; give max, min or both "
                                  f"(e.g. {{name: {self.name}, max: 4000}})")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ctx.error(f"{path}.min", f"min ({self.min:g}) is above max ({self.max:g}) for constraint "
                                           f"{self.name!r}; no value could satisfy it")


def check_objectives(objectives: list[ObjectiveConfig] | None, constraints: list[ConstraintConfig] | None,
                     ctx: Context) -> Objectives | None:
    """Names unique across both lists; constraints only with objectives. Returns the typed declaration."""
    if objectives is None:
        if constraints:
            raise ctx.error("constraints", "constraints need objectives; declare them too "
                                           "(objectives: [{name: accuracy, mode: maximize}])")
        return None
    seen: dict[str, str] = {}
    for index, item in enumerate(objectives):
        assert item.name is not None
        if item.name in seen:
            raise ctx.error(f"objectives[{index}].name", f"objective {item.name!r} is named twice; give each "
                                                         "objective once")
        seen[item.name] = "objective"
    for index, item in enumerate(constraints or []):
        assert item.name is not None
        if seen.get(item.name) == "objective":
            raise ctx.error(f"constraints[{index}].name",
                            f"{item.name!r} is an objective; an objective cannot also be a constraint "
                            "(report the bounded value under another key, or drop the constraint)")
        if item.name in seen:
            raise ctx.error(f"constraints[{index}].name", f"constraint {item.name!r} is named twice; give one "
                                                          "entry with both max and min")
        seen[item.name] = "constraint"
    return Objectives.from_json([o.to_json() for o in objectives], [c.to_json() for c in constraints or []])
