output "role_name" {
  description = "Name of the role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the role."
  value       = aws_iam_role.this.arn
}

output "role_id" {
  description = "Stable unique ID of the role."
  value       = aws_iam_role.this.unique_id
}

output "assume_role_policy" {
  description = "Trust policy document (JSON)."
  value       = data.aws_iam_policy_document.assume_role.json
}

output "inline_policy_names" {
  description = "Names of the inline policies."
  value       = sort(keys(var.inline_policies))
}

output "managed_policy_arns" {
  description = "Attached managed policy ARNs."
  value       = sort(var.managed_policy_arns)
}
