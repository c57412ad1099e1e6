"""Output that no test report carries is masked too: prints under ``-s`` and pytest's live and file logs.

Reports are masked in ``outcomes``; this covers what pytest writes straight to the terminal or a log file.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from harness.masking import MaskingLogFilter, MaskingStream

_SAVED: list[tuple[str, Any]] = []


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("capture", "fd") == "no":
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, MaskingStream):
                _SAVED.append((name, stream))
                setattr(sys, name, MaskingStream(stream))
    logging_plugin = config.pluginmanager.get_plugin("logging-plugin")
    for attr in ("log_cli_handler", "log_file_handler", "caplog_handler", "report_handler"):
        handler = getattr(logging_plugin, attr, None)
        if handler is not None and not any(isinstance(f, MaskingLogFilter) for f in handler.filters):
            handler.addFilter(MaskingLogFilter())


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    while _SAVED:
        name, stream = _SAVED.pop()
        current = getattr(sys, name)
        if isinstance(current, MaskingStream):
            current.flush()
            setattr(sys, name, stream)
