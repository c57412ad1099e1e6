# Account map: the organization's accounts, their Terraform roles and the
# region short codes, computed from inputs only. No provider, no resources and
# no data sources, so other components and stacks can read it (remote state or
# `!terraform.output`) without credentials for the member accounts.

locals {
  # Short codes used as the `environment` of a stack (`{tenant}-{environment}-{stage}`).
  region_codes = {
    "af-south-1"     = "fs1"
    "ap-east-1"      = "ae1"
    "ap-northeast-1" = "an1"
    "ap-northeast-2" = "an2"
    "ap-northeast-3" = "an3"
    "ap-south-1"     = "as0"
    "ap-southeast-1" = "as1"
    "ap-southeast-2" = "as2"
    "ca-central-1"   = "cc1"
    "eu-central-1"   = "ec1"
    "eu-north-1"     = "en1"
    "eu-south-1"     = "es1"
    "eu-west-1"      = "ew1"
    "eu-west-2"      = "ew2"
    "eu-west-3"      = "ew3"
    "me-south-1"     = "ms1"
    "sa-east-1"      = "se1"
    "us-east-1"      = "ue1"
    "us-east-2"      = "ue2"
    "us-west-1"      = "uw1"
    "us-west-2"      = "uw2"
  }

  region_names = { for name, code in local.region_codes : code => name }

  terraform_role_name = coalesce(var.terraform_role_name, "${var.namespace}-terraform")

  account_ids   = { for name, account in var.accounts : name => account.id }
  account_names = { for name, account in var.accounts : account.id => name }

  terraform_role_arns = {
    for name, account in var.accounts :
    name => "arn:${var.partition}:iam::${account.id}:role/${local.terraform_role_name}"
  }

  # Accounts grouped by tenant, e.g. { core = ["core-network", ...], plat = [...] }.
  tenant_accounts = {
    for tenant in distinct([for account in values(var.accounts) : account.tenant]) :
    tenant => sort([for name, account in var.accounts : name if account.tenant == tenant])
  }

  # Indexing fails at plan time when the named accounts are missing from var.accounts.
  root_account_id  = local.account_ids[var.root_account_name]
  cicd_account_id  = local.account_ids[var.cicd_account_name]
  cicd_role_arn    = "arn:${var.partition}:iam::${local.cicd_account_id}:role/${var.cicd_role_name}"
  audit_account_id = local.account_ids[var.audit_account_name]

  context_tags = merge({
    Namespace   = var.namespace
    Tenant      = var.tenant
    Environment = var.environment
    Stage       = var.stage
    ManagedBy   = "terraform"
  }, var.tags)
}
