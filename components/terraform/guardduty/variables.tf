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

variable "finding_publishing_frequency" {
  type        = string
  description = "How often updated findings are published to EventBridge/Security Hub."
  default     = "FIFTEEN_MINUTES"

  validation {
    condition     = contains(["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"], var.finding_publishing_frequency)
    error_message = "The finding_publishing_frequency must be FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS."
  }
}

variable "features" {
  type        = map(bool)
  description = "GuardDuty protection plans (detector feature name => enabled)."
  default = {
    S3_DATA_EVENTS         = true
    EKS_AUDIT_LOGS         = true
    EBS_MALWARE_PROTECTION = true
    RDS_LOGIN_EVENTS       = true
    LAMBDA_NETWORK_LOGS    = true
    RUNTIME_MONITORING     = false
  }

  validation {
    condition = alltrue([
      for name in keys(var.features) :
      contains(["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"], name)
    ])
    error_message = "Unknown GuardDuty feature name."
  }

  validation {
    condition     = !(lookup(var.features, "RUNTIME_MONITORING", false) && lookup(var.features, "EKS_RUNTIME_MONITORING", false))
    error_message = "Enable RUNTIME_MONITORING or the legacy EKS_RUNTIME_MONITORING, not both."
  }
}

variable "runtime_monitoring_additional_configuration" {
  type        = map(bool)
  description = "Agent management for RUNTIME_MONITORING (configuration name => enabled)."
  default = {
    EKS_ADDON_MANAGEMENT         = true
    ECS_FARGATE_AGENT_MANAGEMENT = true
    EC2_AGENT_MANAGEMENT         = true
  }

  validation {
    condition = alltrue([
      for name in keys(var.runtime_monitoring_additional_configuration) :
      contains(["EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT"], name)
    ])
    error_message = "Unknown RUNTIME_MONITORING additional configuration name."
  }
}
