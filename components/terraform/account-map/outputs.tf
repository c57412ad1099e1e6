output "account_ids" {
  description = "Account name => 12-digit account id."
  value       = local.account_ids
}

output "account_names" {
  description = "Account id => account name."
  value       = local.account_names
}

output "accounts" {
  description = "The full account map as given, keyed by account name."
  value       = var.accounts
}

output "tenant_accounts" {
  description = "Tenant => sorted list of its account names."
  value       = local.tenant_accounts
}

output "terraform_role_arns" {
  description = "Account name => ARN of the role Terraform assumes in that account."
  value       = local.terraform_role_arns
}

output "region_codes" {
  description = "AWS region => short code (us-east-1 => ue1)."
  value       = local.region_codes
}

output "region_names" {
  description = "Short code => AWS region (ue1 => us-east-1)."
  value       = local.region_names
}

output "region_code" {
  description = "Short code of the region this component is deployed in."
  value       = local.region_codes[var.region]
}

output "root_account_id" {
  description = "Id of the organization management account."
  value       = local.root_account_id
}

output "audit_account_id" {
  description = "Id of the security/audit account."
  value       = local.audit_account_id
}

output "cicd_role_arn" {
  description = "ARN of the CI/CD runner role."
  value       = local.cicd_role_arn
}

output "cicd_principal_arns" {
  description = "Principals allowed to assume deployer roles (list form, for IAM trust policies)."
  value       = [local.cicd_role_arn]
}

output "context_tags" {
  description = "The context tags every component derives from the same inputs."
  value       = local.context_tags
}
