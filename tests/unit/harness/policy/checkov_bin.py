"""The real checkov binary the checkov tests run, or why they are skipped.

``$HARNESS_TEST_CHECKOV`` (what ``nox -s tests`` sets, so the rest of the suite runs without it), else
``$HARNESS_CHECKOV``, else the ``checkov`` the ``checkov`` extra put beside this Python, else ``checkov`` on PATH.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from harness.policy.checkov_run import OFF


def checkov_or_skip() -> str:
    """The checkov command line (for ``HARNESS_CHECKOV``); skips the test when checkov is not installed."""
    for name in ("HARNESS_TEST_CHECKOV", "HARNESS_CHECKOV"):
        value = os.environ.get(name, "").strip()
        if value and value.lower() not in OFF:
            if shutil.which(shlex.split(value)[0]) is None:
                pytest.skip(f"${name} is {value!r}, which is not an executable")
            return value
    beside = Path(sys.executable).parent / "checkov"
    found = str(beside) if beside.is_file() and os.access(beside, os.X_OK) else shutil.which("checkov")
    if found is None:
        pytest.skip("checkov is not installed: set HARNESS_TEST_CHECKOV (or HARNESS_CHECKOV) to a checkov 3.3 in "
                    "its own venv, or install the harness with its checkov extra (pip install -e '.[checkov]')")
    return found
