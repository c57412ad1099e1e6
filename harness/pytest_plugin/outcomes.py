"""Test outcomes the harness shapes: undetermined checks (skipped, or failed with --strict-unknowns) and
the harness section of a failure (resource addresses, ``.tf`` locations, the stack manifest, and for each
attribute the test read the stack vars feeding it with the manifest file:line that set them)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from harness.errors import HarnessError
from harness.masking import mask_test_report
from harness.plan import AttributeRead, Plan, Resource, Undetermined, focus, record_reads
from harness.pytest_plugin.state import CALL_PROPERTIES_KEY, harness_session

_READS_KEY = pytest.StashKey[list[AttributeRead]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """A component test's body runs while the plan model notes which resource attributes it reads."""
    if "harness_instance_id" not in getattr(item, "fixturenames", ()):
        return (yield)
    with record_reads() as reads:
        try:
            return (yield)
        finally:
            item.stash[_READS_KEY] = list(reads)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call":
        extra: list[tuple[str, Any]] = item.stash.get(CALL_PROPERTIES_KEY, [])
        report.user_properties.extend(extra)
    if call.excinfo is not None and call.excinfo.errisinstance(Undetermined):
        message = str(call.excinfo.value)
        if not item.config.getoption("harness_strict_unknowns"):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, message)
        # the summary is written where reports arrive (the controller under xdist)
        report.user_properties.append(("harness_undetermined", f"{item.nodeid}: {message}"))
    funcargs: dict[str, Any] = getattr(item, "funcargs", {})
    if report.failed and call.when == "call" and "harness_instance_id" in funcargs:
        session = harness_session(item.config)
        instance_id = str(funcargs["harness_instance_id"])
        try:
            folder = session.resolver.config.relative(session.instance(instance_id).component_path)
        except HarnessError:
            folder = ""
        plan = funcargs.get("plan")
        recorded: list[AttributeRead] = item.stash.get(_READS_KEY, [])
        reads = focus(recorded, failing_statement(item, call))
        read_resources = [r for a in dict.fromkeys(r.address for r in reads)
                          for r in (plan.resources(a) if isinstance(plan, Plan) else [])]
        lines = resources_in_failure(call, folder, read_resources)
        try:
            lines.append(session.describe_for_failure(instance_id))
        except HarnessError as exc:
            lines.append(f"(no instance context: {exc})")
        lines.extend(attributes_in_failure(item, instance_id, reads, plan))
        report.sections.append(("harness", "\n".join(lines)))
    mask_test_report(report)  # before the terminal, --junitxml, xdist and the harness report see it
    return report


def resources_in_failure(call: pytest.CallInfo[None], folder: str, read: list[Resource] | None = None) -> list[str]:
    """Addresses and ``.tf`` locations of the plan resources the failing test was looking at (held in its
    frames' variables, or ``read``: those whose attributes it read)."""
    if call.excinfo is None:
        return []
    found: dict[str, str] = {}
    for values in [list(read or [])] + [list(e.frame.f_locals.values()) for e in call.excinfo.traceback]:
        for value in values:
            candidates = value if isinstance(value, (list, tuple)) else [value]
            for candidate in candidates[:50]:
                if isinstance(candidate, Resource):
                    source = str(candidate.source or "")
                    where = f"{folder}/{source}" if source and folder else source
                    found.setdefault(candidate.address, where)
    return [f"resource {address}" + (f" ({source})" if source else "") for address, source in sorted(found.items())]


def failing_statement(item: pytest.Item, call: pytest.CallInfo[None]) -> str | None:
    """The source of the test's own statement that failed (its deepest traceback entry in the test file)."""
    if call.excinfo is None:
        return None
    for entry in reversed(call.excinfo.traceback):
        if str(entry.path) == str(item.path):
            try:
                return str(entry.statement)
            except Exception:  # noqa: BLE001 - source not available (generated code): no narrowing
                return None
    return None


def attributes_in_failure(item: pytest.Item, instance_id: str, reads: list[AttributeRead], plan: Any) -> list[str]:
    """The attributes the failing statement read, each with the stack vars and manifest lines behind it."""
    if not reads:
        return []
    try:
        return harness_session(item.config).attribute_provenance(
            instance_id, reads, plan if isinstance(plan, Plan) else None)
    except Exception as exc:  # noqa: BLE001 - the section must never turn a failure into an internal error
        return [f"(no attribute provenance: {exc})"]
