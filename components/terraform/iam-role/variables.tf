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
  description = "Purpose of the role, last element of its name: `<namespace>-<tenant>-<environment>-<stage>-<name>`."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "The name must be 2-32 lowercase alphanumeric characters or hyphens."
  }
}

variable "description" {
  type        = string
  description = "Description of the role."
  default     = "Managed by Terraform"

  validation {
    condition     = length(var.description) <= 1000
    error_message = "The description must be at most 1000 characters long."
  }
}

variable "path" {
  type        = string
  description = "IAM path of the role."
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.path))
    error_message = "The path must start and end with `/`."
  }
}

variable "principals" {
  type        = map(list(string))
  description = "Principals trusted to assume the role: principal type (`AWS`, `Service`, `Federated`) => identifiers."

  validation {
    condition     = length(var.principals) > 0 && alltrue([for identifiers in values(var.principals) : length(identifiers) > 0])
    error_message = "At least one principal type with at least one identifier is required."
  }

  validation {
    condition     = alltrue([for type in keys(var.principals) : contains(["AWS", "Service", "Federated"], type)])
    error_message = "Principal types must be AWS, Service or Federated."
  }

  validation {
    condition     = !contains(lookup(var.principals, "AWS", []), "*")
    error_message = "The role must not trust every AWS principal (`*`)."
  }
}

variable "assume_role_actions" {
  type        = list(string)
  description = "Actions the trusted principals may call, e.g. `sts:AssumeRoleWithWebIdentity` for OIDC."
  default     = ["sts:AssumeRole", "sts:TagSession"]

  validation {
    condition = length(var.assume_role_actions) > 0 && alltrue([
      for action in var.assume_role_actions :
      contains(["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"], action)
    ])
    error_message = "The assume_role_actions must be STS assume-role actions."
  }
}

variable "assume_role_conditions" {
  type = list(object({
    test     = string
    variable = string
    values   = list(string)
  }))
  description = "Conditions on the trust statement, e.g. the OIDC `sub` claim."
  default     = []
}

variable "managed_policy_arns" {
  type        = list(string)
  description = "ARNs of managed policies to attach."
  default     = []

  validation {
    condition     = alltrue([for arn in var.managed_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", arn))])
    error_message = "Every managed_policy_arns entry must be an IAM policy ARN."
  }
}

variable "inline_policies" {
  type = map(list(object({
    sid       = optional(string, "")
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  })))
  description = "Inline policies: policy name => statements (rendered with aws_iam_policy_document)."
  default     = {}

  validation {
    condition     = alltrue(flatten([for statements in values(var.inline_policies) : [for s in statements : contains(["Allow", "Deny"], s.effect)]]))
    error_message = "Every statement effect must be Allow or Deny."
  }

  validation {
    condition     = alltrue(flatten([for statements in values(var.inline_policies) : [for s in statements : length(s.actions) > 0 && length(s.resources) > 0]]))
    error_message = "Every statement needs at least one action and one resource."
  }

  # Administrator access comes from managed policies under review, never from inline policies.
  validation {
    condition = alltrue(flatten([
      for statements in values(var.inline_policies) : [
        for s in statements : !(s.effect == "Allow" && contains(s.actions, "*") && contains(s.resources, "*"))
      ]
    ]))
    error_message = "Inline policies must not allow `*` on `*`."
  }
}

variable "permissions_boundary" {
  type        = string
  description = "ARN of the permissions boundary policy. Mandatory: every role of the organization is bounded."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$", var.permissions_boundary))
    error_message = "The permissions_boundary must be an IAM policy ARN."
  }
}

variable "max_session_duration" {
  type        = number
  description = "Maximum session duration in seconds (1 to 12 hours)."
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "The max_session_duration must be between 3600 and 43200 seconds."
  }
}
