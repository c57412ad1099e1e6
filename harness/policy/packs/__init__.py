"""The built-in policy packs, one module per area; ``load`` (re)imports them into the active registry."""

from __future__ import annotations

import importlib
import sys

MODULES = (
    "harness.policy.packs.network",
    "harness.policy.packs.iam",
    "harness.policy.packs.storage",
    "harness.policy.packs.detection",
    "harness.policy.packs.cost",
    "harness.policy.packs.secrets",
    "harness.policy.packs.services",
    "harness.policy.packs.workloads",
    "harness.policy.packs.edge",
    "harness.policy.packs.data_services",
)


def load() -> None:
    """Register every built-in policy into the active registry (re-running the decorators if imported before)."""
    for name in MODULES:
        module = sys.modules.get(name)
        if module is None:
            importlib.import_module(name)
        else:
            importlib.reload(module)
