"""Annotation mistakes are reported with file and line before anything runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nni.annotation import AnnotationError, generate_search_space, instrument_source


def _error(source: str) -> AnnotationError:
    with pytest.raises(AnnotationError) as info:
        instrument_source(source, "m", "m.py")
    return info.value


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        # an annotation not followed by the matching assignment
        (
            "x = 1\n'''@nni.variable(nni.choice(1, 2), name=y)'''\nx = 2\n",
            2,
            "followed by an assignment 'y =",
        ),
        ("def f():\n    '''@nni.variable(nni.uniform(0, 1), name=y)'''\n", 2, "found nothing"),
        (
            "'''@nni.variable(nni.choice(1, 2), name=y)'''\n'''@nni.report_final_result(1)'''\ny = 1\n",
            1,
            "another annotation",
        ),
        ("'''@nni.function_choice(f(a), g(b), name=h)'''\nh = k(a)\n", 1, "calling one of its candidates"),
        # an unknown sampling function or annotation
        ("'''@nni.variable(nni.beta(1, 2), name=y)'''\ny = 1\n", 1, "unknown sampling function 'nni.beta'"),
        ("'''@nni.variable(nni.choice(nni.gamma(1), 2), name=y)'''\ny = 1\n", 1, "'nni.gamma'"),
        ("\n\n'''@nni.tune(x)'''\n", 3, "unknown annotation"),
        ("'''@nni.mutable_layers({})'''\n", 1, "unknown annotation"),
        # a syntax error inside the annotation
        ("a = 1\n'''@nni.variable(nni.choice(1, 2, name=y)'''\ny = 1\n", 2, "syntax error"),
        ("'''\n@nni.report_final_result(acc'''\n", 2, "syntax error"),
        # duplicate names with different definitions
        (
            "'''@nni.variable(nni.choice(1, 2), name=y)'''\ny = 1\n'''@nni.variable(nni.choice(3, 4), name=y)'''\n"
            "y = 3\n",
            3,
            "already used by the annotation on line 1",
        ),
        (
            "'''@nni.variable(nni.choice(1, 2), name=y)'''\ny = 1\n'''@nni.variable(nni.uniform(0, 1), name=y)'''\n"
            "y = 3\n",
            3,
            "already used",
        ),
        # bad values
        ("'''@nni.variable(nni.uniform(1, 0), name=y)'''\ny = 1\n", 1, "low < high"),
        ("'''@nni.variable(nni.uniform(lo, 1), name=y)'''\ny = 1\n", 1, "number literals"),
        ("'''@nni.variable(nni.quniform(0, 1), name=y)'''\ny = 1\n", 1, "quniform"),
        ("'''@nni.variable(nni.choice(), name=y)'''\ny = 1\n", 1, "needs its values"),
        ("'''@nni.variable(nni.choice(1, 1), name=y)'''\ny = 1\n", 1, "twice"),
        ("'''@nni.variable(nni.choice(1, 2))'''\ny = 1\n", 1, "name="),
        ("'''@nni.variable(3, name=y)'''\ny = 1\n", 1, "one sampling call"),
        # the file itself is not Python
        ("def f(:\n    pass\n", 1, "not valid Python"),
    ],
)
def test_mistakes_name_file_and_line(source: str, line: int, words: str) -> None:
    error = _error(source)
    assert error.file == "m.py"
    assert error.line == line
    assert words in str(error)
    assert str(error).startswith(f"m.py:{line}: ")


def test_identical_duplicate_names_share_one_parameter_as_in_nni() -> None:
    source = (
        "def a():\n    '''@nni.variable(nni.choice(1, 2), name=y)'''\n    y = 1\n    return y\n"
        "def b():\n    '''@nni.variable(nni.choice(1, 2), name=y)'''\n    y = 2\n    return y\n"
    )
    space, code = instrument_source(source, "m")
    assert space == {"m/y/choice": {"_type": "choice", "_value": [1, 2]}}
    assert code is not None and code.count("key='m/y/choice'") == 2


def test_error_in_a_package_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "main.py").write_text("'''@nni.variable(nni.choice(1, 2), name=x)'''\nx = 1\n")
    bad = tmp_path / "pkg" / "mod.py"
    bad.write_text("import os\n\n\n'''@nni.variable(nni.choice(1, 2), name=z)'''\nq = 1\n")
    with pytest.raises(AnnotationError) as info:
        generate_search_space(tmp_path)
    assert info.value.file == str(bad) and info.value.line == 4


def test_strings_that_are_not_annotations_and_files_without_them_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "legacy.py").write_text("print 'python 2 file without annotations'\n")
    (tmp_path / "doc.py").write_text('"""Docstring mentioning nni.variable."""\nx = "@nni.variable"\n')
    assert generate_search_space(tmp_path) == {}
    space, code = instrument_source('"""plain docstring"""\nx = 1\n', "m")
    assert space == {} and code is None


def test_instrumented_text_is_valid_python_and_keeps_lines() -> None:
    source = (
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nfrom __future__ import annotations\n"
        "import math\n\n"
        "class C:\n"
        "    '''@nni.variable(nni.choice(1, 2), name=k)'''\n"
        "    k = 1\n"
        "    def m(self, v):\n"
        "        try:\n"
        "            '''@nni.function_choice(math.floor(v), math.ceil(v), name=rounding)'''\n"
        "            r = math.floor(\n                v)\n"
        "        finally:\n"
        "            '''@nni.report_intermediate_result(v)'''\n"
        "        while False:\n"
        "            '''@nni.variable(nni.choice('é', \"ü\"), name=s)'''\n"
        "            s = 'é'\n"
        "        return r\n"
    )
    space, code = instrument_source(source, "pkg.mod")
    assert code is not None
    ast.parse(code)
    assert len(code.splitlines()) == len(source.splitlines())
    assert code.splitlines()[2].endswith(
        "from __future__ import annotations; import nni.annotation.smartparam"
    )
    assert space["pkg.mod/s/choice"] == {"_type": "choice", "_value": ["é", "ü"]}
    assert space["pkg.mod/rounding/function_choice"]["_value"] == ["math.floor(v)", "math.ceil(v)"]
    assert space["pkg.mod/k/choice"]["_value"] == [1, 2]


def test_compound_first_statement_without_room_moves_lines_by_one_only() -> None:
    source = "def f():\n    '''@nni.variable(nni.uniform(0, 1), name=x)'''\n    x = 0.5\n    return x\n"
    _, code = instrument_source(source, "m")
    assert code is not None
    assert code.splitlines()[0] == "import nni.annotation.smartparam"
    assert code.splitlines()[1:] != source.splitlines()
    namespace: dict[str, object] = {}
    exec(compile(code, "m.py", "exec"), namespace)
    assert namespace["f"]() == 0.5  # type: ignore[operator]  # standalone: the default
