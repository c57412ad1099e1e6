output "budget_id" {
  description = "ID of the monthly budget."
  value       = aws_budgets_budget.monthly.id
}

output "budget_name" {
  description = "Name of the monthly budget."
  value       = aws_budgets_budget.monthly.name
}

output "anomaly_monitor_arn" {
  description = "ARN of the per-service anomaly monitor."
  value       = aws_ce_anomaly_monitor.services.arn
}

output "anomaly_subscription_arn" {
  description = "ARN of the anomaly subscription."
  value       = aws_ce_anomaly_subscription.this.arn
}
