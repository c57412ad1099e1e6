"""The session: plans are made in batches of the group the first requested instance belongs to."""

from __future__ import annotations

from pathlib import Path

from harness.session import HarnessSession, SessionOptions
from tests.unit.harness.conftest import REPO


def test_the_first_request_plans_its_group_and_nothing_else(tmp_path: Path) -> None:
    session = HarnessSession(SessionOptions(base_path=REPO, engine="static", cache=str(tmp_path / "plans")))
    try:
        a, b, c, *rest = session.selected
        session.plan_groups = {a.id: "one", b.id: "one", c.id: "two"}
        session.plan(a)
        assert session.cache is not None and session.cache.misses == 2  # a and b, in one batch
        session.plan(b)
        assert session.cache.misses == 2
        session.plan(c)
        assert session.cache.misses == 3
        session.plan(rest[0])  # in no group: planned alone
        assert session.cache.misses == 4
        session.plan_groups = None  # one group of every selected instance
        session.plan(rest[1])
        assert session.cache.misses == len(session.selected)
    finally:
        session.close()
