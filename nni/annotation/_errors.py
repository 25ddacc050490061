"""The error every annotation mistake raises: it names the file and the line."""

from __future__ import annotations

from nni.errors import SearchSpaceError

__all__ = ["AnnotationError"]


class AnnotationError(SearchSpaceError):
    """An annotation string is wrong; ``file`` and ``line`` say where (line 0: the folder or file as a
    whole), the message what to change."""

    def __init__(self, message: str, *, file: str, line: int) -> None:
        self.file = file
        self.line = line
        super().__init__(message, source=f"{file}:{line}" if line else file)
