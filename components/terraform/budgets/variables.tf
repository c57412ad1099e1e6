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
  description = "Element of resource names: `<namespace>-<tenant>-<environment>-<stage>-<name>-...`."
  default     = "budget"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,20}[a-z0-9]$", var.name))
    error_message = "The name must be 2-22 lowercase alphanumeric characters or hyphens."
  }
}

variable "monthly_limit_amount" {
  type        = number
  description = "Monthly cost budget of the account, in `currency`."

  validation {
    condition     = var.monthly_limit_amount > 0
    error_message = "The monthly_limit_amount must be positive."
  }
}

variable "currency" {
  type        = string
  description = "Currency of the budget amount."
  default     = "USD"

  validation {
    condition     = contains(["USD"], var.currency)
    error_message = "AWS cost budgets are expressed in USD."
  }
}

variable "notifications" {
  type = list(object({
    threshold_percent = number
    notification_type = string
    emails            = list(string)
  }))
  description = "Budget notifications: percentage of the limit, ACTUAL or FORECASTED spend, recipients."

  validation {
    condition     = length(var.notifications) >= 1 && length(var.notifications) <= 5
    error_message = "AWS allows 1 to 5 notifications per budget."
  }

  validation {
    condition     = alltrue([for n in var.notifications : n.threshold_percent > 0 && n.threshold_percent <= 1000])
    error_message = "Every threshold_percent must be in (0, 1000]."
  }

  validation {
    condition     = alltrue([for n in var.notifications : contains(["ACTUAL", "FORECASTED"], n.notification_type)])
    error_message = "Every notification_type must be ACTUAL or FORECASTED."
  }

  validation {
    condition = alltrue([
      for n in var.notifications :
      length(n.emails) >= 1 && length(n.emails) <= 10 && alltrue([for e in n.emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", e))])
    ])
    error_message = "Every notification needs 1-10 valid email addresses."
  }

  validation {
    condition     = length(distinct([for n in var.notifications : "${n.notification_type}/${n.threshold_percent}"])) == length(var.notifications)
    error_message = "Notifications must not repeat the same type and threshold."
  }
}

variable "anomaly_frequency" {
  type        = string
  description = "How often anomaly alerts are sent by email (IMMEDIATE needs SNS, not supported here)."
  default     = "DAILY"

  validation {
    condition     = contains(["DAILY", "WEEKLY"], var.anomaly_frequency)
    error_message = "The anomaly_frequency must be DAILY or WEEKLY."
  }
}

variable "anomaly_threshold_amount" {
  type        = number
  description = "Minimum total cost impact (USD) of an anomaly before it is reported."
  default     = 100

  validation {
    condition     = var.anomaly_threshold_amount >= 0
    error_message = "The anomaly_threshold_amount must not be negative."
  }
}

variable "anomaly_subscriber_emails" {
  type        = list(string)
  description = "Recipients of anomaly alerts."

  validation {
    condition     = length(var.anomaly_subscriber_emails) >= 1 && alltrue([for e in var.anomaly_subscriber_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", e))])
    error_message = "At least one valid email address is required."
  }
}
