# Monthly cost budget with threshold notifications, plus Cost Explorer anomaly
# detection per AWS service.

locals {
  id = join("-", [var.namespace, var.tenant, var.environment, var.stage, var.name])

  # Tags carried by every resource; var.tags (CostCenter, Team, ...) are merged last.
  default_tags = merge({
    Namespace   = var.namespace
    Tenant      = var.tenant
    Environment = var.environment
    Stage       = var.stage
    ManagedBy   = "terraform"
  }, var.tags)

  tags = merge(local.default_tags, { Name = local.id })
}

resource "aws_budgets_budget" "monthly" {
  name         = "${local.id}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_limit_amount)
  limit_unit   = var.currency
  time_unit    = "MONTHLY"

  dynamic "notification" {
    for_each = var.notifications
    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold_percent
      threshold_type             = "PERCENTAGE"
      notification_type          = notification.value.notification_type
      subscriber_email_addresses = notification.value.emails
    }
  }

  tags = merge(local.tags, { Name = "${local.id}-monthly" })
}

# One dimensional monitor per account: anomalies are evaluated per service.
resource "aws_ce_anomaly_monitor" "services" {
  name              = "${local.id}-services"
  monitor_type      = "DIMENSIONAL"
  monitor_dimension = "SERVICE"

  tags = merge(local.tags, { Name = "${local.id}-services" })
}

resource "aws_ce_anomaly_subscription" "this" {
  name             = "${local.id}-anomalies"
  frequency        = var.anomaly_frequency
  monitor_arn_list = [aws_ce_anomaly_monitor.services.arn]

  dynamic "subscriber" {
    for_each = toset(var.anomaly_subscriber_emails)
    content {
      type    = "EMAIL"
      address = subscriber.value
    }
  }

  threshold_expression {
    dimension {
      key           = "ANOMALY_TOTAL_IMPACT_ABSOLUTE"
      match_options = ["GREATER_THAN_OR_EQUAL"]
      values        = [tostring(var.anomaly_threshold_amount)]
    }
  }

  tags = merge(local.tags, { Name = "${local.id}-anomalies" })
}
