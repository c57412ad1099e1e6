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
  description = "Last element of resource names: `<namespace>-<tenant>-<environment>-<stage>-<name>`."
  default     = "vpc"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,20}[a-z0-9]$", var.name))
    error_message = "The name must be 2-22 lowercase alphanumeric characters or hyphens."
  }
}

variable "cidr_block" {
  type        = string
  description = "IPv4 CIDR of the VPC. Must not overlap any other VPC of the organization."

  validation {
    condition     = try(cidrnetmask(var.cidr_block) != "" && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24, false)
    error_message = "The cidr_block must be an IPv4 CIDR between /16 and /24."
  }

  validation {
    condition     = try(cidrhost(var.cidr_block, 0) == split("/", var.cidr_block)[0], false)
    error_message = "The cidr_block must be a network address (no host bits set), e.g. 10.10.0.0/16."
  }
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones to spread subnets over, one public and one private subnet each (1-4 AZs)."

  validation {
    condition     = length(var.availability_zones) >= 1 && length(var.availability_zones) <= 4
    error_message = "Between 1 and 4 availability zones are supported."
  }

  validation {
    condition     = alltrue([for az in var.availability_zones : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]$", az))])
    error_message = "Every availability zone must be an AZ name such as us-east-1a."
  }

  validation {
    condition     = length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "Availability zones must not repeat."
  }
}

variable "subnet_newbits" {
  type        = number
  description = "Bits added to the VPC prefix for each subnet (4 turns a /16 into /20 subnets). At least 3: the CIDR holds 4 public + 4 private slots."
  default     = 4

  validation {
    condition     = var.subnet_newbits >= 3 && var.subnet_newbits <= 8
    error_message = "The subnet_newbits must be between 3 and 8."
  }
}

variable "enable_dns_hostnames" {
  type        = bool
  description = "Give instances public DNS hostnames (needed by interface endpoints with private DNS)."
  default     = true
}

variable "map_public_ip_on_launch" {
  type        = bool
  description = "Assign public IPs to instances launched in public subnets. Off by default: use load balancers or EIPs explicitly."
  default     = false
}

variable "nat_gateway_enabled" {
  type        = bool
  description = "Create NAT gateways so private subnets reach the internet."
  default     = true
}

variable "nat_gateway_mode" {
  type        = string
  description = "`single`: one NAT gateway in the first AZ (cheap, not AZ-resilient); `per_az`: one NAT gateway per AZ."
  default     = "single"

  validation {
    condition     = contains(["single", "per_az"], var.nat_gateway_mode)
    error_message = "The nat_gateway_mode must be `single` or `per_az`."
  }
}

variable "s3_gateway_endpoint_enabled" {
  type        = bool
  description = "Create an S3 gateway endpoint attached to every route table."
  default     = true
}

variable "flow_logs_enabled" {
  type        = bool
  description = "Ship VPC flow logs to `flow_logs_bucket_arn`."
  default     = true
}

variable "flow_logs_bucket_arn" {
  type        = string
  description = "ARN of the central (cross-account) log archive bucket receiving flow logs."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.flow_logs_bucket_arn))
    error_message = "The flow_logs_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::bucket[/prefix])."
  }
}

variable "flow_logs_traffic_type" {
  type        = string
  description = "Traffic captured by the flow log."
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_logs_traffic_type)
    error_message = "The flow_logs_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "flow_logs_max_aggregation_interval" {
  type        = number
  description = "Flow log aggregation interval in seconds."
  default     = 600

  validation {
    condition     = contains([60, 600], var.flow_logs_max_aggregation_interval)
    error_message = "The flow_logs_max_aggregation_interval must be 60 or 600."
  }
}

variable "flow_logs_file_format" {
  type        = string
  description = "Format of the flow log objects: `plain-text` (default) or `parquet` (hourly Hive-compatible partitions)."
  default     = "plain-text"

  validation {
    condition     = contains(["plain-text", "parquet"], var.flow_logs_file_format)
    error_message = "The flow_logs_file_format must be plain-text or parquet."
  }
}
