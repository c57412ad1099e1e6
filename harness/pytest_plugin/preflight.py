"""Resolve the stacks once, before any test is collected, and end a broken run with one line.

A stack or configuration error (a missing import, a template error, a stack name that cannot be
resolved, a bad ``settings.harness.fail_on``) ends the run as a usage error: pytest prints
``ERROR: harness: FILE:LINE: message`` and exits 4. It runs in the controller before xdist starts its
workers, so the message appears once, with no traceback, whatever ``-n`` is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.pytest_plugin.state import REPORT_KEY, asks_for_harness, harness_session, is_worker, repository_found


def _stack_error(config: pytest.Config) -> str | None:
    """The first reason the repository cannot be tested, or None."""
    from harness.check import unnamed_stacks

    harness = harness_session(config)
    try:
        harness.selected  # noqa: B018 - resolves every stack
        unnamed = unnamed_stacks(harness.resolver)
        if unnamed:
            return str(unnamed[0])
        harness.fail_on  # noqa: B018 - validates settings.harness.fail_on
    except HarnessError as exc:
        return _relative(exc, Path(str(config.invocation_params.dir)))
    return None


def _relative(exc: HarnessError, cwd: Path) -> str:
    """``FILE:LINE: message`` with FILE relative to where pytest was started, when it lies below it."""
    if exc.file is None:
        return str(exc)
    try:
        file = str(Path(exc.file).resolve().relative_to(cwd.resolve()))
    except ValueError:
        file = exc.file
    return str(HarnessError(exc.message, file=file, line=exc.line))


def _write_usage_error_report(config: pytest.Config) -> None:
    """Replace any earlier report at the path: a gate must not judge a stale one after this run failed."""
    builder = config.stash.get(REPORT_KEY, None)
    path = config.getoption("harness_report")
    if builder is None or not path:
        return
    from harness.pytest_plugin.reporting import run_facts

    builder.set_run(**run_facts(config, exit_status=int(pytest.ExitCode.USAGE_ERROR)))
    builder.write(Path(path))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if is_worker(config) or not (repository_found(config) or asks_for_harness(config)):
        return
    message = _stack_error(config)
    if message is not None:
        _write_usage_error_report(config)
        raise pytest.UsageError(f"harness: {message}")
