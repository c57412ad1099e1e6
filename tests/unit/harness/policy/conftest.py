"""Builders for the policy tests: resources from addresses, plans, contexts, one-policy runs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from harness.plan import Deferred, Plan, Resource, SourceLocation, Unknown
from harness.policy import PolicyContext, PolicyResult, Registry, default_registry, evaluate
from harness.policy.helpers import parse_ref
from harness.policy.settings import PolicySettings

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2026, 3, 1)


def U(ref: str | None = None, reason: str = "known after apply") -> Unknown:
    """An unknown value, as the static engine writes it (``ref`` names its source)."""
    return Unknown(reason, ref)


def res(address: str, values: Mapping[str, Any] | None = None, *, line: int = 10,
        file: str = "main.tf", actions: tuple[str, ...] = ("create",)) -> Resource:
    """A resource from its address: ``module.a.aws_s3_bucket.b["k"]`` gives module, type, name, index."""
    target = parse_ref(address)
    assert target is not None, address
    index: int | str | None = None
    if target.key:
        index = json.loads(target.key[1:-1])
    return Resource(address=address, mode=target.mode, type=target.type, name=target.name, index=index,
                    module_address=target.module or None, actions=actions, values=dict(values or {}),
                    source=SourceLocation(file, line))


def plan(*resources: Resource, stack: str = "acme-ue1-prod", component: str = "c",
         unexpanded: tuple[Deferred, ...] = ()) -> Plan:
    """A static-engine-like plan of ``resources``."""
    return Plan(stack=stack, component=component, engine="static", complete=False, resources=resources,
                unexpanded=unexpanded)


def ctx(settings: Mapping[str, Any] | None = None, *, stack: str = "acme-ue1-prod", component: str = "c",
        vars: Mapping[str, Any] | None = None, **kwargs: Any) -> PolicyContext:
    """A context; ``settings`` is the instance's whole settings section."""
    return PolicyContext(stack=stack, component=component, settings=dict(settings or {}),
                         vars=dict(vars or {"stage": "prod"}), **kwargs)


def run(policy_id: str, the_plan: Plan, context: PolicyContext | None = None, **params: Any) -> PolicyResult:
    """Evaluate one policy with ``params`` overriding its defaults."""
    context = context or ctx(stack=the_plan.stack, component=the_plan.component)
    settings = PolicySettings(params={policy_id: params} if params else {})
    return evaluate(the_plan, context, [policy_id], today=TODAY, settings=settings)


def outcomes(result: PolicyResult) -> set[tuple[str, str, str | None]]:
    """(outcome, policy, address) of every finding."""
    return {(str(f.outcome), f.policy, f.address) for f in result.findings}


def failed(result: PolicyResult) -> set[str | None]:
    """Addresses of the failures."""
    assert not result.errors, result.errors
    return {f.address for f in result.failures}


def undetermined_at(result: PolicyResult) -> set[str | None]:
    """Addresses of the undetermined findings."""
    assert not result.errors, result.errors
    return {f.address for f in result.undetermined}


@pytest.fixture
def registry() -> Iterator[Registry]:
    """A private registry holding the built-in policies (tests may add their own)."""
    yield Registry(default_registry())
