"""The fixtures a component test uses, and the ``component`` marker that runs it once per stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harness.errors import HarnessError
from harness.pytest_plugin.builtins import CheckFailed, plan_or_fail, record_policy_result
from harness.pytest_plugin.state import harness_session as _session

if TYPE_CHECKING:
    from harness.atmos import Instance, Resolver
    from harness.plan import Plan
    from harness.policy import PolicyResult
    from harness.session import HarnessSession


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("component")
    if marker is None:
        return
    if not marker.args or not isinstance(marker.args[0], str):
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: use @pytest.mark.component('<name>')")
    if "harness_instance_id" not in metafunc.fixturenames:
        return  # a test in a marked module that needs no instance runs once
    session = _session(metafunc.config)
    try:
        instances = session.instances_of(marker.args[0])
    except HarnessError as exc:
        raise pytest.UsageError(f"harness: {exc}") from None
    per_stack: dict[str, int] = {}
    for inst in instances:
        per_stack[inst.stack] = per_stack.get(inst.stack, 0) + 1
    metafunc.parametrize(
        "harness_instance_id",
        [i.id for i in instances],
        ids=[i.stack if per_stack[i.stack] == 1 else f"{i.stack}:{i.component}" for i in instances],
        indirect=True,
    )


@pytest.fixture
def harness_instance_id(request: pytest.FixtureRequest) -> str:
    """The ``stack/component`` a component test runs for (set by the ``component`` marker)."""
    param = getattr(request, "param", None)
    if param is None:
        raise pytest.UsageError(f"{request.node.nodeid}: 'instance'/'plan' need @pytest.mark.component('<name>')")
    request.node.user_properties.append(("harness_instance", str(param)))
    return str(param)


@pytest.fixture(scope="session")
def harness_session(request: pytest.FixtureRequest) -> HarnessSession:
    """The session object: resolver, engine, plan cache."""
    return _session(request.config)


@pytest.fixture(scope="session")
def stacks(harness_session: HarnessSession) -> Resolver:
    """The stack resolver for the repository under test."""
    return harness_session.resolver


@pytest.fixture
def instance(harness_session: HarnessSession, harness_instance_id: str) -> Instance:
    """The resolved instance (vars, settings, env, backend, workspace, ...) of this test's stack."""
    return harness_session.instance(harness_instance_id)


@pytest.fixture
def plan(harness_session: HarnessSession, instance: Instance) -> Plan:
    """The instance's plan from the selected engine (cached on disk).

    Inputs Terraform would reject (a missing required var, a wrong type, a failed ``validation``) are not
    planned: the test fails with the contract errors, each naming the manifest and the ``.tf`` file and line.
    """
    try:
        return plan_or_fail(harness_session, instance)
    except CheckFailed as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)  # outside the except: no "during handling" chain in the report


@pytest.fixture
def policy_result(harness_session: HarnessSession, instance: Instance, plan: Plan,
                  request: pytest.FixtureRequest) -> PolicyResult:
    """The instance's policy evaluation (waivers applied); findings and waivers go into the report."""
    result = harness_session.policies(instance, plan)
    record_policy_result(request.node, plan, result)
    return result


@pytest.fixture
def component(harness_session: HarnessSession, instance: Instance) -> Any:
    """The component's parsed Terraform (variables, outputs, resources, providers, versions)."""
    return harness_session.component(instance)
