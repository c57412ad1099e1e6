"""``auto``: the terraform engine when a binary and every provider the components need are usable offline, else
static, with the reason per component."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from harness.engines.terraform import component_requirements, terraform_usable
from harness.errors import HarnessError
from harness.tools.providers import provider_search
from harness.tools.terraform import (
    TerraformBinary,
    find_terraform,
    provider_available,
    satisfies,
    terraform_binary,
    terraform_for_tests,
)


def required_versions(component_dirs: Sequence[str | Path]) -> list[str]:
    """The distinct ``required_version`` constraints of the components (unreadable ones are skipped)."""
    out: list[str] = []
    for directory in component_dirs:
        try:
            required, _ = component_requirements(Path(directory))
        except HarnessError:
            continue
        if required and required not in out:
            out.append(required)
    return out


def choose_engine(component_dirs: Sequence[str | Path], binary: str | os.PathLike[str] | None = None
                  ) -> tuple[str, str]:
    """``("terraform" | "static", reason)``; terraform only if it can plan every given component; else the
    reason names each component it cannot plan and why."""
    if not component_dirs:
        return "static", "no component to plan"
    try:
        found = find_terraform(binary, required=required_versions(component_dirs))
    except HarnessError:
        return "static", "no terraform or tofu binary (set HARNESS_TERRAFORM or put one on PATH)"
    search = provider_search()
    reasons: list[str] = []
    last = ""
    for directory in component_dirs:
        ok, reason = terraform_usable(found, directory, search)
        if not ok:
            reasons.append(f"{Path(directory).name}: {reason}")
        last = reason
    if reasons:
        return "static", "; ".join(reasons)
    return "terraform", last


def component_folders(root: str | Path) -> list[Path]:
    """The component folders under ``root`` (``components/terraform``), sorted."""
    return sorted(p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith("."))


def components_terraform(root: str | Path) -> TerraformBinary:
    """The binary a repository's own tests run its components with: ``HARNESS_TERRAFORM``, else a terraform or
    tofu on PATH meeting every component's ``required_version``, else the pinned fallback."""
    return terraform_binary(terraform_for_tests(required_versions(component_folders(root))))


def real_terraform_gap(binary: TerraformBinary, root: str | Path, source: str = "hashicorp/aws") -> str | None:
    """Why real plans and applies of the components under ``root`` cannot run with ``binary`` (None: they can)."""
    unmet = [c for c in required_versions(component_folders(root)) if not satisfies(binary.version, c)]
    if unmet:
        return f"the components need Terraform {', '.join(unmet)}; the binary found is {binary}"
    ok, reason = provider_available(binary.path, source)
    return None if ok else reason
