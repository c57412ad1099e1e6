output "bucket_id" {
  description = "Name of the log archive bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the log archive bucket (the vpc component's `flow_logs_bucket_arn`)."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the bucket."
  value       = aws_kms_key.this.arn
}
