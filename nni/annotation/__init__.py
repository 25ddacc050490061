"""Annotation mode: trial code that declares its search space in ``'''@nni...'''`` strings."""
