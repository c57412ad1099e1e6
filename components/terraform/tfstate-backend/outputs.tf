output "bucket_id" {
  description = "Name of the S3 state bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the S3 state bucket."
  value       = aws_s3_bucket.this.arn
}

output "dynamodb_table_name" {
  description = "Name of the DynamoDB lock table."
  value       = aws_dynamodb_table.lock.name
}

output "dynamodb_table_arn" {
  description = "ARN of the DynamoDB lock table."
  value       = aws_dynamodb_table.lock.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting state and locks."
  value       = aws_kms_key.this.arn
}

output "kms_key_id" {
  description = "ID of the KMS key encrypting state and locks."
  value       = aws_kms_key.this.key_id
}

output "kms_alias_name" {
  description = "Alias of the KMS key."
  value       = aws_kms_alias.this.name
}

output "backend_config" {
  description = "S3 backend settings for `terraform.backend.s3` in the stacks."
  value = {
    bucket         = aws_s3_bucket.this.id
    dynamodb_table = aws_dynamodb_table.lock.name
    region         = var.region
    encrypt        = true
    kms_key_id     = aws_kms_key.this.arn
  }
}
