# -----------------------------------------------------------------------------
# Common context. Every stack passes these globally (see stacks/orgs/acme).
# -----------------------------------------------------------------------------

variable "namespace" {
  type        = string
  description = "Organization namespace, e.g. `acme`. First element of every resource name."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.namespace))
    error_message = "The namespace must be 2-16 lowercase alphanumeric characters and start with a letter."
  }
}

variable "tenant" {
  type        = string
  description = "Tenant (organizational unit) that owns the account, e.g. `core` or `plat`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.tenant))
    error_message = "The tenant must be 2-16 lowercase alphanumeric characters and start with a letter."
  }
}

variable "environment" {
  type        = string
  description = "Short region code of the stack, e.g. `ue1` for us-east-1, `uw2` for us-west-2, `gbl` for global resources."

  validation {
    condition     = can(regex("^(gbl|[a-z]{2,3}[0-9])$", var.environment))
    error_message = "The environment must be `gbl` or a short region code such as `ue1` or `uw2`."
  }
}

variable "stage" {
  type        = string
  description = "Stage (one AWS account per stage), e.g. `dev`, `prod`, `log-archive`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}[a-z0-9]$", var.stage))
    error_message = "The stage must be 3-21 lowercase alphanumeric characters or hyphens."
  }
}

variable "region" {
  type        = string
  description = "AWS region the component is deployed to, e.g. `us-east-1`."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "The region must be an AWS region name such as `us-east-1`."
  }
}

variable "tags" {
  type        = map(string)
  description = "Additional tags applied to every taggable resource (merged over the context tags)."
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) <= 128 && length(v) <= 256])
    error_message = "Tag keys must be at most 128 and tag values at most 256 characters long."
  }
}

variable "role_arn" {
  type        = string
  description = "IAM role Terraform assumes in the target account. `null` uses the ambient credentials."
  default     = null

  validation {
    condition     = var.role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.role_arn))
    error_message = "The role_arn must be null or an IAM role ARN."
  }
}

# -----------------------------------------------------------------------------
# Component inputs
# -----------------------------------------------------------------------------

variable "standards" {
  type        = set(string)
  description = "Security standards to subscribe to."
  default     = ["aws-foundational-security-best-practices", "cis-aws-foundations-benchmark"]

  validation {
    condition = length(var.standards) > 0 && alltrue([
      for standard in var.standards :
      contains(["aws-foundational-security-best-practices", "cis-aws-foundations-benchmark", "nist-800-53"], standard)
    ])
    error_message = "The standards must be a non-empty subset of aws-foundational-security-best-practices, cis-aws-foundations-benchmark, nist-800-53."
  }
}

variable "cis_benchmark_version" {
  type        = string
  description = "Version of the CIS AWS Foundations Benchmark standard."
  default     = "1.4.0"

  validation {
    condition     = contains(["1.4.0", "3.0.0"], var.cis_benchmark_version)
    error_message = "The cis_benchmark_version must be 1.4.0 or 3.0.0."
  }
}

variable "finding_aggregator_enabled" {
  type        = bool
  description = "Aggregate findings from all regions into this region."
  default     = false
}
