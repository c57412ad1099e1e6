"""Which hashicorp/aws version a component will plan with, so data-source attributes follow that version.

From the component's provider lock, else the newest local mirror version meeting its constraint, else the
major version its constraint pins; None when nothing tells (then version-dependent attributes are unknown).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from harness.errors import HarnessError
from harness.terraform import load_module
from harness.tools.providers import provider_search
from harness.tools.terraform import satisfies

AWS = "registry.terraform.io/hashicorp/aws"
_LOCKED = re.compile(r'provider\s+"registry\.terraform\.io/hashicorp/aws"\s*\{[^}]*?version\s*=\s*"([^"]+)"', re.S)


def _constraint(component_dir: Path) -> str:
    try:
        spec = load_module(component_dir).required_providers.get("aws")
    except HarnessError:
        return ""
    if isinstance(spec, dict):
        return str(spec.get("version") or "")
    return str(spec) if isinstance(spec, str) else ""


def _pinned_major(constraint: str) -> int | None:
    """``~> 5.0``, ``>= 5.1, < 6.0`` -> 5; None when the constraint allows several majors."""
    majors = {m for m in range(1, 20) if satisfies((m, 99, 0), constraint) or satisfies((m, 0, 0), constraint)}
    return majors.pop() if len(majors) == 1 else None


@functools.lru_cache(maxsize=256)
def aws_provider_major(component_dir: Path) -> int | None:
    """The hashicorp/aws major version this component plans with, or None when unsure."""
    lock = component_dir / ".terraform.lock.hcl"
    if lock.is_file():
        found = _LOCKED.search(lock.read_text(encoding="utf-8", errors="replace"))
        if found:
            return int(found.group(1).split(".")[0])
    constraint = _constraint(component_dir)
    mirror = provider_search(component_dir).find(AWS, constraint)
    if mirror is not None:
        versions = [v for v in mirror.versions(AWS) if not constraint or satisfies(v, constraint)]
        if versions:
            return int(versions[0].split(".")[0])
    return _pinned_major(constraint) if constraint else None


def aws_region_has_region(component_dir: Path) -> bool | None:
    """Does ``data.aws_region`` have a ``region`` attribute (provider 6+)? None: unknown version."""
    major = aws_provider_major(Path(component_dir).resolve())
    return None if major is None else major >= 6
