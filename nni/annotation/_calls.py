"""Turn the sampling calls written inside annotations into search space entries and runtime calls.

``nni.choice(0.1, 0.01, name=lr)`` inside ``@nni.variable`` becomes the search space entry
``"<module>/lr/choice": {"_type": "choice", "_value": [0.1, 0.01]}`` and the runtime call
``nni.choice({0.1: 0.1, 0.01: 0.01}, name='lr', key='<module>/lr/choice')``, as NNI names them:
options that are number or string literals are their own labels, any other option is labelled by its
source text, and a call without ``name`` is named ``__line<N>`` after the line of its last argument.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nni.annotation._errors import AnnotationError
from nni.errors import SearchSpaceError
from nni.search_space import validate

__all__ = ["SAMPLING_FUNCTIONS", "LineOf", "SpaceBuilder", "nni_function_name"]

LineOf = Callable[[ast.AST], int]  # maps a node of an annotation to its line in the file

SAMPLING_FUNCTIONS: tuple[str, ...] = (
    "choice",
    "randint",
    "uniform",
    "quniform",
    "loguniform",
    "qloguniform",
    "normal",
    "qnormal",
    "lognormal",
    "qlognormal",
)


_TRIAL_API = frozenset(
    {"get_next_parameter", "get_current_parameter", "get_experiment_id", "get_trial_id", "get_sequence_id"}
)


def nni_function_name(node: ast.AST) -> str | None:
    """``"choice"`` for a call ``nni.choice(...)``; None for anything else."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "nni":
        return func.attr
    return None


_PARENTHESIZED = (ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Lambda, ast.IfExp)


def _option_label(node: ast.expr) -> Any:
    """A choice option's label in the search space: the literal itself, else its source text.

    Number and string literals are their own labels; any other option is labelled by its source, with
    operator expressions in parentheses as NNI writes them (``5*6`` -> ``"(5 * 6)"``, ``-1`` -> ``"(-1)"``).
    """
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, str):
        return node.value
    text = ast.unparse(node)
    return f"({text})" if isinstance(node, _PARENTHESIZED) else text


def _nni_call(func: str, args: list[ast.expr], keywords: dict[str, str]) -> ast.Call:
    return ast.Call(
        func=ast.Attribute(value=ast.Name(id="nni", ctx=ast.Load()), attr=func, ctx=ast.Load()),
        args=args,
        keywords=[ast.keyword(arg=k, value=ast.Constant(v)) for k, v in keywords.items()],
    )


@dataclass
class SpaceBuilder:
    """Collects the search space of one module while converting its annotation calls."""

    module: str
    file: str
    space: dict[str, dict[str, Any]] = field(default_factory=dict)
    _names: dict[str, tuple[str, int]] = field(default_factory=dict)

    def error(self, message: str, line: int) -> AnnotationError:
        return AnnotationError(message, file=self.file, line=line)

    # -- entries ---------------------------------------------------------------------------------
    def register(self, name: str, func: str, value: dict[str, Any], line: int, named: bool) -> str:
        key = f"{self.module}/{name}/{func}"
        try:
            validate({key: value})
        except SearchSpaceError as exc:
            raise self.error(f"nni.{func}: {exc.detail}", line) from None
        previous = self._names.get(name)
        if previous is not None:
            old_key, old_line = previous
            if not named:
                raise self.error(
                    f"two unnamed sampling calls on line {line}; give each one its own name= argument", line
                )
            if old_key != key or self.space[old_key] != value:
                raise self.error(
                    f"name {name!r} is already used by the annotation on line {old_line} with a different "
                    f"definition ({self.space[old_key]}); give this annotation another name",
                    line,
                )
        else:
            self._names[name] = (key, line)
        self.space[key] = value
        return key

    # -- conversion ------------------------------------------------------------------------------
    def sampling_call(self, call: ast.Call, name: str | None, line_of: LineOf) -> ast.Call:
        """Convert ``nni.<func>(...)`` into its runtime call and record its search space entry.

        ``line_of(node)`` maps a node of the annotation to its line in the file.
        """
        func = nni_function_name(call)
        line = line_of(call)
        if func not in SAMPLING_FUNCTIONS:
            raise self.error(
                f"unknown sampling function {ast.unparse(call.func)!r}; expected one of "
                f"{', '.join('nni.' + f for f in SAMPLING_FUNCTIONS)}",
                line,
            )
        named = name is not None
        for keyword in call.keywords:
            if keyword.arg != "name" or name is not None:
                raise self.error(
                    f"nni.{func}() takes only its values and an optional name=, got {ast.unparse(keyword)!r}",
                    line,
                )
            name, named = ast.unparse(keyword.value).strip("'\""), True
        if not call.args:
            raise self.error(f"nni.{func}() needs its values, got none", line)
        if name is None:
            name = f"__line{line_of(call.args[-1])}"
        if func == "choice":
            labels, values = self.options(call.args, func, line, line_of)
            key = self.register(name, func, {"_type": "choice", "_value": labels}, line, named)
            table = ast.Dict(keys=[ast.Constant(label) for label in labels], values=values)
            return _nni_call(func, [table], {"name": name, "key": key})
        numbers: list[float | int] = []
        for arg in call.args:
            try:
                number = ast.literal_eval(arg)
            except (ValueError, TypeError, SyntaxError):
                number = None
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise self.error(
                    f"nni.{func}() takes number literals, got {ast.unparse(arg)!r}; write the numbers "
                    f"themselves (the search space is generated without running the code)",
                    line,
                )
            numbers.append(number)
        key = self.register(name, func, {"_type": func, "_value": numbers}, line, named)
        return _nni_call(func, [ast.Constant(n) for n in numbers], {"name": name, "key": key})

    def options(
        self, args: list[ast.expr], func: str, line: int, line_of: LineOf
    ) -> tuple[list[Any], list[ast.expr]]:
        """Labels and converted expressions of choice options (nested sampling calls converted too)."""
        labels: list[Any] = []
        for arg in args:
            label = _option_label(arg)
            if label in labels:
                raise self.error(f"nni.{func}() lists the option {label!r} twice", line)
            labels.append(label)
        return labels, [self.convert_nested(arg, line_of) for arg in args]

    def convert_nested(self, node: ast.expr, line_of: LineOf) -> ast.expr:
        """Return ``node`` with every ``nni.<sampling>(...)`` inside it converted."""
        builder = self

        class _Nested(ast.NodeTransformer):
            def visit_Call(self, call: ast.Call) -> ast.AST:
                func = nni_function_name(call)
                if func in SAMPLING_FUNCTIONS or (func is not None and func not in _TRIAL_API):
                    return builder.sampling_call(call, None, line_of)  # the latter: unknown, an error
                self.generic_visit(call)
                return call

        return _Nested().visit(node)
