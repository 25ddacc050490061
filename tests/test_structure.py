"""Structure: no import cycle inside ``nni/manager`` and none between the top-level packages of ``nni``.

Every import counts, also those inside functions and under ``TYPE_CHECKING``: a cycle there is still two
parts that cannot be understood (or moved) one without the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import nni

ROOT = Path(nni.__file__).resolve().parent

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imports(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The nni modules ``name`` imports. ``from package import submodule`` counts the submodule only (the
    package itself is imported first by any import of its modules, so it is no edge of its own)."""
    known = set(known)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & known
            found.update(submodules)
            if len(submodules) < len(node.names):  # names defined by the module itself (or its __init__)
                found.add(target)
    return {module for module in found if module in known}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for module, imported in graph.items():
        edges = packages.setdefault(_package(module), set())
        edges.update(_package(m) for m in imported if _package(m) != _package(module))
    return packages


def test_the_import_graph_is_read() -> None:
    graph = _graph()
    assert "nni.manager._journal" in graph["nni.manager._manager"]  # a relative import
    assert "nni.config" in graph["nni.manager._manager"]  # an import inside a function
    assert "nni.manager.commands" in graph["nni.manager"]  # ``from . import commands`` style too
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [("a", "b", "c")]


def test_no_import_cycle_inside_the_manager() -> None:
    graph = _graph()
    manager = {m: {i for i in imported if i.startswith("nni.manager")}
               for m, imported in graph.items() if m.startswith("nni.manager")}
    assert len(manager) > 5
    assert _cycles(manager) == []


def test_no_import_cycle_between_packages() -> None:
    cycles = _cycles(_package_graph(_graph()))
    assert cycles == [], f"import cycles between packages: {cycles}"
