"""``auto``: the terraform engine when a binary and its providers are usable offline, else static."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from harness.engines.terraform import find_binary, terraform_usable


def choose_engine(component_dirs: Sequence[str | Path], binary: str | os.PathLike[str] | None = None
                  ) -> tuple[str, str]:
    """``("terraform" | "static", reason)``; terraform only if it can plan every given component."""
    found = find_binary(binary)
    if found is None:
        return "static", "no terraform or tofu binary (set HARNESS_TERRAFORM or put one on PATH)"
    last = ""
    for directory in component_dirs:
        ok, reason = terraform_usable(found, directory)
        if not ok:
            return "static", f"{Path(directory).name}: {reason}"
        last = reason
    if not component_dirs:
        return "static", "no component to plan"
    return "terraform", last
