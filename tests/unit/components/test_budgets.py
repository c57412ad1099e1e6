"""Budgets: the stack's monthly limit, every notification threshold, and anomaly alerts."""

from __future__ import annotations

import pytest

from harness.atmos import Instance
from harness.plan import Plan

pytestmark = pytest.mark.component("budgets")


def test_monthly_cost_budget_with_the_stack_limit(plan: Plan, instance: Instance) -> None:
    budget = plan.resource("aws_budgets_budget.monthly").values
    assert budget["budget_type"] == "COST" and budget["time_unit"] == "MONTHLY"
    assert float(budget["limit_amount"]) == float(instance.vars["monthly_limit_amount"])


def test_every_threshold_notifies(plan: Plan, instance: Instance) -> None:
    notes = plan.resource("aws_budgets_budget.monthly").values["notification"]
    planned = sorted((n["notification_type"], float(n["threshold"]), tuple(sorted(n["subscriber_email_addresses"])))
                     for n in notes)
    wanted = sorted((n["notification_type"], float(n["threshold_percent"]), tuple(sorted(n["emails"])))
                    for n in instance.vars["notifications"])
    assert planned == wanted and planned


def test_anomaly_monitor_and_subscription(plan: Plan, instance: Instance) -> None:
    assert plan.resource("aws_ce_anomaly_monitor.services").values["monitor_dimension"] == "SERVICE"
    subscription = plan.resource("aws_ce_anomaly_subscription.this").values
    assert subscription["frequency"] == instance.vars["anomaly_frequency"]
