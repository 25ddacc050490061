"""Annotation mode for a whole trial code folder: its search space and its instrumented copy."""

from __future__ import annotations

import io
import os
import shutil
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nni.annotation._errors import AnnotationError
from nni.annotation._module import ModuleResult, analyse_source

__all__ = ["generate_search_space", "prepare", "instrument_source"]

_SKIPPED_DIRS = {"__pycache__", ".git", ".hg", ".svn", ".venv", "venv", "node_modules", ".nni"}


def _read(path: Path) -> tuple[str, str]:
    """The text of a source file and its declared encoding (PEP 263; UTF-8 by default)."""
    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def _python_files(code_dir: Path, skip: Path | None) -> Iterator[tuple[Path, str]]:
    """Every ``.py`` file below ``code_dir`` with its dotted module name, in a stable order."""
    for root, dirs, files in os.walk(code_dir):
        root_path = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIPPED_DIRS and not (skip is not None and (root_path / d).resolve() == skip)
        )
        relative = root_path.relative_to(code_dir)
        package = ".".join(relative.parts)
        for name in sorted(files):
            if name.endswith(".py"):
                module = f"{package}.{name[:-3]}" if package else name[:-3]
                yield root_path / name, module


def instrument_source(source: str, module: str, file: str = "<string>") -> tuple[dict[str, Any], str | None]:
    """Search space and instrumented text of one source (None when it holds no annotation)."""
    result = analyse_source(source, module, file)
    return result.space, result.instrumented


def _analyse_folder(code_dir: Path, skip: Path | None = None) -> dict[Path, tuple[ModuleResult, str]]:
    if not code_dir.is_dir():
        raise AnnotationError(
            "the trial code directory does not exist or is not a directory; "
            "set trialCodeDirectory (trial.codeDir in v1) to the folder of the annotated code",
            file=str(code_dir),
            line=0,
        )
    results: dict[Path, tuple[ModuleResult, str]] = {}
    for path, module in _python_files(code_dir, skip):
        try:
            text, encoding = _read(path)
        except (OSError, SyntaxError, UnicodeDecodeError) as exc:
            raise AnnotationError(f"cannot read the file: {exc}", file=str(path), line=1) from None
        if "@nni." not in text:
            continue  # nothing to do; a file that is not even Python 3 may live here unharmed
        results[path] = (analyse_source(text, module, str(path)), encoding)
    return results


def _merge(results: dict[Path, tuple[ModuleResult, str]]) -> dict[str, Any]:
    space: dict[str, Any] = {}
    for result, _ in results.values():
        space.update(result.space)
    return space


def generate_search_space(code_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The search space declared by the annotations of every ``.py`` file below ``code_dir``.

    Keys are named as NNI names them: ``"<module>/<name>/<function>"`` where ``<module>`` is the
    file's dotted path relative to ``code_dir`` (``"train"``, ``"pkg.model"``).
    Raises :class:`AnnotationError` (file and line) on any annotation mistake.
    """
    return _merge(_analyse_folder(Path(code_dir).resolve()))


def prepare(code_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """Generate the search space and write the instrumented copy of ``code_dir`` into ``out_dir``.

    Every file is copied; annotated ``.py`` files are replaced by their instrumented text (same line
    numbers). The user's files are never written. ``out_dir`` must not exist yet or be empty.
    Returns ``(search_space, instrumented_dir)``; nothing is written if an annotation is wrong or
    the code declares no parameter at all.
    """
    source = Path(code_dir).resolve()
    target = Path(out_dir).resolve()
    if target == source:
        raise AnnotationError("the output folder is the code folder itself", file=str(target), line=0)
    results = _analyse_folder(source, skip=target)
    space = _merge(results)
    if not space:
        raise AnnotationError(
            "useAnnotation is true but no .py file here declares a parameter with "
            "@nni.variable(...) or @nni.function_choice(...) strings; annotate the code, or give a "
            "search space and set useAnnotation to false",
            file=str(source),
            line=0,
        )
    if target.exists() and any(target.iterdir()):
        raise AnnotationError(
            "the output folder for the instrumented code is not empty; give a new or empty folder",
            file=str(target),
            line=0,
        )
    target.mkdir(parents=True, exist_ok=True)

    def _ignore(directory: str, names: list[str]) -> list[str]:
        skipped = [n for n in names if n == "__pycache__"]
        skipped += [n for n in names if (Path(directory) / n).resolve() == target]
        return skipped

    shutil.copytree(source, target, symlinks=True, ignore=_ignore, dirs_exist_ok=True)
    for path, (result, encoding) in results.items():
        if result.instrumented is None:
            continue
        destination = target / path.relative_to(source)
        if destination.is_symlink():
            destination.unlink()
        destination.write_bytes(result.instrumented.encode(encoding))
    return space, str(target)
