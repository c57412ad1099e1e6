terraform {
  # Provider-free on purpose: locals and outputs only, so it plans and applies
  # with any Terraform >= 1.0 and never downloads a provider.
  required_version = ">= 1.0"
}
