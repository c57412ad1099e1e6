"""Errors the harness reports to users: one clear line naming the file and line, never a traceback."""

from __future__ import annotations

from pathlib import Path


class HarnessError(Exception):
    """A user-facing error; ``str()`` gives ``file:line: message`` when the location is known."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class ConfigError(HarnessError):
    """Bad atmos.yaml, stack manifest, import or component configuration."""


class EvaluationError(HarnessError):
    """An engine could not evaluate an instance (tfparse crash, terraform failure, bad plan JSON)."""


class ReadOnlyViolation(HarnessError):
    """A mutating AWS operation was attempted through a read-only session."""
