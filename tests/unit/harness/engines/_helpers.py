"""Helpers for the engine tests: small real components under fixtures/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.engines.base import PlanRequest

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT = "111122223333"
REGION = "eu-west-1"


def request(component: str | Path, variables: dict[str, Any] | None = None, *, stack: str = "core-euw1-dev",
            region: str | None = REGION, account_id: str | None = ACCOUNT) -> PlanRequest:
    """A PlanRequest for a fixture component (or any directory)."""
    directory = Path(component) if isinstance(component, Path) else FIXTURES / component
    return PlanRequest(stack=stack, component=directory.name, component_dir=directory,
                       variables=variables or {}, region=region, account_id=account_id)
