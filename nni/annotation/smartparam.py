"""Samplers called by annotated trial code (``nni.choice``, ``nni.uniform``, ...)."""

__all__: list[str] = []
