"""Built-in HPO tuners and assessors, one module each at NNI's module paths (``tpe_tuner``,
``random_tuner``, ``gridsearch_tuner``, ``batch_tuner``, ``medianstop_assessor``, ...).

Import the module you need; importing this package loads none of them. Names in configs map to
classes through :mod:`nni.algorithms.hpo._registry` (see :func:`nni.algorithms.create_algorithm`).
"""

from nni.algorithms.hpo._registry import BUILTIN_ADVISORS, BUILTIN_ASSESSORS, BUILTIN_TUNERS

__all__ = ["BUILTIN_TUNERS", "BUILTIN_ASSESSORS", "BUILTIN_ADVISORS"]
