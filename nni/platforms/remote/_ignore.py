"""Which files of the trial code folder travel to the remote machines: ``.nniignore``, gitignore-style.

Rules (as git and NNI apply them): blank lines and ``#`` comments are skipped; ``!`` re-includes; a
trailing ``/`` matches folders only; a pattern holding a ``/`` elsewhere is anchored at the code
folder, otherwise it matches a name at any depth; ``*``, ``?`` and ``[...]`` never cross ``/``;
``**`` spans folders. The last matching pattern wins, and nothing inside an excluded folder comes back.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
from dataclasses import dataclass

from nni.errors import ConfigError

__all__ = ["IgnoreRules", "code_files", "pack_code", "MAX_FILES", "MAX_BYTES"]

IGNORE_FILE = ".nniignore"
MAX_FILES = 2000  # as NNI: a bigger trial code folder is almost always a data set uploaded by mistake
MAX_BYTES = 300 * 1024 * 1024


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _translate(pattern: str) -> str:
    """Regex (without anchors) for one gitignore glob; ``**`` handled at segment level."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 2 if pattern[i + 1:i + 2] in ("!", "]") else i + 1)
            if j < 0:
                out.append(re.escape(c))
                i += 1
                continue
            body = pattern[i + 1:j]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


class IgnoreRules:
    """Compiled ``.nniignore`` lines; :meth:`ignored` answers for one relative path."""

    def __init__(self, lines: list[str]) -> None:
        self.rules: list[_Rule] = []
        for raw in lines:
            line = raw.rstrip("\n")
            if line.endswith(" ") and not line.endswith("\\ "):
                line = line.rstrip(" ")
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            elif line.startswith("\\!") or line.startswith("\\#"):
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            line = line.lstrip("/")
            body = _translate(line)
            regex = ("^" if anchored else "^(?:.*/)?") + body + "$"
            self.rules.append(_Rule(re.compile(regex, re.DOTALL), negate, dir_only))

    @classmethod
    def from_folder(cls, folder: str) -> IgnoreRules:
        path = os.path.join(folder, IGNORE_FILE)
        if not os.path.isfile(path):
            return cls([])
        with open(path, encoding="utf-8") as f:
            return cls(f.read().splitlines())

    def ignored(self, rel_path: str, is_dir: bool) -> bool:
        result = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(rel_path):
                result = not rule.negate
        return result


def code_files(folder: str, rules: IgnoreRules | None = None) -> list[str]:
    """Relative POSIX paths of the files to upload, sorted; symlinks to files are followed."""
    rules = rules if rules is not None else IgnoreRules.from_folder(folder)
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        rel_root = os.path.relpath(root, folder).replace(os.sep, "/")
        prefix = "" if rel_root == "." else rel_root + "/"
        dirs[:] = sorted(d for d in dirs if not rules.ignored(prefix + d, True))
        for name in files:
            rel = prefix + name
            if not rules.ignored(rel, False) and os.path.isfile(os.path.join(root, name)):
                found.append(rel)
    return sorted(found)


def pack_code(folder: str) -> tuple[bytes, str, int]:
    """A gzip tarball of the files to upload, its content digest, and how many files it holds.

    Refuses (``ConfigError``) a folder of more than ``MAX_FILES`` files or ``MAX_BYTES`` bytes."""
    files = code_files(folder)
    total = sum(os.path.getsize(os.path.join(folder, rel)) for rel in files)
    if len(files) > MAX_FILES or total > MAX_BYTES:
        raise ConfigError(f"the trial code folder {folder} holds {len(files)} files, {total / 2**20:.0f} MiB, to "
                          f"upload to every machine; the limit is {MAX_FILES} files and {MAX_BYTES // 2**20} MiB. "
                          f"List data and outputs in {os.path.join(folder, IGNORE_FILE)} (gitignore syntax, "
                          "e.g. 'data/' or '*.ckpt') or move them out of the folder",
                          key="trialCodeDirectory")
    digest = hashlib.sha256()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
        for rel in files:
            path = os.path.join(folder, rel)
            with open(path, "rb") as f:
                data = f.read()
            digest.update(rel.encode() + b"\0" + data + b"\0")
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            info.mode = os.stat(path).st_mode & 0o777
            info.mtime = int(os.stat(path).st_mtime)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue(), digest.hexdigest()[:16], len(files)
