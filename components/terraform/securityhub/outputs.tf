output "securityhub_account_id" {
  description = "ID of the Security Hub account resource (the AWS account id)."
  value       = aws_securityhub_account.this.id
}

output "enabled_standards" {
  description = "Names of the subscribed standards."
  value       = sort(tolist(var.standards))
}

output "standards_subscription_arns" {
  description = "Standard name => subscription ARN."
  value       = { for name, subscription in aws_securityhub_standards_subscription.this : name => subscription.id }
}

output "finding_aggregator_arn" {
  description = "ARN of the finding aggregator, or null when disabled."
  value       = one(aws_securityhub_finding_aggregator.this[*].id)
}
