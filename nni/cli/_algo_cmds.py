"""nnictl algo {list|show|register|unregister} and platform clean."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import click

from ._common import CliError, console, echo_json, handle_errors

__all__ = ["register", "registered_algorithms", "registered_algorithms_path"]

_TYPES = ("tuner", "assessor", "advisor")


def registered_algorithms_path() -> Path:
    """NNI's file of user-registered algorithms (``nnictl algo register``), owned by ``nni.algorithms``."""
    from nni.algorithms._user_registry import registry_path

    return registry_path()


def registered_algorithms() -> list[dict[str, Any]]:
    """``[{algoType, builtinName, className}]`` registered by the user."""
    from nni.algorithms._user_registry import read_entries

    return read_entries()


def _save(algos: list[dict[str, Any]]) -> None:
    from nni.algorithms._user_registry import write_entries

    write_entries(algos)


def _builtins() -> list[dict[str, Any]]:
    from nni.algorithms.hpo._registry import BUILTIN_ADVISORS, BUILTIN_ASSESSORS, BUILTIN_TUNERS

    out = [{"algoType": "tuner", "builtinName": n, "className": c, "source": "nni"} for n, c in BUILTIN_TUNERS.items()]
    out += [{"algoType": "advisor", "builtinName": n, "className": c, "source": "nni"} for n, c in BUILTIN_ADVISORS.items()]
    out += [{"algoType": "assessor", "builtinName": n, "className": c, "source": "nni"}
            for n, c in BUILTIN_ASSESSORS.items()]
    return out


def _all() -> list[dict[str, Any]]:
    return _builtins() + [{**a, "source": "user"} for a in registered_algorithms()]


def _import_class(path: str) -> Any:
    module, _, name = path.rpartition(".")
    if not module:
        raise CliError(f"className must be module.Class, got {path!r}")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise CliError(f"cannot import {path}: {exc}") from None


def register(cli: click.Group) -> None:  # noqa: C901 - one nested function per command
    @cli.group()
    def algo() -> None:
        """Built-in and registered tuners, assessors and advisors."""

    @algo.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @handle_errors
    def algo_list(as_json: bool) -> None:
        """Every algorithm name usable in a config."""
        algos = _all()
        if as_json:
            echo_json(algos)
            return
        from rich.table import Table

        table = Table()
        for col in ("name", "type", "class", "source"):
            table.add_column(col)
        for a in algos:
            table.add_row(a["builtinName"], a["algoType"], a["className"], a["source"])
        console().print(table)

    @algo.command("show")
    @click.argument("name")
    @handle_errors
    def algo_show(name: str) -> None:
        """An algorithm's class, constructor arguments (classArgs) and description."""
        matches = [a for a in _all() if a["builtinName"].lower() == name.lower()]
        if not matches:
            names = ", ".join(sorted({a["builtinName"] for a in _all()}))
            raise CliError(f"no algorithm named {name!r}; known: {names}")
        for a in matches:
            click.echo(f"{a['builtinName']} ({a['algoType']}): {a['className']}")
            try:
                cls = _import_class(a["className"])
            except CliError as exc:
                click.echo(f"  (not importable here: {exc})")
                continue
            click.echo(f"  classArgs: {inspect.signature(cls.__init__)}".replace("(self, ", "(").replace("(self)", "()"))
            doc = inspect.getdoc(cls)
            if doc:
                click.echo("  " + doc.splitlines()[0])

    @algo.command("register")
    @click.option("--meta", "-m", "meta_path", required=True, type=click.Path(exists=True, dir_okay=False),
                  help="YAML with algoType (tuner|assessor|advisor), builtinName, className")
    @handle_errors
    def algo_register(meta_path: str) -> None:
        """Register a custom algorithm under a name usable in configs."""
        import yaml

        meta = yaml.safe_load(Path(meta_path).read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise CliError(f"{meta_path}: expected a mapping with algoType, builtinName, className")
        missing = [k for k in ("algoType", "builtinName", "className") if not meta.get(k)]
        if missing:
            raise CliError(f"{meta_path}: missing {', '.join(missing)}")
        if meta["algoType"] not in _TYPES:
            raise CliError(f"{meta_path}: algoType must be one of {', '.join(_TYPES)}, got {meta['algoType']!r}")
        if any(a["builtinName"] == meta["builtinName"] for a in _all()):
            raise CliError(f"{meta['builtinName']!r} is already a registered name; unregister it first")
        _import_class(str(meta["className"]))
        entry = {k: meta[k] for k in ("algoType", "builtinName", "className")}
        if meta.get("classArgsValidator"):
            entry["classArgsValidator"] = meta["classArgsValidator"]
        _save(registered_algorithms() + [entry])
        click.echo(f"Registered {entry['algoType']} {entry['builtinName']} ({entry['className']}).")

    @algo.command("unregister")
    @click.argument("name")
    @handle_errors
    def algo_unregister(name: str) -> None:
        """Remove a user-registered algorithm."""
        algos = registered_algorithms()
        kept = [a for a in algos if a.get("builtinName") != name]
        if len(kept) == len(algos):
            if any(a["builtinName"] == name for a in _builtins()):
                raise CliError(f"{name!r} is built in; only user-registered algorithms can be unregistered")
            raise CliError(f"no registered algorithm named {name!r} (nnictl algo list)")
        _save(kept)
        click.echo(f"Unregistered {name}.")

    @cli.group()
    def platform() -> None:
        """Training platform maintenance."""

    @platform.command("clean")
    @click.option("--config", "-c", "config_path", required=True, type=click.Path(exists=True, dir_okay=False))
    @handle_errors
    def platform_clean(config_path: str) -> None:
        """Remove what experiments left on the config's training platform (remote folders...)."""
        from nni.config import load_config

        service = load_config(config_path).training_service
        if service is not None:
            name = service.platform
            try:
                module = importlib.import_module(f"nni.platforms.{name}")
            except ImportError:
                module = None
            clean = getattr(module, "clean", None) if module else None
            if callable(clean):
                click.echo(clean(service) or f"Cleaned platform {name}.")
            else:
                click.echo(f"Platform {name}: nothing to clean (trials live in each experiment's folder).")
