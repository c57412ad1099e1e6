terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_budgets_budget supports `tags` since provider 5.50.
      version = "~> 5.50"
    }
  }
}
