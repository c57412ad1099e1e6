"""GuardDuty: enabled, with exactly the protection features the stack asks for."""

from __future__ import annotations

import pytest

from harness.atmos import Instance
from harness.plan import Plan

pytestmark = pytest.mark.component("guardduty")


def test_detector_enabled(plan: Plan, instance: Instance) -> None:
    detector = plan.resource("aws_guardduty_detector.this").values
    assert detector["enable"] is True
    assert detector["finding_publishing_frequency"] == instance.vars["finding_publishing_frequency"]


def test_features_follow_the_stack(plan: Plan, instance: Instance) -> None:
    planned = {f.values["name"]: f.values["status"] for f in plan.resources(type="aws_guardduty_detector_feature")}
    wanted = {name: "ENABLED" if on else "DISABLED" for name, on in instance.vars["features"].items()}
    assert planned == wanted
