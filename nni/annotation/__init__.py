"""Annotation mode: trial code that declares its search space in ``'''@nni...'''`` strings.

``prepare(code_dir, out_dir)`` is what the launcher calls for ``useAnnotation: true``: it returns the
generated search space and the folder of the instrumented copy the trials run. ``generate_search_space``
only reads. Mistakes raise :class:`AnnotationError` naming the file and line, before anything runs.
"""

from nni.annotation._errors import AnnotationError
from nni.annotation._package import generate_search_space, instrument_source, prepare

__all__ = ["AnnotationError", "generate_search_space", "instrument_source", "prepare"]
