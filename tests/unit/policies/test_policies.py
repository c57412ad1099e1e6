"""Every policy the stack selects, on every deployable instance: no unwaived failure, no expired waiver."""

from __future__ import annotations

import pytest

from harness.atmos import Instance
from harness.policy import PolicyResult

pytestmark = pytest.mark.component("*")


def test_policies(policy_result: PolicyResult, instance: Instance) -> None:
    assert not policy_result.errors, "\n".join(policy_result.errors)
    failures = [f"{f.severity}: {f.policy}: {f.address} ({f.source}): {f.message}" for f in policy_result.failures]
    assert not failures, f"{instance.id}:\n" + "\n".join(failures)
