# GuardDuty detector with protection plans managed as detector features.

locals {
  id = join("-", [var.namespace, var.tenant, var.environment, var.stage, "guardduty"])

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

resource "aws_guardduty_detector" "this" {
  enable                       = true
  finding_publishing_frequency = var.finding_publishing_frequency

  tags = local.tags
}

resource "aws_guardduty_detector_feature" "this" {
  for_each = var.features

  detector_id = aws_guardduty_detector.this.id
  name        = each.key
  status      = each.value ? "ENABLED" : "DISABLED"

  # Agent management settings only exist for runtime monitoring.
  dynamic "additional_configuration" {
    for_each = each.key == "RUNTIME_MONITORING" ? var.runtime_monitoring_additional_configuration : {}
    content {
      name   = additional_configuration.key
      status = additional_configuration.value ? "ENABLED" : "DISABLED"
    }
  }
}
