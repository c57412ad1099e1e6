"""What a run tells: the header line, the JSON report (with the run's commit and soundness) and the summary.

Everything here runs where the reports arrive: in the controller under xdist (workers ship each phase
report with its user properties), in the one process otherwise. So the header, the undetermined and
contract-warning summaries and the report are written once, also with ``-n``.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness import __version__
from harness.errors import HarnessError
from harness.masking import mask_text
from harness.pytest_plugin.state import (
    COLLECTION_ERRORS_KEY,
    CONTRACT_WARNINGS_KEY,
    REPORT_KEY,
    SESSION_KEY,
    UNDETERMINED_KEY,
    is_worker,
    item_key,
)

if TYPE_CHECKING:
    from harness.report import ReportBuilder

_BUILDER: list[ReportBuilder | None] = [None]
_DURATIONS: list[tuple[str, float]] = []


def pytest_report_header(config: pytest.Config) -> str | None:
    """The engine, binary, stacks and instances of the run (resolved by the preflight; once, also with -n)."""
    harness = config.stash.get(SESSION_KEY, None)
    if harness is None or not harness.used:
        return None
    try:
        return harness.header()
    except HarnessError as exc:
        return f"harness: {exc}"


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _DURATIONS.append((report.nodeid, report.duration))
    props: dict[str, Any] = dict(report.user_properties)
    config = _CONFIG[0]
    if config is not None:
        for name, key in (("harness_undetermined", UNDETERMINED_KEY), ("harness_contract_warnings",
                                                                       CONTRACT_WARNINGS_KEY)):
            value = props.get(name)
            if value:
                config.stash[key].extend([value] if isinstance(value, str) else list(value))
    builder = _BUILDER[0]
    if builder is None:
        return
    from harness.report.collect import record_phase, split_instance

    instance = props.get("harness_instance")
    stack, component = split_instance(str(instance) if instance else None)
    kind = props.get("harness_kind")
    record_phase(builder, report, stack=stack, component=component, kind=str(kind) if kind else None)
    if report.when != "call":
        return
    if "harness_engine" in props and props.get("harness_instance"):
        builder.set_engine(str(props["harness_instance"]), str(props["harness_engine"]))
    builder.add_findings(list(props.get("harness_findings") or []))
    builder.add_waivers(list(props.get("harness_waivers") or []))


_CONFIG: list[pytest.Config | None] = [None]


def pytest_collectreport(report: pytest.CollectReport) -> None:
    config = _CONFIG[0]
    if report.failed and config is not None:
        config.stash[COLLECTION_ERRORS_KEY].append(report.nodeid)


def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG[0] = session.config
    _BUILDER[0] = session.config.stash.get(REPORT_KEY, None)


def run_facts(config: pytest.Config, *, exit_status: int) -> dict[str, Any]:
    """The report's ``run`` facts: the commit tested and whether the run itself was sound."""
    from harness.report.checkout import read_checkout

    harness = config.stash.get(SESSION_KEY, None)
    where = Path(str(config.rootpath))
    fail_on = None
    if harness is not None and harness.used:
        try:
            where = harness.resolver.config.base_path
            fail_on = harness.fail_on
        except HarnessError:
            fail_on = None
    checkout = read_checkout(where)
    return {**checkout.to_json(), "exit_status": exit_status,
            "usage_error": exit_status == int(pytest.ExitCode.USAGE_ERROR),
            "interrupted": exit_status in (int(pytest.ExitCode.INTERRUPTED), int(pytest.ExitCode.INTERNAL_ERROR)),
            "collection_errors": len(config.stash.get(COLLECTION_ERRORS_KEY, [])), "fail_on": fail_on}


def _write_report(session: pytest.Session, exitstatus: int) -> None:
    builder = session.config.stash.get(REPORT_KEY, None)
    path = session.config.getoption("harness_report")
    if builder is None or not path:
        return
    harness = session.config.stash.get(SESSION_KEY, None)
    environment: dict[str, Any] = {"harness": __version__, "python": platform.python_version()}
    if harness is not None and harness.used:
        try:
            engine = harness.engine[0]
            environment["engine"] = engine.name
            environment["terraform"] = getattr(engine, "version", None)
            environment["base_path"] = str(harness.resolver.config.base_path)
        except HarnessError:
            pass
    builder.set_environment(environment)
    builder.set_run(**run_facts(session.config, exit_status=int(exitstatus)))
    builder.write(Path(path))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"harness: report written to {path}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _write_report(session, exitstatus)
    _BUILDER[0] = None
    path = session.config.getoption("harness_store_durations")
    if not path or is_worker(session.config):
        return
    by_key: dict[str, float] = {}
    keys = {item.nodeid: item_key(item)[0] for item in session.items}
    for nodeid, seconds in _DURATIONS:
        key = keys.get(nodeid, nodeid)
        by_key[key] = by_key.get(key, 0.0) + seconds
    Path(path).write_text(json.dumps(dict(sorted(by_key.items())), indent=1))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    warnings = config.stash.get(CONTRACT_WARNINGS_KEY, [])
    if warnings:
        terminalreporter.section("harness: contract warnings (not fatal, as in Terraform)")
        for line in warnings[:50]:
            terminalreporter.write_line(mask_text(line))
        more = f" ({len(warnings) - 50} not shown)" if len(warnings) > 50 else ""
        terminalreporter.write_line(f"{len(warnings)} contract warning(s){more}")
    undetermined = config.stash.get(UNDETERMINED_KEY, [])
    if undetermined:
        strict = config.getoption("harness_strict_unknowns")
        terminalreporter.section("harness: undetermined checks")
        for line in undetermined[:50]:
            terminalreporter.write_line(mask_text(line))
        verdict = "failed (--strict-unknowns)" if strict else "skipped"
        terminalreporter.write_line(f"{len(undetermined)} undetermined ({verdict})")
