"""Turn a tuner / assessor / advisor config into a class or an instance.

A config (the typed ``nni.config.AlgorithmConfig`` or its v2 camelCase mapping; ``nni.config`` converts
v1 sections first) names a built-in algorithm (``name``) or a custom class (``className`` +
``codeDirectory``), with ``classArgs``. Built-in names map to class paths in :mod:`nni.algorithms.hpo._registry`; classes are
imported only when needed. ``classArgs`` are checked against the constructor's signature and, when the
class's module ships one, against NNI's ``ClassArgsValidator`` subclass for it.

Every mistake raises :class:`AlgorithmConfigError` (a ``ConfigError`` and an ``AlgorithmError``) naming
the config file, the key (``tuner.classArgs.optimise_mode``), what was given and what is accepted.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nni.algorithms import _user_registry
from nni.errors import AlgorithmError, ConfigError

__all__ = [
    "KINDS",
    "AlgorithmConfigError",
    "AlgorithmRef",
    "builtin_names",
    "builtin_class_path",
    "register_algorithm",
    "user_registry_path",
    "is_available",
    "load_class",
    "check_class_args",
    "validate_algorithm",
    "create_algorithm",
    "check_objectives_support",
    "multi_objective_tuners",
]

KINDS = ("tuner", "assessor", "advisor")

# Names NNI (and its configs) use for the same built-ins.
_ALIASES: dict[str, dict[str, str]] = {
    "tuner": {"BatchTuner": "Batch", "GPTuner": "GP", "MetisTuner": "Metis", "PBTTuner": "PBT",
              "DNGOTuner": "DNGO", "GridSearchTuner": "GridSearch", "RandomTuner": "Random"},
    "assessor": {"MedianStop": "Medianstop", "CurveFitting": "Curvefitting"},
    "advisor": {},
}

# Built-ins implemented by one class for several names get the name as ``algorithm_name`` (NNI's way).
_ALGORITHM_NAME_ARG = {"TPE": "tpe", "Anneal": "anneal", "Random": "random_search"}

# The keys of a v2 tuner / assessor / advisor section (``nni.config.AlgorithmConfig``).
_V2_KEYS = ("name", "className", "codeDirectory", "classArgs", "includeIntermediateResults")

# Methods a loaded class must have to be used as each kind.
_REQUIRED_METHOD = {"tuner": "generate_parameters", "assessor": "assess_trial", "advisor": "generate_parameters"}

_registered: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
_code_dirs: set[str] = set()  # code directories custom algorithms were loaded from


class AlgorithmConfigError(ConfigError, AlgorithmError):
    """A tuner/assessor/advisor config is wrong: unknown name, unknown classArg, class not loadable."""


@dataclass(frozen=True)
class AlgorithmRef:
    """A normalised algorithm config: a built-in ``name`` or a custom ``class_name`` (+ ``code_directory``)."""

    kind: str
    name: str | None = None
    class_name: str | None = None
    code_directory: str | None = None
    class_args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, kind: str, config: Any, *, base_dir: str | os.PathLike[str] | None = None) -> AlgorithmRef:
        """From the typed ``nni.config.AlgorithmConfig`` (or an object with its attributes) or its v2
        camelCase mapping. v1 sections (``builtinTunerName``, ``codeDir`` + ``classFileName``) are converted
        to v2 by ``nni.config`` before they get here; a relative ``codeDirectory`` is taken from ``base_dir``."""
        _check_kind(kind)
        if isinstance(config, AlgorithmRef):
            return config
        if isinstance(config, Mapping):
            unknown = [str(key) for key in config if key not in _V2_KEYS]
            if unknown:
                raise AlgorithmConfigError(
                    f"unknown key {unknown[0]!r}; {_a(kind)} section takes {', '.join(_V2_KEYS)} "
                    "(a v1 config is converted by nni.config.load_config / ExperimentConfig.from_json)",
                    key=f"{kind}.{unknown[0]}")
            name, class_name = config.get("name"), config.get("className")
            code_dir, args = config.get("codeDirectory"), config.get("classArgs")
        else:
            name, class_name = getattr(config, "name", None), getattr(config, "class_name", None)
            code_dir, args = getattr(config, "code_directory", None), getattr(config, "class_args", None)
        if code_dir is not None and base_dir is not None and not os.path.isabs(str(code_dir)):
            code_dir = os.path.join(os.fspath(base_dir), str(code_dir))
        return cls(
            kind=kind,
            name=None if name is None else str(name),
            class_name=None if class_name is None else str(class_name),
            code_directory=None if code_dir is None else os.fspath(code_dir),
            class_args=dict(args or {}),
        )


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"algorithm kind must be one of {', '.join(KINDS)}, got {kind!r}")


def user_registry_path() -> Path:
    """The file ``nnictl algo register --meta`` writes (``$XDG_CONFIG_HOME/nni/registered_algorithms.yml``)."""
    return _user_registry.registry_path()


def _user_registered(kind: str) -> dict[str, str]:
    """Names registered with ``nnictl algo register`` for ``kind``: ``{builtinName: className}``."""
    return {name: entry["className"] for name, entry in _user_registry.entries_of(kind).items()}


def _registered_validator(ref: AlgorithmRef, source: str | None = None) -> type | None:
    """The classArgsValidator a ``nnictl algo register`` meta file named for ``ref``'s name, if any."""
    if ref.name is None or ref.class_name is not None:
        return None
    canonical = _canonical_name(ref.kind, ref.name)
    entry = _user_registry.entries_of(ref.kind).get(canonical or "")
    path = entry.get("classArgsValidator") if entry else None
    if not isinstance(path, str) or "." not in path:
        return None
    try:
        return _import_class(path, None)
    except _NotAvailable as exc:
        raise AlgorithmConfigError(
            f"the classArgsValidator registered for {ref.name!r} cannot be loaded: {exc.reason}",
            key=f"{ref.kind}.name", source=source) from None


def _registry(kind: str) -> dict[str, str]:
    from nni.algorithms.hpo._registry import BUILTIN_ADVISORS, BUILTIN_ASSESSORS, BUILTIN_TUNERS

    base = {"tuner": BUILTIN_TUNERS, "assessor": BUILTIN_ASSESSORS, "advisor": BUILTIN_ADVISORS}[kind]
    return {**_user_registered(kind), **base, **_registered[kind]}


def builtin_names(kind: str) -> list[str]:
    """The built-in (and registered) names of ``kind``, in registry order."""
    _check_kind(kind)
    return list(_registry(kind))


def register_algorithm(kind: str, name: str, class_path: str) -> None:
    """Make ``name`` usable in configs for ``kind`` in this process (e.g. from ``nnictl algo register``)."""
    _check_kind(kind)
    if "." not in class_path:
        raise ValueError(f"class_path must be 'module.Class', got {class_path!r}")
    _registered[kind][name] = class_path


def _canonical_name(kind: str, name: str) -> str | None:
    registry = _registry(kind)
    if name in registry:
        return name
    alias = _ALIASES[kind].get(name)
    if alias in registry:
        return alias
    lowered = {n.lower(): n for n in registry}
    lowered.update({a.lower(): t for a, t in _ALIASES[kind].items() if t in registry})
    return lowered.get(name.lower())


def builtin_class_path(kind: str, name: str, *, source: str | None = None, key: str | None = None) -> str:
    """The class path of built-in ``name``; an unknown name gets a suggestion and the list of names."""
    _check_kind(kind)
    key = key or f"{kind}.name"
    if not isinstance(name, str):
        raise AlgorithmConfigError(
            f"expected the name of a built-in {kind} (one of {', '.join(builtin_names(kind))}), got {name!r}",
            key=key, source=source)
    canonical = _canonical_name(kind, name)
    if canonical is None:
        names = builtin_names(kind)
        close = difflib.get_close_matches(name, names + list(_ALIASES[kind]), n=1, cutoff=0.5)
        if not close:
            close = difflib.get_close_matches(name.lower(), [n.lower() for n in names], n=1, cutoff=0.5)
            close = [n for n in names if n.lower() in close]
        hint = f"did you mean {close[0]!r}? " if close else ""
        for other in KINDS:
            if other != kind and _canonical_name(other, name) is not None:
                hint = f"{name!r} is a built-in {other}, not {_a(kind)}; " + hint
                break
        raise AlgorithmConfigError(
            f"unknown built-in {kind} {name!r}; {hint}built-in {kind}s: {', '.join(names)} "
            f"(or give className and codeDirectory for a custom {kind})",
            key=key, source=source)
    return _registry(kind)[canonical]


class _NotAvailable(Exception):
    def __init__(self, module: str, reason: str) -> None:
        super().__init__(reason)
        self.module = module
        self.reason = reason


def _found_elsewhere(top_name: str) -> str | None:
    """Where an installed (or already imported) module ``top_name`` lives, ignoring code directories."""
    cached = sys.modules.get(top_name)
    if cached is not None:
        origin = getattr(cached, "__file__", None) or "<built-in>"
    else:
        try:
            spec = importlib.util.find_spec(top_name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            return None
        origin = spec.origin or "<namespace>"
    real = os.path.realpath(origin)
    if any(real.startswith(d + os.sep) for d in _code_dirs):
        return None
    return origin


def _import_class(class_path: str, code_directory: str | None) -> type:
    module_name, _, class_name = class_path.rpartition(".")
    if not module_name:
        raise _NotAvailable(class_path, f"className must be 'module.ClassName', got {class_path!r}")
    if code_directory is not None:
        code_dir = os.path.realpath(code_directory)
        if not os.path.isdir(code_dir):
            raise _NotAvailable(module_name, f"code directory {code_directory!r} does not exist")
        top = os.path.join(code_dir, module_name.split(".")[0])
        if os.path.isfile(top + ".py") or os.path.isdir(top):
            # The code directory comes first, so its module wins over same-named ones elsewhere.
            if code_dir in sys.path:
                sys.path.remove(code_dir)
            sys.path.insert(0, code_dir)
            _code_dirs.add(code_dir)
        elif _found_elsewhere(module_name.split(".")[0]) is None:
            # Not in this code directory (a same-named module of another code directory does not count).
            raise _NotAvailable(module_name, f"module {module_name!r} not found in {code_directory!r}")
        loaded = sys.modules.get(module_name)
        loaded_file = getattr(loaded, "__file__", None) if loaded is not None else None
        local = os.path.join(code_dir, *module_name.split("."))
        if (
            loaded is not None
            and (os.path.isfile(local + ".py") or os.path.isdir(local))
            and (not loaded_file or not os.path.realpath(loaded_file).startswith(code_dir + os.sep))
        ):
            # A module of the same name was loaded from elsewhere (another code directory): load this one.
            del sys.modules[module_name]
        importlib.invalidate_caches()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            where = f" in {code_directory!r}" if code_directory else ""
            raise _NotAvailable(module_name, f"module {module_name!r} not found{where}") from None
        raise _NotAvailable(module_name, f"importing {module_name!r} failed: {exc}") from exc
    except Exception as exc:  # an error inside the user's module
        raise _NotAvailable(module_name, f"importing {module_name!r} failed: {type(exc).__name__}: {exc}") from exc
    try:
        found = getattr(module, class_name)
    except AttributeError:
        classes = sorted(n for n, v in vars(module).items() if inspect.isclass(v) and v.__module__ == module.__name__)
        close = difflib.get_close_matches(class_name, classes, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _NotAvailable(
            module_name, f"module {module_name!r} has no class {class_name!r}{hint} (classes: {', '.join(classes) or 'none'})"
        ) from None
    if not inspect.isclass(found):
        raise _NotAvailable(module_name, f"{class_path!r} is not a class, got {type(found).__name__}")
    return found


def load_class(kind: str, config: Any, *, source: str | None = None, key: str | None = None,
               base_dir: str | os.PathLike[str] | None = None) -> type:
    """The class a config names (built-in or custom), imported; errors name the key and the file."""
    ref = AlgorithmRef.from_config(kind, config, base_dir=base_dir)
    key = key or kind
    if ref.name is not None and ref.class_name is not None:
        raise AlgorithmConfigError(
            f"give either name (a built-in {kind}) or className (a custom {kind}), not both; "
            f"got name={ref.name!r} and className={ref.class_name!r}", key=key, source=source)
    if ref.name is not None:
        path = builtin_class_path(kind, ref.name, source=source, key=f"{key}.name")
        try:
            cls = _import_class(path, None)
        except _NotAvailable as exc:
            raise AlgorithmConfigError(
                f"built-in {kind} {ref.name!r} is not available in this build ({exc.reason}); "
                f"available: {', '.join(n for n in builtin_names(kind) if is_available(kind, n)) or 'none'}",
                key=f"{key}.name", source=source) from None
    elif ref.class_name is not None:
        try:
            cls = _import_class(ref.class_name, ref.code_directory)
        except _NotAvailable as exc:
            raise AlgorithmConfigError(
                f"cannot load custom {kind} {ref.class_name!r}: {exc.reason}", key=f"{key}.className", source=source
            ) from exc.__cause__
    else:
        raise AlgorithmConfigError(
            f"{_a(kind).capitalize()} needs name (a built-in: {', '.join(builtin_names(kind))}) or className + codeDirectory "
            f"(a custom {kind})", key=key, source=source)
    method = _REQUIRED_METHOD[kind]
    if not callable(getattr(cls, method, None)):
        base = "nni.assessor.Assessor" if kind == "assessor" else "nni.tuner.Tuner"
        raise AlgorithmConfigError(
            f"{cls.__module__}.{cls.__name__} is not {_a(kind)}: it has no {method}() (subclass {base})",
            key=f"{key}.className" if ref.class_name else f"{key}.name", source=source)
    return cls


def is_available(kind: str, name: str) -> bool:
    """Whether built-in ``name`` can be imported in this build."""
    try:
        path = builtin_class_path(kind, name)
        _import_class(path, None)
    except (AlgorithmConfigError, _NotAvailable):
        return False
    return True


def _effective_args(cls: type, ref: AlgorithmRef) -> dict[str, Any]:
    args = dict(ref.class_args)
    if ref.name is not None:
        canonical = _canonical_name(ref.kind, ref.name)
        preset = _ALGORITHM_NAME_ARG.get(canonical or "")
        if preset and "algorithm_name" not in args and "algorithm_name" in _accepted(cls)[0]:
            args["algorithm_name"] = preset
    return args


def _accepted(cls: type) -> tuple[list[str], bool, list[str]]:
    """(argument names, whether **kwargs is accepted, required names) of ``cls``'s constructor."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return [], True, []
    names: list[str] = []
    required: list[str] = []
    var_keyword = False
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            var_keyword = True
        elif param.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            names.append(param.name)
            if param.default is inspect.Parameter.empty:
                required.append(param.name)
    return names, var_keyword, required


def _find_validator(cls: type) -> type | None:
    from nni.utils import ClassArgsValidator

    module = sys.modules.get(cls.__module__)
    if module is None:
        return None
    candidates = [
        v for v in vars(module).values()
        if inspect.isclass(v) and issubclass(v, ClassArgsValidator) and v is not ClassArgsValidator
        and v.__module__ == module.__name__
    ]
    if not candidates:
        return None
    stem = cls.__name__
    for suffix in ("Tuner", "Assessor", "Advisor"):
        if stem.endswith(suffix) and stem != suffix:
            stem = stem[: -len(suffix)]
            break
    for candidate in candidates:
        if candidate.__name__ in (f"{cls.__name__}ClassArgsValidator", f"{stem}ClassArgsValidator"):
            return candidate
    return candidates[0] if len(candidates) == 1 else None


def _validator_problem(exc: BaseException) -> str:
    """One line for a validator's error; the ``schema`` library wraps our predicates' ValueError in a
    multi-line SchemaError ("Key 'x' error:\ncheck(...) raised ValueError(...)"): give the ValueError's text."""
    inner: BaseException | None = exc
    while inner is not None and type(inner).__name__ == "SchemaError":
        inner = inner.__context__
    if inner is not None and inner is not exc:
        return str(inner)
    return " ".join(str(exc).split())


def check_class_args(cls: type, class_args: Mapping[str, Any], *, kind: str = "tuner", source: str | None = None,
                     key: str | None = None, validator: type | None = None) -> None:
    """Check ``class_args`` against ``cls``'s constructor and its ClassArgsValidator: ``validator`` when
    given (the one ``nnictl algo register`` recorded), else the one its module ships, if any."""
    key = key or f"{kind}.classArgs"
    label = cls.__name__
    if not isinstance(class_args, Mapping):
        raise AlgorithmConfigError(f"expected a mapping of argument names to values, got {class_args!r}",
                                   key=key, source=source)
    names, var_keyword, required = _accepted(cls)
    accepted_text = ", ".join(names) if names else f"none ({label} takes no classArgs)"
    if not var_keyword:
        for arg in class_args:
            if arg not in names:
                close = difflib.get_close_matches(str(arg), names, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ";"
                raise AlgorithmConfigError(
                    f"unknown argument {arg!r} for {label}{hint} accepted: {accepted_text}",
                    key=f"{key}.{arg}", source=source)
    missing = [name for name in required if name not in class_args]
    if missing:
        raise AlgorithmConfigError(
            f"{label} needs {', '.join(map(repr, missing))}, which classArgs does not give "
            f"(given: {', '.join(map(str, class_args)) or 'nothing'}; accepted: {accepted_text})",
            key=key, source=source)
    validator_cls = validator or _find_validator(cls)
    if validator_cls is not None:
        try:
            validator_cls().validate_class_args(**class_args)
        except Exception as exc:  # ValueError, schema.SchemaError, ... from user code
            raise AlgorithmConfigError(
                f"{validator_cls.__name__} rejected classArgs {dict(class_args)!r}: {_validator_problem(exc)}",
                key=key, source=source
            ) from exc


def validate_algorithm(kind: str, config: Any, *, source: str | None = None, key: str | None = None,
                       base_dir: str | os.PathLike[str] | None = None) -> None:
    """Load-time check: the name is known, and classArgs fit when the class can be imported now.

    A built-in that is missing from this build is not an error here (it is at :func:`create_algorithm`).
    """
    ref = AlgorithmRef.from_config(kind, config, base_dir=base_dir)
    key = key or kind
    if ref.name is not None and ref.class_name is None:
        path = builtin_class_path(kind, ref.name, source=source, key=f"{key}.name")
        try:
            cls = _import_class(path, None)
        except _NotAvailable:
            return
    else:
        cls = load_class(kind, ref, source=source, key=key)
    check_class_args(cls, _effective_args(cls, ref), kind=kind, source=source, key=f"{key}.classArgs",
                     validator=_registered_validator(ref, source))


def create_algorithm(kind: str, config: Any, *, source: str | None = None, key: str | None = None,
                     base_dir: str | os.PathLike[str] | None = None, defaults: Mapping[str, Any] | None = None) -> Any:
    """Load the class a config names, check its classArgs and construct it. ``defaults``: arguments given
    when classArgs does not give them and the constructor takes them (the direction of the one objective)."""
    ref = AlgorithmRef.from_config(kind, config, base_dir=base_dir)
    key = key or kind
    cls = load_class(kind, ref, source=source, key=key)
    args = _effective_args(cls, ref)
    names = _accepted(cls)[0]
    for name, value in (defaults or {}).items():
        if name not in args and name in names:
            args[name] = value
    check_class_args(cls, args, kind=kind, source=source, key=f"{key}.classArgs",
                     validator=_registered_validator(ref, source))
    try:
        return cls(**args)
    except (ValueError, TypeError) as exc:
        raise AlgorithmConfigError(f"{cls.__name__} rejected classArgs {args!r}: {exc}",
                                   key=f"{key}.classArgs", source=source) from exc
    except Exception as exc:
        raise AlgorithmError(f"constructing {kind} {cls.__module__}.{cls.__name__} failed: "
                             f"{type(exc).__name__}: {exc}") from exc


# ------------------------------------------------------------------------------- several objectives
def multi_objective_tuners() -> list[str]:
    """The built-in tuners that handle several objectives and constraints (``supports_multiple_objectives``)."""
    from nni.algorithms.hpo._registry import BUILTIN_TUNERS

    able = []
    for name, path in BUILTIN_TUNERS.items():
        try:
            cls = _import_class(path, None)
        except _NotAvailable:
            continue
        if getattr(cls, "supports_multiple_objectives", False):
            able.append(name)
    return able


def check_objectives_support(kind: str, config: Any, objectives: Any, *, source: str | None = None,
                             key: str | None = None, base_dir: str | os.PathLike[str] | None = None) -> None:
    """Refuse, before anything runs, an algorithm that cannot work with the config's ``objectives``
    (an ``nni.objectives.Objectives`` or None): a tuner or advisor that cannot handle several objectives or
    constraints (the message lists the built-ins that can), an ``optimize_mode`` that contradicts the
    objective the algorithm uses, an assessor's ``objective`` that is not a declared objective."""
    ref = AlgorithmRef.from_config(kind, config, base_dir=base_dir)
    key = key or kind
    args = ref.class_args
    if kind == "assessor":
        named = args.get("objective")
        if named is not None and objectives is None:
            raise AlgorithmConfigError(
                f"the assessor is told to judge by objective {named!r}, but the config declares no objectives; "
                "declare them (objectives: [...]) or drop classArgs.objective", key=f"{key}.classArgs.objective",
                source=source)
        if objectives is None:
            return
        if named is not None and named not in objectives.names:
            raise AlgorithmConfigError(
                f"{named!r} is not a declared objective; the assessor judges by one of "
                f"{', '.join(objectives.names)}", key=f"{key}.classArgs.objective", source=source)
        judged = objectives.judged(named)
        _check_mode(args, judged, f"the assessor judges by objective {judged.name!r}, which is to {judged.mode}",
                    key, source)
        return
    if objectives is None:
        return
    if not objectives.is_multi:
        only = objectives.objectives[0]
        _check_mode(args, only, f"the only objective, {only.name!r}, is to {only.mode}", key, source)
        return
    if ref.name is not None and ref.class_name is None:
        try:
            cls = _import_class(builtin_class_path(kind, ref.name, source=source, key=f"{key}.name"), None)
        except _NotAvailable:
            return
    else:
        cls = load_class(kind, ref, source=source, key=key)
    if getattr(cls, "supports_multiple_objectives", False):
        return
    label = ref.name or ref.class_name
    raise AlgorithmConfigError(
        f"{kind} {label!r} cannot optimise several objectives or honour constraints ({objectives.describe()}); "
        f"tuners that can: "
        f"{', '.join(multi_objective_tuners())} (a custom tuner declares supports_multiple_objectives = True)",
        key=f"{key}.className" if ref.class_name else f"{key}.name", source=source)


def _check_mode(args: Mapping[str, Any], objective: Any, why: str, key: str, source: str | None) -> None:
    given = args.get("optimize_mode")
    if given is not None and str(given).lower() != objective.mode:
        raise AlgorithmConfigError(
            f"optimize_mode is {given!r} but {why}; drop optimize_mode (the objectives set the direction) or make "
            "them agree", key=f"{key}.classArgs.optimize_mode", source=source)
