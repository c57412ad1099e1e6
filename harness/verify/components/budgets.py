"""budgets: the monthly cost budget with the stack's limit and notifications (and their subscribers),
and the Cost Explorer anomaly monitor and subscription."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from harness.verify.context import Checker, safe_call

COMPONENT = "budgets"


def _amount(value: Any) -> str:
    """Budgets return amounts as text ("2000.0"); compare them as normalized decimals."""
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except (InvalidOperation, ValueError):
        return str(value)


def validate(ctx: Checker) -> None:
    budgets = ctx.client("budgets", region="us-east-1")
    account = ctx.account.account_id
    name = str(ctx.output("budget_name") or f"{ctx.name()}-monthly")

    def find() -> dict[str, Any] | None:
        found = safe_call(lambda: budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"], missing=None)
        return dict(found) if found else None

    ctx.exists("budgets.budget", f"budget {name}", find, label=lambda b: str(b.get("BudgetName")))
    need = "budgets.budget"

    def limit() -> dict[str, Any]:
        budget = ctx.read("budget", lambda: budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"])
        return {"amount": _amount((budget.get("BudgetLimit") or {}).get("Amount")),
                "unit": (budget.get("BudgetLimit") or {}).get("Unit"), "time_unit": budget.get("TimeUnit"),
                "type": budget.get("BudgetType")}

    ctx.check("budgets.limit", lambda: {"amount": _amount(ctx.var("monthly_limit_amount")),
                                        "unit": ctx.var("currency"), "time_unit": "MONTHLY", "type": "COST"},
              limit, needs=need)

    def wanted() -> list[dict[str, Any]]:
        return [dict(n) for n in ctx.var("notifications") or []]

    def key(kind: Any, threshold: Any) -> str:
        return f"{kind} > {_amount(threshold)}%"

    def notifications() -> list[str]:
        found = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=name).get("Notifications")
        return sorted(f"{key(n.get('NotificationType'), n.get('Threshold'))} {n.get('ComparisonOperator')} "
                      f"{n.get('ThresholdType')}" for n in found or [])

    ctx.check("budgets.notifications",
              lambda: sorted(f"{key(n['notification_type'], n['threshold_percent'])} GREATER_THAN PERCENTAGE"
                             for n in wanted()), notifications, needs=need)

    def subscribers() -> dict[str, list[str]]:
        out = {}
        for n in wanted():
            notification = {"NotificationType": n["notification_type"], "ComparisonOperator": "GREATER_THAN",
                            "Threshold": float(n["threshold_percent"]), "ThresholdType": "PERCENTAGE"}
            found = budgets.describe_subscribers_for_notification(AccountId=account, BudgetName=name,
                                                                  Notification=notification).get("Subscribers")
            out[key(n["notification_type"], n["threshold_percent"])] = sorted(
                str(s.get("Address")) for s in found or [] if s.get("SubscriptionType") == "EMAIL")
        return out

    ctx.check("budgets.subscribers",
              lambda: {key(n["notification_type"], n["threshold_percent"]): sorted(n["emails"]) for n in wanted()},
              subscribers, needs="budgets.notifications")

    ce = ctx.client("ce", region="us-east-1")
    monitor_name = f"{ctx.name()}-services"

    def monitors() -> list[dict[str, Any]]:
        found = ce.get_anomaly_monitors().get("AnomalyMonitors") or []
        return [{"name": m.get("MonitorName"), "type": m.get("MonitorType"), "dimension": m.get("MonitorDimension")}
                for m in found if m.get("MonitorName") == monitor_name]

    ctx.check("budgets.anomaly_monitor", [{"name": monitor_name, "type": "DIMENSIONAL", "dimension": "SERVICE"}],
              monitors)

    def subscriptions() -> list[dict[str, Any]]:
        found = ce.get_anomaly_subscriptions().get("AnomalySubscriptions") or []
        return [{"frequency": s.get("Frequency"),
                 "subscribers": sorted(str(x.get("Address")) for x in s.get("Subscribers") or [])}
                for s in found if s.get("SubscriptionName") == f"{ctx.name()}-anomalies"]

    ctx.check("budgets.anomaly_subscription",
              lambda: [{"frequency": ctx.var("anomaly_frequency"),
                        "subscribers": sorted(ctx.var("anomaly_subscriber_emails") or [])}],
              subscriptions)
