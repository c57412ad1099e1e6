"""Warnings from stack processing, printed once each (a repository resolves the same file many times).

The library does not print through a logger: a warning goes to the sink a front end installs (the CLI and the
pytest plugin print to stderr, the default) and stays in :func:`collected` for tests and reports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

Sink = Callable[[str], None]

_seen: dict[str, None] = {}
_sink: Sink | None = None


def _stderr(text: str) -> None:
    sys.stderr.write(f"warning: {text}\n")


def warn(message: str, *, file: str | Path | None = None, line: int | None = None) -> None:
    """Record and print ``FILE:LINE: message``, unless the same text was already reported."""
    where = "" if file is None else (f"{file}:{line}: " if line else f"{file}: ")
    text = where + message
    if text in _seen:
        return
    _seen[text] = None
    (_sink or _stderr)(text)


def collected() -> list[str]:
    """Every warning reported since the last :func:`reset`, in order."""
    return list(_seen)


def reset(sink: Sink | None = None) -> None:
    """Forget what was reported (so it prints again) and install ``sink`` (None: stderr)."""
    global _sink
    _seen.clear()
    _sink = sink
