provider "aws" {
  region = var.region

  # Assume the account's Terraform role when one is given; otherwise use the
  # ambient credentials (CI runner, local profile, emulator).
  dynamic "assume_role" {
    for_each = var.role_arn == null ? [] : [var.role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "terraform-${var.namespace}-${var.tenant}-${var.environment}-${var.stage}"
    }
  }

  default_tags {
    tags = local.default_tags
  }
}
