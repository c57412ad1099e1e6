"""From pytest's per-phase test reports to report outcomes, for the plugin to call from its hooks.

Duck-typed on purpose (no pytest import in the library): ``record_phase`` reads the attributes
every ``pytest.TestReport`` has (``nodeid``, ``when``, ``outcome``, ``duration``, ``longrepr``,
``longreprtext``, ``wasxfail``). Each phase is recorded; the builder keeps a test's worse outcome and
adds up its phase durations, so a teardown error after a passing call is an ``error``.
"""

from __future__ import annotations

from typing import Any

from harness.report.model import ReportBuilder

UNDETERMINED_MARK = "undetermined:"


def _skip_reason(longrepr: Any) -> str:
    """The message of a skip: pytest stores ``(path, line, "Skipped: reason")``."""
    message = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return message.removeprefix("Skipped: ").strip()


def _failure_reason(report: Any) -> str:
    """The exception line of a failure (``AssertionError: ...``), else the last line of the traceback."""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    message = getattr(crash, "message", None)
    if message and str(message).strip():
        return str(message).strip().splitlines()[0]
    text = str(getattr(report, "longreprtext", "") or "").strip()
    return text.splitlines()[-1] if text else ""


def classify(report: Any) -> tuple[str, str | None, str | None]:
    """(outcome, reason, longrepr text) of one phase report.

    setup/teardown failures are ``error``; a skip whose reason carries ``undetermined:`` (what the
    harness plugin turns an ``Undetermined`` into) is ``undetermined``; an expected failure is
    ``skipped``; an unexpected pass of a non-strict xfail is ``passed``.
    """
    when = str(getattr(report, "when", "call"))
    outcome = str(getattr(report, "outcome", "passed"))
    wasxfail = getattr(report, "wasxfail", None)
    if outcome == "failed":
        text = str(getattr(report, "longreprtext", "") or "") or None
        return ("failed" if when == "call" else "error"), _failure_reason(report) or None, text
    if outcome == "skipped":
        if wasxfail is not None:
            return "skipped", f"xfail: {wasxfail}" if wasxfail else "xfail", None
        reason = _skip_reason(getattr(report, "longrepr", None))
        first = reason.splitlines()[0] if reason else ""
        if UNDETERMINED_MARK in first:
            return "undetermined", reason, None
        return "skipped", reason or None, None
    return "passed", None, None


def record_phase(builder: ReportBuilder, report: Any, *, stack: str | None = None,
                 component: str | None = None, kind: str | None = None) -> str:
    """Add one phase report to ``builder`` (call it from ``pytest_runtest_logreport``); returns the outcome.

    ``kind``: what a built-in item checked (policies, contracts, validators), None for any other test.
    """
    outcome, reason, longrepr = classify(report)
    builder.add_test(str(report.nodeid), stack=stack, component=component, outcome=outcome, reason=reason,
                     duration=float(getattr(report, "duration", 0.0) or 0.0), longrepr=longrepr, kind=kind)
    return outcome


def split_instance(instance: str | None) -> tuple[str | None, str | None]:
    """``"stack/component"`` -> (stack, component); None -> (None, None)."""
    if not instance:
        return None, None
    stack, _, component = instance.partition("/")
    return (stack, component) if component else (None, None)
