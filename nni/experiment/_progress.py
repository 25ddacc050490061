"""A running experiment's progress as a notebook shows it: one display in the cell, updated in place.

``Experiment.run()`` shows it when called in a Jupyter kernel; ``Experiment.watch()`` shows it for an
experiment started with ``start()``. Read from the store (incrementally: only the trials changed since the
last look), so it costs the same at any size.
"""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nni.status import TrialStatus

__all__ = ["Progress", "ProgressReader", "in_notebook"]


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter (IPython) kernel, where a display can be updated in place."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


@dataclass(frozen=True)
class Progress:
    """One look at an experiment: its status, trials by status, the best result so far."""

    experiment_id: str
    status: str
    counts: dict[str, int]
    max_trials: int | None
    best: float | None
    best_trial: str | None
    maximize: bool
    elapsed: float | None
    url: str | None = None

    @property
    def done(self) -> int:
        return sum(n for s, n in self.counts.items() if s in TrialStatus.final())

    def _parts(self) -> list[str]:
        total = sum(self.counts.values())
        of = f" of {self.max_trials}" if self.max_trials else ""
        parts = [f"{self.done}{of} trials done ({total} started)"]
        parts += [f"{n} {s.lower().replace('_', ' ')}" for s, n in sorted(self.counts.items()) if n]
        if self.best is not None:
            parts.append(f"best {self.best:.6g} ({'max' if self.maximize else 'min'}imize) by trial {self.best_trial}")
        if self.elapsed is not None:
            parts.append(f"{self.elapsed:.0f}s elapsed")
        return parts

    def __repr__(self) -> str:
        return f"Experiment {self.experiment_id}: {self.status} · " + " · ".join(self._parts())

    def _repr_html_(self) -> str:
        fraction = self.done / self.max_trials if self.max_trials else 0.0
        link = f' · <a href="{html.escape(self.url)}" target="_blank">web UI</a>' if self.url else ""
        return (
            f'<div class="nni-progress" data-status="{html.escape(self.status)}" data-done="{self.done}">'
            f"<b>Experiment {html.escape(self.experiment_id)}</b>: {html.escape(self.status)}{link}<br>"
            f'<progress value="{min(fraction, 1.0):.4f}" max="1" style="width: 320px"></progress><br>'
            + html.escape(" · ".join(self._parts())) + "</div>"
        )


class ProgressReader:
    """Progress read from an experiment's store, only the trials changed since the last look each time."""

    def __init__(self, *, folder: Path, url: str | None = None) -> None:
        self.folder = folder
        self.url = url
        self._reader: Any = None
        self._revision: int | None = None
        self._best: tuple[float, str] | None = None

    def read(self) -> Progress:
        from nni.analysis import default_metric, maximizes
        from nni.storage import open_reader

        if self._reader is None:
            self._reader = open_reader(self.folder)
        reader = self._reader
        profile = reader.profile()
        maximize = maximizes(profile.config if profile else None)
        changes = reader.trial_changes(self._revision)
        self._revision = changes.revision
        for trial in changes.trials:
            value = default_metric(trial.final_metric)
            if value is None or not math.isfinite(value):
                continue
            if self._best is None or (value > self._best[0] if maximize else value < self._best[0]):
                self._best = (value, trial.trial_job_id)
        limits = (profile.limits if profile else None) or {}
        max_trials = limits.get("maxTrialNumber")
        start = profile.start_time if profile else None
        end = profile.end_time if profile else None
        return Progress(
            experiment_id=profile.experiment_id if profile else "", status=profile.status if profile else "",
            counts=reader.status_counts(), max_trials=int(max_trials) if max_trials else None,
            best=self._best[0] if self._best else None, best_trial=self._best[1] if self._best else None,
            maximize=maximize, elapsed=((end or time.time()) - start) if start else None, url=self.url,
        )

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class NotebookDisplay:
    """One display in the current cell, replaced by each update."""

    def __init__(self) -> None:
        from IPython.display import display

        self._handle = display("", display_id=True)

    def update(self, progress: Progress) -> None:
        self._handle.update(progress)
