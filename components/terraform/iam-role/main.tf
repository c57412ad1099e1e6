# IAM role with a trust policy built from typed principals, managed policy
# attachments, inline policies rendered from typed statements, and a
# mandatory permissions boundary.

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

# One trust statement per principal type (AWS, Service, Federated).
data "aws_iam_policy_document" "assume_role" {
  dynamic "statement" {
    for_each = var.principals
    content {
      sid     = "Trust${statement.key}Principals"
      effect  = "Allow"
      actions = var.assume_role_actions

      principals {
        type        = statement.key
        identifiers = statement.value
      }

      dynamic "condition" {
        for_each = var.assume_role_conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name                  = local.id
  path                  = var.path
  description           = var.description
  assume_role_policy    = data.aws_iam_policy_document.assume_role.json
  permissions_boundary  = var.permissions_boundary
  max_session_duration  = var.max_session_duration
  force_detach_policies = true

  tags = local.tags
}

resource "aws_iam_role_policy_attachment" "managed" {
  for_each = toset(var.managed_policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = each.value
}

data "aws_iam_policy_document" "inline" {
  for_each = var.inline_policies

  dynamic "statement" {
    for_each = each.value
    content {
      sid       = statement.value.sid == "" ? null : statement.value.sid
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "inline" {
  for_each = var.inline_policies

  name   = each.key
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.inline[each.key].json
}
