# Security Hub with consolidated control findings and the standards chosen by
# the stack.

locals {
  # Security Hub resources take no tags; the provider's default_tags carry these
  # for anything added later. var.tags (CostCenter, Team, ...) are merged last.
  default_tags = merge({
    Namespace   = var.namespace
    Tenant      = var.tenant
    Environment = var.environment
    Stage       = var.stage
    ManagedBy   = "terraform"
  }, var.tags)

  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name

  # Standard name => subscription ARN in this partition and region.
  standards_arns = {
    "aws-foundational-security-best-practices" = "arn:${local.partition}:securityhub:${local.region}::standards/aws-foundational-security-best-practices/v/1.0.0"
    "cis-aws-foundations-benchmark"            = "arn:${local.partition}:securityhub:${local.region}::standards/cis-aws-foundations-benchmark/v/${var.cis_benchmark_version}"
    "nist-800-53"                              = "arn:${local.partition}:securityhub:${local.region}::standards/nist-800-53/v/5.0.0"
  }
}

data "aws_partition" "current" {}

data "aws_region" "current" {}

resource "aws_securityhub_account" "this" {
  enable_default_standards  = false
  control_finding_generator = "SECURITY_CONTROL"
  auto_enable_controls      = true
}

resource "aws_securityhub_standards_subscription" "this" {
  for_each = var.standards

  standards_arn = local.standards_arns[each.key]

  depends_on = [aws_securityhub_account.this]
}

# Aggregates findings of every region into this one (delegated admin region).
resource "aws_securityhub_finding_aggregator" "this" {
  count = var.finding_aggregator_enabled ? 1 : 0

  linking_mode = "ALL_REGIONS"

  depends_on = [aws_securityhub_account.this]
}
