"""The real checkov binary the checkov tests run, or why they are skipped.

checkov cannot share the harness's environment (its ``bc-python-hcl2`` replaces ``python-hcl2``), so it lives
in its own: ``$HARNESS_TEST_CHECKOV`` (what ``nox -s tests`` sets, so the rest of the suite runs without it),
else ``$HARNESS_CHECKOV``, else ``checkov`` on PATH.
"""

from __future__ import annotations

import os
import shlex
import shutil

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
    found = shutil.which("checkov")
    if found is None:
        pytest.skip("checkov is not installed: set HARNESS_TEST_CHECKOV (or HARNESS_CHECKOV) to a checkov 3.3 in "
                    "its own venv, e.g. python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install "
                    "'checkov==3.3.*'")
    return found
