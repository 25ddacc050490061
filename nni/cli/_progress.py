"""The live progress display of ``nnictl create --foreground`` (rich): trials done/max, running, failed,
best metric so far, elapsed time and a progress bar, refreshed from the store."""

from __future__ import annotations

import time
from typing import Any

from nni.status import TrialStatus

__all__ = ["ForegroundProgress"]


def _scalar(value: Any) -> float | None:
    if isinstance(value, dict):
        value = value.get("default")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _optimize_mode(config: dict[str, Any]) -> str:
    for key in ("tuner", "advisor", "assessor"):
        algo = config.get(key) or {}
        mode = (algo.get("classArgs") or {}).get("optimize_mode")
        if mode:
            return str(mode)
    return "maximize"


class ForegroundProgress:
    """Call :meth:`tick` with a store reader as often as you like; it redraws at most every 0.25 s."""

    def __init__(self, web_url: str) -> None:
        from rich.console import Console
        from rich.live import Live

        self.web_url = web_url
        self.console = Console()
        self._live = Live(console=self.console, refresh_per_second=4, transient=False)
        self._started = False
        self._after_id: int | None = 0
        self.best: float | None = None
        self.best_trial: str | None = None
        self.mode = "maximize"
        self.experiment_id = ""
        self.status = "INITIALIZED"
        self.counts: dict[str, int] = {}
        self.max_trials: int | None = None
        self.start_time: float | None = None
        self.end_time: float | None = None

    def tick(self, reader: Any) -> None:
        profile = reader.profile()
        if profile is None:
            return
        if not self._started:
            self.experiment_id = profile.experiment_id
            self.mode = _optimize_mode(profile.config or {})
            self.console.print(f"[bold]Experiment {profile.experiment_id}[/bold] started; "
                               f"web UI: [link={self.web_url}]{self.web_url}[/link]   (Ctrl-C stops it)")
            self._live.start()
            self._started = True
        self.status = profile.status
        self.max_trials = (profile.limits or {}).get("maxTrialNumber")
        self.start_time, self.end_time = profile.start_time, profile.end_time
        self.counts = reader.status_counts()
        for row in reader.metrics(type="FINAL", after_id=self._after_id):
            self._after_id = row.id
            value = _scalar(row.value)
            if value is None:
                continue
            better = self.best is None or (value > self.best if self.mode != "minimize" else value < self.best)
            if better:
                self.best, self.best_trial = value, row.trial_job_id
        self._live.update(self._render())

    def _render(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        done = sum(n for s, n in self.counts.items() if s in TrialStatus.final())
        failed = self.counts.get(TrialStatus.FAILED, 0)
        running = self.counts.get(TrialStatus.RUNNING, 0)
        waiting = self.counts.get(TrialStatus.WAITING, 0)
        elapsed = ((self.end_time or time.time()) - self.start_time) if self.start_time else 0.0
        total = self.max_trials or max(done + running + waiting, 1)
        grid = Table.grid(padding=(0, 2))
        grid.add_row(ProgressBar(total=total, completed=min(done, total), width=40),
                     f"{done}/{self.max_trials or '∞'} trials done")
        best = "-" if self.best is None else f"{self.best:.6g} ({self.best_trial}, {self.mode})"
        grid.add_row(f"status {self.status}", f"running {running}  waiting {waiting}  failed {failed}")
        grid.add_row(f"elapsed {int(elapsed // 60)}:{int(elapsed % 60):02d}", f"best {best}")
        return grid

    def finish(self) -> None:
        if self._started:
            self._live.stop()
            if not self.console.is_terminal:
                self.console.print()
