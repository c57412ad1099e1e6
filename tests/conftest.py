"""The project's own tests do not depend on whether checkov happens to be installed.

Installed with the ``checkov`` extra, checkov sits beside the interpreter and ``harness check`` would run it
everywhere; only the checkov tests ask for it (``checkov_bin.checkov_or_skip`` passes its command on).
A ``$HARNESS_CHECKOV`` the caller set is kept for them as ``$HARNESS_TEST_CHECKOV``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from harness.policy.checkov_run import ENV, OFF


@pytest.fixture(autouse=True)
def _checkov_only_where_asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    chosen = os.environ.get(ENV, "").strip()
    if chosen and chosen.lower() not in OFF and not os.environ.get("HARNESS_TEST_CHECKOV"):
        monkeypatch.setenv("HARNESS_TEST_CHECKOV", chosen)
    monkeypatch.setenv(ENV, "off")
    yield
