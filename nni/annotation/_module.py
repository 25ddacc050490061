"""Find the annotation strings of one Python source file and plan its instrumented copy.

An annotation is a string statement starting with ``@nni.`` anywhere a statement may stand (module
code, function and method bodies, loops, ``with``/``try``/``if`` blocks, class bodies). The copy keeps
every line where it was (tracebacks of the instrumented trial point at the user's line numbers):
annotation strings stay as they are, and only the annotated expressions are replaced, by
``(<nni call> if <in an experiment> else (<original expression>))`` so that the copy run by hand still
takes the original code path.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from nni.annotation._calls import SAMPLING_FUNCTIONS, SpaceBuilder, nni_function_name
from nni.annotation._errors import AnnotationError

__all__ = ["ModuleResult", "analyse_source"]

_ACTIVE = "nni.annotation.smartparam.is_active()"
_IMPORT = "import nni.annotation.smartparam"
_STATEMENT_ANNOTATIONS = ("report_intermediate_result", "report_final_result", "get_next_parameter")
_KNOWN = ("variable", "function_choice", *_STATEMENT_ANNOTATIONS)


@dataclass
class _Edit:
    start: int  # byte offsets into the UTF-8 source
    end: int
    text: str


@dataclass
class ModuleResult:
    """The search space entries of one file and its instrumented source (None: no annotation)."""

    space: dict[str, dict[str, Any]]
    instrumented: str | None


def _strip_ctx(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False, include_attributes=False)


class _Source:
    """Maps AST (line, UTF-8 column) positions to byte offsets and slices the source."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8")
        self.line_starts = [0]
        for index, byte in enumerate(self.data):
            if byte == 0x0A:
                self.line_starts.append(index + 1)

    def offset(self, line: int, col: int) -> int:
        return self.line_starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.data[start:end].decode("utf-8")

    def apply(self, edits: list[_Edit]) -> str:
        out = self.data
        # from the end backwards; at one offset the replacement goes before a zero-width insertion
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            out = out[: edit.start] + edit.text.encode("utf-8") + out[edit.end :]
        return out.decode("utf-8")


class _Annotation:
    """One parsed annotation string: its call and a way to place its nodes on the file's lines."""

    def __init__(self, stmt: ast.Expr, file: str) -> None:
        raw: str = stmt.value.value  # type: ignore[attr-defined]
        stripped = raw.lstrip()
        self.line = stmt.lineno
        self.first_line = stmt.lineno + raw[: len(raw) - len(stripped)].count("\n")
        self.code = stripped.rstrip()[1:]
        self.stmt = stmt
        try:
            tree = ast.parse(self.code, mode="eval")
        except SyntaxError as exc:
            raise AnnotationError(
                f"syntax error in annotation '@{self.code}': {exc.msg}; an annotation is one call "
                f"such as '@nni.variable(nni.choice(1, 2), name=x)'",
                file=file,
                line=self.first_line + (exc.lineno or 1) - 1,
            ) from None
        self.call = tree.body
        self.func = nni_function_name(tree.body)
        if self.func not in _KNOWN:
            raise AnnotationError(
                f"unknown annotation '@{self.code}'; expected one of "
                f"{', '.join('@nni.' + k + '(...)' for k in _KNOWN)}",
                file=file,
                line=self.first_line,
            )

    def line_of(self, node: ast.AST) -> int:
        return self.first_line + getattr(node, "lineno", 1) - 1


def _is_annotation(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
        and stmt.value.value.lstrip().startswith("@nni.")
    )


def _statement_lists(tree: ast.AST) -> list[list[ast.stmt]]:
    lists: list[list[ast.stmt]] = []
    for node in ast.walk(tree):
        for _name, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                lists.append(value)
    return lists


class _Planner:
    def __init__(self, source: str, module: str, file: str) -> None:
        self.file = file
        self.src = _Source(source)
        self.builder = SpaceBuilder(module=module, file=file)
        self.edits: list[_Edit] = []

    def error(self, message: str, line: int) -> AnnotationError:
        return AnnotationError(message, file=self.file, line=line)

    def name_and_args(self, ann: _Annotation) -> tuple[ast.expr, list[ast.expr]]:
        call = ann.call
        assert isinstance(call, ast.Call)
        names = [k for k in call.keywords if k.arg == "name"]
        others = [k for k in call.keywords if k.arg != "name"]
        if len(names) != 1 or others:
            raise self.error(
                f"'@{ann.code}' needs exactly one keyword argument, name=<the variable it sets>",
                ann.first_line,
            )
        return names[0].value, list(call.args)

    # -- the three kinds of annotation -----------------------------------------------------------
    def statement(self, ann: _Annotation) -> None:
        start, end = self.src.span(ann.stmt)
        original = self.src.data[start:end].decode("utf-8")
        # keep the line count: the call, then the string's remaining newlines inside the parentheses
        padding = "\n" * max(0, original.count("\n") - ann.code.count("\n"))
        self.edits.append(_Edit(start, end, f"({ann.code}{padding})"))

    def variable(self, ann: _Annotation, target: ast.stmt | None) -> None:
        name_node, args = self.name_and_args(ann)
        name = ast.unparse(name_node)
        if len(args) != 1 or nni_function_name(args[0]) is None:
            raise self.error(
                f"'@{ann.code}' takes one sampling call, e.g. @nni.variable(nni.choice(1, 2), name={name})",
                ann.first_line,
            )
        if nni_function_name(args[0]) not in SAMPLING_FUNCTIONS:
            assert isinstance(args[0], ast.Call)
            raise self.error(
                f"unknown sampling function {ast.unparse(args[0].func)!r}; expected one of "
                f"{', '.join('nni.' + f for f in SAMPLING_FUNCTIONS)}",
                ann.first_line,
            )
        targets: list[ast.expr] = []
        if isinstance(target, ast.Assign):
            targets = target.targets
        elif isinstance(target, ast.AnnAssign) and target.value is not None:
            targets = [target.target]
        if len(targets) != 1 or ast.unparse(targets[0]) != name:
            found = "nothing" if target is None else f"line {target.lineno}: {ast.unparse(target)[:80]!r}"
            raise self.error(
                f"'@{ann.code}' must be followed by an assignment '{name} = <default value>', found {found}",
                ann.first_line,
            )
        assert isinstance(args[0], ast.Call)
        runtime = self.builder.sampling_call(args[0], name, ann.line_of)
        value = target.value  # type: ignore[union-attr]
        assert value is not None
        self._replace(value, ast.unparse(runtime))

    def function_choice(self, ann: _Annotation, target: ast.stmt | None) -> None:
        name_node, args = self.name_and_args(ann)
        name = ast.unparse(name_node)
        if not args:
            raise self.error(f"'@{ann.code}' needs the candidate calls, got none", ann.first_line)
        wanted = {_strip_ctx(arg) for arg in args if isinstance(arg, ast.Call)}
        matches: list[ast.Call] = []
        if target is not None:
            for node in ast.walk(target):
                if isinstance(node, ast.Call) and _strip_ctx(node) in wanted:
                    if not any(_inside(node, outer) for outer in matches):
                        matches.append(node)
        if not matches:
            found = "nothing" if target is None else f"line {target.lineno}"
            raise self.error(
                f"'@{ann.code}' must be followed by a statement calling one of its candidates "
                f"({', '.join(ast.unparse(a) for a in args)}), found {found}",
                ann.first_line,
            )
        labels, values = self.builder.options(args, "function_choice", ann.first_line, ann.line_of)
        key = self.builder.register(
            name, "function_choice", {"_type": "choice", "_value": labels}, ann.first_line, True
        )
        lambdas = [
            ast.Lambda(
                args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                body=v,
            )
            for v in values
        ]
        table = ast.Dict(keys=[ast.Constant(label) for label in labels], values=lambdas)
        call = ast.Call(
            func=ast.Attribute(
                value=ast.Name(id="nni", ctx=ast.Load()), attr="function_choice", ctx=ast.Load()
            ),
            args=[table],
            keywords=[
                ast.keyword(arg="name", value=ast.Constant(name)),
                ast.keyword(arg="key", value=ast.Constant(key)),
            ],
        )
        runtime = ast.unparse(call)
        for node in matches:
            self._replace(node, runtime)

    def _replace(self, node: ast.expr, runtime: str) -> None:
        start, end = self.src.span(node)
        for edit in self.edits:
            if edit.start < end and start < edit.end:
                raise self.error("two annotations apply to the same expression", node.lineno)
        original = self.src.data[start:end].decode("utf-8")
        self.edits.append(_Edit(start, end, f"({runtime} if {_ACTIVE} else ({original}))"))

    # -- driving ---------------------------------------------------------------------------------
    def plan(self, tree: ast.Module) -> bool:
        found = [
            (stmt.lineno, body, index)
            for body in _statement_lists(tree)
            for index, stmt in enumerate(body)
            if _is_annotation(stmt)
        ]
        found.sort(key=lambda item: item[0])  # source order: keys and errors come in reading order
        for _line, body, index in found:
            ann = _Annotation(body[index], self.file)  # type: ignore[arg-type]
            target = body[index + 1] if index + 1 < len(body) else None
            if target is not None and _is_annotation(target) and ann.func in ("variable", "function_choice"):
                raise self.error(
                    f"'@{ann.code}' must be followed by the statement it annotates, found another "
                    f"annotation on line {target.lineno}",
                    ann.first_line,
                )
            if ann.func == "variable":
                self.variable(ann, target)
            elif ann.func == "function_choice":
                self.function_choice(ann, target)
            else:
                self.statement(ann)
        return bool(found)

    def import_edit(self, tree: ast.Module) -> _Edit:
        """Where ``import nni.annotation.smartparam`` goes without moving any line, if possible."""
        body = tree.body
        index = 0
        first = body[0]
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and not _is_annotation(first)
        ):
            index = 1  # the module docstring stays first
        while (
            index < len(body)
            and isinstance(body[index], ast.ImportFrom)
            and body[index].module == "__future__"
        ):  # type: ignore[attr-defined]
            index += 1
        if index > 0:
            end = self.src.offset(body[index - 1].end_lineno, body[index - 1].end_col_offset)  # type: ignore[arg-type]
            return _Edit(end, end, f"; {_IMPORT}")
        start = self.src.offset(first.lineno, 0)
        if isinstance(
            first,
            (
                ast.Expr,
                ast.Assign,
                ast.AugAssign,
                ast.AnnAssign,
                ast.Import,
                ast.ImportFrom,
                ast.Pass,
                ast.Delete,
                ast.Global,
                ast.Assert,
                ast.Raise,
            ),
        ):
            return _Edit(start, start, f"{_IMPORT}; ")
        lines = self.src.data.decode("utf-8").split("\n")
        for number in range(first.lineno - 1, 0, -1):  # a blank line above the first statement
            if not lines[number - 1].strip():
                offset = self.src.offset(number, 0)
                return _Edit(offset, offset, _IMPORT)
        return _Edit(start, start, f"{_IMPORT}\n")  # no room: the lines below move down by one


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    return any(child is node for child in ast.walk(outer))


def analyse_source(source: str, module: str, file: str) -> ModuleResult:
    """Search space entries and instrumented text of one source file (``module`` names it in keys)."""
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as exc:
        raise AnnotationError(f"not valid Python: {exc.msg}", file=file, line=exc.lineno or 1) from None
    planner = _Planner(source, module, file)
    if not planner.plan(tree):
        return ModuleResult(space={}, instrumented=None)
    planner.edits.append(planner.import_edit(tree))
    return ModuleResult(space=planner.builder.space, instrumented=planner.src.apply(planner.edits))
