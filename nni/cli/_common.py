"""Shared pieces of nnictl: one-line errors, JSON output, finding an experiment, reading its store."""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from nni.errors import NNIError

__all__ = ["CliError", "handle_errors", "echo_json", "Target", "resolve", "open_reader", "console", "text_table",
           "fmt_time", "fmt_duration", "DEBUG"]

F = TypeVar("F", bound=Callable[..., Any])
DEBUG = {"on": False}


class CliError(NNIError):
    """A user-facing nnictl error (printed as one line, exit code 1)."""


def console() -> Any:
    from rich.console import Console

    # piped (scripts, tests): wide enough that tables are not folded; a terminal uses its own width
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 240)


def handle_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (NNIError, OSError) as exc:
            if DEBUG["on"]:
                traceback.print_exc()
            message = str(exc) if isinstance(exc, NNIError) else f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
            click.echo(f"ERROR: {message}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: still one line unless --debug
            if DEBUG["on"]:
                traceback.print_exc()
            click.echo(f"ERROR: internal error {type(exc).__name__}: {exc} (nnictl --debug ... shows the traceback)",
                       err=True)
            sys.exit(2)
    return wrapper  # type: ignore[return-value]


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def text_table(headers: list[str], rows: list[list[str]], max_width: int = 60) -> str:
    """A plain aligned table (fast for 10,000 rows, unlike a rich Table); long cells are cut with '…'."""
    cut = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cut:
        for i, cell in enumerate(row):
            if len(cell) > widths[i]:
                widths[i] = len(cell)
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - a format built once for every row
    out = [line.format(*headers).rstrip(), "  ".join("-" * w for w in widths)]
    out += [line.format(*row).rstrip() for row in cut]
    return "\n".join(out)


def fmt_time(seconds: float | None) -> str:
    if not seconds:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@dataclass
class Target:
    """One experiment as nnictl sees it: registry entry, folder, and whether its manager runs."""

    experiment_id: str
    entry: dict[str, Any]
    folder: Path
    running: bool

    def client(self) -> Any:
        from nni.launcher import RestClient, entry_url, web_url

        if not self.running:
            raise CliError(f"experiment {self.experiment_id} is not running (status {self.entry.get('status')}); "
                           f"resume it first: nnictl resume {self.experiment_id}")
        url = entry_url(self.entry) or web_url(int(self.entry.get("port") or 8080))
        return RestClient.from_url(url)


def resolve(experiment_id: str | None, *, need_running: bool = False) -> Target:
    """The experiment named, or the only running one when no id is given (as NNI)."""
    from nni.launcher import entry_folder, list_experiments, manager_alive

    entries = {e["id"]: e for e in list_experiments()}
    if experiment_id is None:
        running = [e for e in entries.values() if manager_alive(e)]
        if len(running) == 1:
            experiment_id = running[0]["id"]
        elif not running:
            raise CliError("no experiment is running; give an experiment id (nnictl experiment list --all shows them)")
        else:
            ids = ", ".join(e["id"] for e in running)
            raise CliError(f"several experiments are running ({ids}); say which one")
    entry = entries.get(experiment_id)
    if entry is None:
        matches = [i for i in entries if i.startswith(experiment_id)]
        if len(matches) == 1:
            experiment_id, entry = matches[0], entries[matches[0]]
        else:
            raise CliError(f"no experiment {experiment_id!r} (nnictl experiment list --all shows the known ones)")
    target = Target(experiment_id, entry, entry_folder(entry) or Path(""), manager_alive(entry))
    if need_running and not target.running:
        raise CliError(f"experiment {experiment_id} is not running (status {entry.get('status')}); "
                       f"resume it first: nnictl resume {experiment_id}")
    return target


@contextmanager
def open_reader(target: Target) -> Iterator[Any]:
    from nni.storage import StoreReader, store_exists

    if not store_exists(target.folder):
        raise CliError(f"experiment {target.experiment_id} has no store in {target.folder} "
                       "(its folder was moved or deleted; nnictl view ID --experiment_dir PATH opens a copy)")
    reader = StoreReader(target.folder)
    try:
        yield reader
    finally:
        reader.close()
