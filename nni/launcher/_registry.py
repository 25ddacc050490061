"""The registry of experiments on this machine (NNI's ``~/nni-experiments/.experiment``).

One JSON object keyed by experiment id; every change takes an exclusive ``fcntl`` lock on a sidecar
lock file and rewrites the file atomically, so concurrent ``nnictl`` calls and manager processes never
lose an entry. An entry is NNI 3.0's, field for field, so NNI's own ``nnictl`` reads it: ``id, port,
startTime, endTime, status, platform, experimentName, tag, pid, webuiUrl`` (a list of URLs), ``logDir``
(the experiment's *working directory*, the folder holding ``<id>/``) and ``prefixUrl``; one field more,
``pidStartTime``, tells the manager from a later process that got its pid (NNI's ``nnictl`` ignores it).
Read the folder and the URL through :func:`entry_folder` and :func:`entry_url` (they also read entries
written before this layout: ``logDir`` the experiment folder itself, ``webuiUrl`` one string), and whether
the manager runs through :func:`manager_alive`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._paths import registry_path

__all__ = ["Registry", "entry_folder", "entry_url", "manager_alive", "registry_fields"]


class Registry:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or registry_path()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, dict[str, Any]]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                data = self._read()
                before = json.dumps(data, sort_keys=True)
                yield data
                if json.dumps(data, sort_keys=True) != before:
                    tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
                    os.replace(tmp, self.path)
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # keep the damaged file for the user instead of overwriting it with the next change
            backup = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            os.replace(self.path, backup)
            logging.getLogger("nni.launcher").warning("registry %s was not valid JSON; moved to %s", self.path, backup)
            return {}
        return data

    def all(self) -> dict[str, dict[str, Any]]:
        with self._locked() as data:
            return {k: dict(v) for k, v in data.items()}

    def get(self, experiment_id: str) -> dict[str, Any] | None:
        entry = self.all().get(experiment_id)
        return dict(entry) if entry is not None else None

    def add(self, experiment_id: str, entry: dict[str, Any]) -> None:
        with self._locked() as data:
            data[experiment_id] = {"id": experiment_id, **entry}

    def update(self, experiment_id: str, **fields: Any) -> dict[str, Any] | None:
        """Change fields of an entry; a ``pid`` given is recorded with its process's start time."""
        if "pid" in fields:
            from nni._os import process_start_time

            pid = fields["pid"]
            fields["pidStartTime"] = process_start_time(pid) if isinstance(pid, int) and pid > 0 else None
        with self._locked() as data:
            entry = data.get(experiment_id)
            if entry is None:
                return None
            entry.update(fields)
            return dict(entry)

    def remove(self, experiment_id: str) -> bool:
        with self._locked() as data:
            return data.pop(experiment_id, None) is not None


def registry_fields(experiment_id: str, experiment_dir: Path, url: str | None = None,
                    url_prefix: str = "") -> dict[str, Any]:
    """The fields of an entry that locate an experiment, in NNI 3.0's layout (a folder not named after its
    experiment, e.g. a copy given to ``nnictl view --experiment_dir``, is kept as ``logDir`` itself)."""
    experiment_dir = Path(experiment_dir)
    log_dir = experiment_dir.parent if experiment_dir.name == experiment_id else experiment_dir
    fields: dict[str, Any] = {"logDir": str(log_dir), "prefixUrl": url_prefix.strip("/") or None}
    if url is not None:
        fields["webuiUrl"] = [url]
    return fields


def entry_folder(entry: dict[str, Any]) -> Path | None:
    """The experiment's folder: ``<logDir>/<id>`` (an older entry's ``logDir`` is the folder itself)."""
    log_dir = entry.get("logDir")
    if not log_dir:
        return None
    folder = Path(log_dir)
    inside = folder / str(entry.get("id") or "")
    return folder if not inside.is_dir() and (folder / "db").is_dir() else inside


def manager_alive(entry: dict[str, Any] | None) -> bool:
    """Whether the manager process an entry records runs on this machine: its pid, and when recorded its
    start time, so a dead manager whose pid went to another process counts as gone (a zombie does too)."""
    from nni._os import process_alive

    return entry is not None and process_alive(entry.get("pid"), entry.get("pidStartTime"))


def entry_url(entry: dict[str, Any]) -> str | None:
    """The first web UI URL of an entry (NNI keeps a list; an older entry one string)."""
    urls = entry.get("webuiUrl")
    if isinstance(urls, list):
        return str(urls[0]) if urls else None
    return str(urls) if urls else None
