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
  description = "Purpose of the group, last element of its name: `<namespace>-<tenant>-<environment>-<stage>-<name>`."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "The name must be 2-32 lowercase alphanumeric characters or hyphens."
  }
}

variable "description" {
  type        = string
  description = "Description of the security group (changing it replaces the group)."
  default     = "Managed by Terraform"

  validation {
    condition     = length(var.description) > 0 && length(var.description) <= 255
    error_message = "The description must be 1-255 characters long."
  }
}

variable "vpc_id" {
  type        = string
  description = "ID of the VPC the group belongs to (output `vpc_id` of the vpc component)."

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "The vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "rules" {
  type = map(object({
    type               = string
    from_port          = number
    to_port            = number
    protocol           = string
    description        = string
    cidr_blocks        = optional(list(string), [])
    ipv6_cidr_blocks   = optional(list(string), [])
    prefix_list_ids    = optional(list(string), [])
    security_group_ids = optional(list(string), [])
  }))
  description = <<-EOT
    Rules keyed by a stable rule name. Each rule opens `from_port`-`to_port`
    over `protocol` (`tcp`, `udp`, `icmp` or `-1` for all) to every listed
    peer: IPv4/IPv6 CIDRs, prefix lists, security groups.
  EOT
  default     = {}

  validation {
    condition     = alltrue([for rule in values(var.rules) : contains(["ingress", "egress"], rule.type)])
    error_message = "Every rule type must be `ingress` or `egress`."
  }

  validation {
    condition     = alltrue([for rule in values(var.rules) : contains(["tcp", "udp", "icmp", "-1"], rule.protocol)])
    error_message = "Every rule protocol must be tcp, udp, icmp or -1 (all)."
  }

  validation {
    condition = alltrue([
      for rule in values(var.rules) :
      rule.protocol == "-1" || rule.protocol == "icmp" || (rule.from_port >= 0 && rule.to_port <= 65535 && rule.from_port <= rule.to_port)
    ])
    error_message = "TCP/UDP rules need 0 <= from_port <= to_port <= 65535."
  }

  validation {
    condition = alltrue([
      for rule in values(var.rules) :
      length(rule.cidr_blocks) + length(rule.ipv6_cidr_blocks) + length(rule.prefix_list_ids) + length(rule.security_group_ids) > 0
    ])
    error_message = "Every rule needs at least one peer (cidr_blocks, ipv6_cidr_blocks, prefix_list_ids or security_group_ids)."
  }

  validation {
    condition     = alltrue([for rule in values(var.rules) : alltrue([for cidr in rule.cidr_blocks : can(cidrnetmask(cidr))])])
    error_message = "Every cidr_blocks entry must be an IPv4 CIDR."
  }

  validation {
    condition     = alltrue([for rule in values(var.rules) : length(trimspace(rule.description)) > 0])
    error_message = "Every rule needs a description."
  }

  # Administrative ports are never open to the internet.
  validation {
    condition = alltrue([
      for rule in values(var.rules) :
      !(rule.type == "ingress" && (contains(rule.cidr_blocks, "0.0.0.0/0") || contains(rule.ipv6_cidr_blocks, "::/0")) &&
      (rule.protocol == "-1" || (rule.protocol == "tcp" && anytrue([for port in [22, 3389] : rule.from_port <= port && port <= rule.to_port]))))
    ])
    error_message = "Ingress from 0.0.0.0/0 or ::/0 must not include SSH (22) or RDP (3389), nor all protocols."
  }
}
