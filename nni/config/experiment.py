"""``ExperimentConfig``: one experiment's config, v2 keys (camelCase on disk, snake_case in Python)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from nni.errors import ConfigError, SearchSpaceError
from nni.objectives import Objectives

from ._base import ConfigBase, Context, option, yaml_problem
from ._values import (
    to_bool,
    to_choice,
    to_config,
    to_config_list,
    to_duration,
    to_gpu_indices,
    to_int,
    to_mapping,
    to_nonempty_str,
    to_path,
)
from .algorithm import AlgorithmConfig
from .objectives import ConstraintConfig, ObjectiveConfig, check_objectives
from .training_services import TrainingServiceConfig, config_class, training_service_from_json

__all__ = ["ExperimentConfig", "LOG_LEVELS"]

LOG_LEVELS = ("trace", "debug", "info", "warning", "error", "fatal")


def _to_training_service(value: Any, ctx: Context, path: str) -> TrainingServiceConfig:
    return training_service_from_json(value, ctx, path)


def _to_search_space(value: Any, ctx: Context, path: str) -> dict[str, Any]:
    return to_mapping(value, ctx, path)


@dataclass(init=False)
class ExperimentConfig(ConfigBase):
    """An experiment config. Build one with :func:`nni.config.load_config`, :meth:`from_json`, or as NNI's
    ``ExperimentConfig('local')`` (then set attributes and call :meth:`validate`)."""

    experiment_name: str | None = option("experimentName", to_nonempty_str)
    search_space_file: str | None = option("searchSpaceFile", to_path("file", must_exist=True))
    search_space: dict[str, Any] | None = option("searchSpace", _to_search_space)
    trial_command: str | None = option(
        "trialCommand", to_nonempty_str, help="the command that runs one trial, e.g. 'python3 trial.py'")
    trial_code_directory: str = option("trialCodeDirectory", to_path("dir", must_exist=True), default=".")
    trial_concurrency: int | None = option(
        "trialConcurrency", to_int(1), required=True, help="how many trials run at once, an integer >= 1")
    trial_gpu_number: int | None = option("trialGpuNumber", to_int(0))
    max_experiment_duration: float | None = option("maxExperimentDuration", to_duration)
    max_trial_number: int | None = option("maxTrialNumber", to_int(1))
    max_trial_duration: float | None = option("maxTrialDuration", to_duration)
    nni_manager_ip: str | None = option("nniManagerIp", to_nonempty_str)
    use_annotation: bool = option("useAnnotation", to_bool, default=False)
    debug: bool = option("debug", to_bool, default=False)
    log_level: str | None = option("logLevel", to_choice(*LOG_LEVELS))
    experiment_working_directory: str | None = option("experimentWorkingDirectory", to_path())
    tuner_gpu_indices: list[int] | None = option("tunerGpuIndices", to_gpu_indices)
    tuner: AlgorithmConfig | None = option("tuner", to_config(AlgorithmConfig))
    assessor: AlgorithmConfig | None = option("assessor", to_config(AlgorithmConfig))
    advisor: AlgorithmConfig | None = option("advisor", to_config(AlgorithmConfig))
    training_service: TrainingServiceConfig | None = option(
        "trainingService", _to_training_service, required=True,
        help="where trials run, e.g. {platform: local}")
    objectives: list[ObjectiveConfig] | None = option("objectives", to_config_list(ObjectiveConfig))
    constraints: list[ConstraintConfig] | None = option("constraints", to_config_list(ConstraintConfig))

    _renamed: ClassVar[dict[str, str]] = {
        "maxExecDuration": "maxExperimentDuration", "maxTrialNum": "maxTrialNumber",
        "searchSpacePath": "searchSpaceFile", "logDir": "experimentWorkingDirectory",
        "trainingServicePlatform": "trainingService", "authorName": "experimentName",
    }

    def __init__(self, training_service_platform: str | None = None, **kwargs: Any) -> None:
        """NNI's constructor: ``ExperimentConfig('local')`` gives an empty config for that platform, with
        an empty ``tuner`` to fill in (``config.tuner.name = 'TPE'``); keyword arguments set fields."""
        for f in dataclasses.fields(self):
            if f.name in kwargs:
                value = kwargs.pop(f.name)
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                value = f.default
            setattr(self, f.name, value)
        if kwargs:
            accepted = ", ".join(f.name for f in dataclasses.fields(self))
            raise TypeError(f"ExperimentConfig got unknown argument(s) {', '.join(sorted(kwargs))}; accepted: {accepted}")
        if training_service_platform is not None:
            if isinstance(training_service_platform, (list, tuple)):
                raise ConfigError("a list of platforms (NNI's hybrid mode) is not supported by this build; "
                                  "give one platform", key="trainingService")
            if self.training_service is None:
                self.training_service = config_class(training_service_platform, path="trainingService.platform")()
            if self.tuner is None and self.advisor is None:
                self.tuner = AlgorithmConfig()

    @classmethod
    def _label(cls) -> str:
        return "experiment config"

    # --- construction -----------------------------------------------------------------------------
    @classmethod
    def for_platform(cls, platform: str = "local") -> ExperimentConfig:
        """An empty config for ``platform`` to fill in from Python (``Experiment('local').config``)."""
        return cls(platform, trial_concurrency=1)

    @classmethod
    def from_json(  # type: ignore[override]
        cls,
        data: Any,
        *,
        base_dir: str | Path | None = None,
        source: str | None = None,
        context: Context | None = None,
        path: str = "",
    ) -> ExperimentConfig:
        """Parse and validate a config (v2, or legacy v1 detected by its keys, converted to v2).

        Relative paths resolve against ``base_dir`` (the config file's folder); ``source`` names the
        file in error messages. The search space file is loaded and the space validated.
        """
        from ._v1 import convert_v1, detect_dialect

        ctx = context or Context(source=source, base_dir=Path(base_dir) if base_dir is not None else Path.cwd())
        if detect_dialect(data, ctx) == "v1":
            data, names = convert_v1(data, ctx)
            ctx = Context(source=ctx.source, base_dir=ctx.base_dir, names=names, dialect="v1")
        return super().from_json(data, context=ctx, path=path)  # type: ignore[return-value]

    def validate(self, *, base_dir: str | Path | None = None, source: str | None = None) -> ExperimentConfig:
        """Check a config built in Python; returns the normalised copy (paths absolute, space loaded)."""
        return type(self).from_json(self.to_json(), base_dir=base_dir, source=source)

    # --- checks -----------------------------------------------------------------------------------
    def _check(self, ctx: Context, path: str) -> None:
        if self.trial_command is None:
            # kubeflow / frameworkcontroller roles carry their own commands (NNI's configs leave trialCommand out)
            role_commands = getattr(self.training_service, "role_commands", lambda: [])()
            if not role_commands:
                raise ctx.error("trialCommand", "missing; the command that runs one trial, e.g. 'python3 trial.py'")
            self.trial_command = role_commands[-1]
        if self.tuner is not None and self.advisor is not None:
            raise ctx.error("advisor", "give a tuner or an advisor, not both (an advisor does the tuner's job)")
        if self.tuner is None and self.advisor is None:
            raise ctx.error("tuner", "missing; a tuner (e.g. {name: TPE, classArgs: {optimize_mode: maximize}}) "
                                     "or an advisor is required")
        if self.advisor is not None and self.assessor is not None:
            raise ctx.error("assessor", "an advisor does its own early stopping; remove the assessor")
        if not Path(self.trial_code_directory).is_absolute():
            self.trial_code_directory = to_path("dir", must_exist=True)(
                self.trial_code_directory, ctx, "trialCodeDirectory")
        self._load_search_space(ctx)
        self._check_algorithms(ctx)
        spec = check_objectives(self.objectives, self.constraints, ctx)
        self._check_algorithms_for(spec, ctx)

    def objective_spec(self) -> Objectives | None:
        """The declared ``objectives`` and ``constraints``, typed (None without ``objectives``)."""
        return Objectives.from_json([o.to_json() for o in self.objectives] if self.objectives else None,
                                    [c.to_json() for c in self.constraints or []])

    def _is_batch(self) -> bool:
        tuner = self.tuner
        if tuner is None:
            return False
        if tuner.name is not None:
            return tuner.name.lower() in ("batch", "batchtuner")
        return bool(tuner.class_name and tuner.class_name.endswith(".BatchTuner"))

    def _validate_space(self, space: Any, source: str | None) -> None:
        if self._is_batch():
            from nni.algorithms.hpo.batch_tuner import validate_batch_space

            validate_batch_space(space, source=source)
        else:
            from nni import search_space

            search_space.validate(space, source=source)

    def _load_search_space(self, ctx: Context) -> None:
        inline = self.search_space
        if self.search_space_file is not None:
            source = ctx.source or "config"
            loaded = _read_space_file(self.search_space_file, source, ctx.key_text("searchSpaceFile"))
            self._validate_space(loaded, self.search_space_file)
            if inline is not None and json.dumps(inline, sort_keys=True) != json.dumps(loaded, sort_keys=True):
                raise ctx.error("searchSpace", "both searchSpace and searchSpaceFile are given and they differ; "
                                               "give one of them")
            self.search_space = loaded
        elif inline is not None:
            self._validate_space(inline, ctx.source)
        elif not self.use_annotation:
            raise ctx.error("searchSpaceFile", "missing; give searchSpaceFile (a JSON or YAML file) or searchSpace "
                                               "(inline), or set useAnnotation: true")

    def _check_algorithms(self, ctx: Context) -> None:
        from nni.algorithms import validate_algorithm

        for kind in ("tuner", "assessor", "advisor"):
            algorithm = getattr(self, kind)
            if algorithm is None:
                continue
            try:
                validate_algorithm(kind, algorithm, source=ctx.source, key=kind)
            except ConfigError as exc:
                # Re-key for v1 configs (builtinTunerName, ...) and keep the one-line message.
                key = ctx.key_text(exc.key or kind)
                raise ConfigError(exc.detail, key=key, source=ctx.source) from exc

    def _check_algorithms_for(self, spec: Objectives | None, ctx: Context) -> None:
        from nni.algorithms import check_objectives_support

        for kind in ("tuner", "advisor", "assessor"):
            algorithm = getattr(self, kind)
            if algorithm is None or algorithm.is_placeholder:
                continue
            try:
                check_objectives_support(kind, algorithm, spec, source=ctx.source, key=kind)
            except ConfigError as exc:
                raise ConfigError(exc.detail, key=ctx.key_text(exc.key or kind), source=ctx.source) from exc

    # --- output -----------------------------------------------------------------------------------
    def to_json(self, *, redact: bool = False) -> dict[str, Any]:
        """Canonical v2 camelCase; ``redact=True`` replaces passwords and passphrases with '******'."""
        data = super().to_json(redact=redact)
        for kind in ("tuner", "assessor", "advisor"):
            algorithm = getattr(self, kind)
            if isinstance(algorithm, AlgorithmConfig) and algorithm.is_placeholder:
                data.pop(kind, None)  # the empty tuner of ExperimentConfig('local'), never filled in
        return data


def _read_space_file(path: str, source: str, key: str) -> Any:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read search space file {path}: {exc.strerror}", key=key, source=source) from None
    try:
        if file.suffix.lower() in (".yml", ".yaml"):
            import yaml

            return yaml.safe_load(text)
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SearchSpaceError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                               source=path) from None
    except Exception as exc:  # yaml.YAMLError
        raise SearchSpaceError(yaml_problem(exc), source=path) from None
