output "detector_id" {
  description = "ID of the GuardDuty detector."
  value       = aws_guardduty_detector.this.id
}

output "detector_arn" {
  description = "ARN of the GuardDuty detector."
  value       = aws_guardduty_detector.this.arn
}

output "enabled_features" {
  description = "Names of the enabled protection plans."
  value       = sort([for name, enabled in var.features : name if enabled])
}
