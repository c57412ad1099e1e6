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

# -----------------------------------------------------------------------------
# Component inputs (Terraform 1.0 compatible: no optional() attributes)
# -----------------------------------------------------------------------------

variable "accounts" {
  type = map(object({
    id     = string
    tenant = string
    stage  = string
  }))
  description = "The organization's accounts, keyed by account name (`<tenant>-<stage>`)."

  validation {
    condition     = length(var.accounts) > 0
    error_message = "At least one account must be listed."
  }

  validation {
    condition     = alltrue([for account in values(var.accounts) : can(regex("^[0-9]{12}$", account.id))])
    error_message = "Every account id must be a 12-digit string (quote it in YAML)."
  }

  validation {
    condition     = length(distinct([for account in values(var.accounts) : account.id])) == length(var.accounts)
    error_message = "Account ids must be unique: every account name maps to its own AWS account."
  }

  validation {
    condition     = alltrue([for name, account in var.accounts : name == "${account.tenant}-${account.stage}"])
    error_message = "Every account must be named `<tenant>-<stage>`."
  }
}

variable "partition" {
  type        = string
  description = "AWS partition used to build ARNs."
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "The partition must be one of aws, aws-cn, aws-us-gov."
  }
}

variable "terraform_role_name" {
  type        = string
  description = "Name of the role Terraform assumes in every account. `null` means `<namespace>-terraform`."
  default     = null

  validation {
    condition     = var.terraform_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.terraform_role_name))
    error_message = "The terraform_role_name must be a valid IAM role name."
  }
}

variable "root_account_name" {
  type        = string
  description = "Name (key in `accounts`) of the organization management account."
  default     = "core-root"
}

variable "audit_account_name" {
  type        = string
  description = "Name (key in `accounts`) of the security/audit account."
  default     = "core-security"
}

variable "cicd_account_name" {
  type        = string
  description = "Name (key in `accounts`) of the account that runs the CI/CD runner role."
  default     = "core-root"
}

variable "cicd_role_name" {
  type        = string
  description = "Name of the CI/CD runner role that may assume the deployer role in every account."

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.cicd_role_name))
    error_message = "The cicd_role_name must be a valid IAM role name."
  }
}
