"""The one place that knows NNI's search space JSON: validate, flatten, sample, format and deformat.

Typical use in a tuner::

    specs = search_space.parse(space)                # validated, flattened
    flat = search_space.sample(specs, rng)           # {key: value}, choices as option indices
    params = search_space.format_parameters(flat, specs)   # nested dict for the trial
"""

from ._spec import SAMPLING_TYPES, ParameterSpec, parse, path_text, validate
from ._values import (
    contains,
    deformat_parameters,
    finite_values,
    format_parameters,
    quantize,
    sample,
    sample_value,
    to_trial_value,
)

__all__ = [
    "SAMPLING_TYPES",
    "ParameterSpec",
    "parse",
    "validate",
    "path_text",
    "sample",
    "sample_value",
    "quantize",
    "finite_values",
    "to_trial_value",
    "format_parameters",
    "deformat_parameters",
    "contains",
    "load",
]


def load(path: str) -> dict:
    """Read a search space file (JSON, or YAML by extension) and validate it, errors naming the file."""
    import json
    from pathlib import Path

    from nni.errors import SearchSpaceError

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SearchSpaceError("file not found", source=str(file)) from None
    except OSError as exc:
        raise SearchSpaceError(f"cannot read file: {exc.strerror}", source=str(file)) from None
    try:
        if file.suffix.lower() in (".yml", ".yaml"):
            import yaml

            space = yaml.safe_load(text)
        else:
            space = json.loads(text)
    except ValueError as exc:
        raise SearchSpaceError(f"not valid JSON: {exc}", source=str(file)) from None
    except Exception as exc:  # yaml.YAMLError
        raise SearchSpaceError(f"not valid YAML: {exc}", source=str(file)) from None
    validate(space, source=str(file))
    return space
