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

variable "name" {
  type        = string
  description = "Last element of the bucket name: `<namespace>-<tenant>-<environment>-<stage>-<name>`; the lock table appends `-lock`."
  default     = "tfstate"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,20}[a-z0-9]$", var.name))
    error_message = "The name must be 2-22 lowercase alphanumeric characters or hyphens."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Allow destroying the state bucket while it still holds objects. Keep false outside of tests."
  default     = false
}

variable "deletion_protection_enabled" {
  type        = bool
  description = "Enable DynamoDB deletion protection on the lock table."
  default     = true
}

variable "kms_deletion_window_in_days" {
  type        = number
  description = "Waiting period before the KMS key is deleted after destroy."
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "The kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "noncurrent_version_transition_days" {
  type        = number
  description = "Days after which noncurrent state versions move to STANDARD_IA."
  default     = 30

  validation {
    condition     = var.noncurrent_version_transition_days >= 30
    error_message = "S3 requires at least 30 days before a transition to STANDARD_IA."
  }
}

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "Days after which noncurrent state versions are deleted."
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 31 && var.noncurrent_version_expiration_days <= 3650
    error_message = "The noncurrent_version_expiration_days must be between 31 (after the IA transition) and 3650."
  }
}
