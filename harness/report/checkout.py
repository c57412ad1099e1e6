"""Which commit a run tested: commit SHA, ref and dirty flag of the git checkout, for the report and the gate.

A release gate must know that the report it judges was made from the commit it releases; these facts
are read with the ``git`` binary and are None where there is no git (a tarball, no binary).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Checkout:
    """The state of a git work tree: ``dirty`` when tracked files differ from the commit."""

    commit: str | None
    ref: str | None
    dirty: bool | None

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "ref": self.ref, "dirty": self.dirty}


def _git(path: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=False,
                              timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def read_checkout(path: Path) -> Checkout:
    """Commit, ref (branch or tag; ``$GITHUB_REF_NAME`` on a detached CI checkout) and dirty flag at ``path``.

    Untracked files do not make a checkout dirty (a report or cache written into the tree is untracked);
    changed tracked files do.
    """
    commit = _git(path, "rev-parse", "--verify", "HEAD")
    if not commit:
        return Checkout(None, None, None)
    ref = _git(path, "symbolic-ref", "--quiet", "--short", "HEAD") or os.environ.get("GITHUB_REF_NAME") or (
        _git(path, "describe", "--tags", "--exact-match", "HEAD"))
    status = _git(path, "status", "--porcelain", "--untracked-files=no")
    return Checkout(commit, ref or None, None if status is None else bool(status))
