"""Engines turn a PlanRequest into a Plan: ``static`` (tfparse), ``terraform`` (tftest), ``recorded`` (JSON).

``make_engine`` builds one by name; ``auto`` picks terraform when a binary meeting the components'
``required_version`` and every provider they need are usable offline, else static, and says why per component.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from harness.engines.auto import (
    choose_engine,
    component_folders,
    components_terraform,
    real_terraform_gap,
    required_versions,
)
from harness.engines.base import BatchEngine, Engine, PlanRequest
from harness.engines.cache import CachedEngine, PlanCache, cache_key
from harness.engines.recorded import RecordedEngine, load_plan_file, plan_from_json
from harness.engines.static import StaticEngine
from harness.engines.terraform import TerraformEngine, find_binary, terraform_usable
from harness.errors import ConfigError

ENGINE_NAMES = ("static", "terraform", "recorded", "auto")


def make_engine(name: str, *, plans_dir: str | Path | None = None,
                binary: str | os.PathLike[str] | None = None,
                component_dirs: Sequence[str | Path] = ()) -> tuple[Engine, str]:
    """The engine called ``name`` and a one-line reason (which engine ``auto`` chose and why)."""
    if name == "auto":
        name, reason = choose_engine(component_dirs, binary)
    else:
        reason = f"--engine {name}"
    if name == "static":
        return StaticEngine(), reason
    if name == "terraform":
        return TerraformEngine(binary, required=required_versions(component_dirs)), reason
    if name == "recorded":
        if plans_dir is None:
            raise ConfigError("the recorded engine needs --plans-dir DIR (or a plan JSON file)")
        return RecordedEngine(plans_dir), reason
    raise ConfigError(f"unknown engine {name!r} (choose from {', '.join(ENGINE_NAMES)})")


__all__ = [
    "ENGINE_NAMES",
    "BatchEngine",
    "CachedEngine",
    "Engine",
    "PlanCache",
    "PlanRequest",
    "RecordedEngine",
    "StaticEngine",
    "TerraformEngine",
    "cache_key",
    "choose_engine",
    "component_folders",
    "components_terraform",
    "find_binary",
    "load_plan_file",
    "make_engine",
    "plan_from_json",
    "real_terraform_gap",
    "required_versions",
    "terraform_usable",
]
