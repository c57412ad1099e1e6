# VPC with one public and one private subnet per availability zone, NAT
# (single or per AZ), locked-down default security group, S3 flow logs to the
# central log archive and an S3 gateway endpoint.

locals {
  id = join("-", [var.namespace, var.tenant, var.environment, var.stage, var.name])

  # Tags carried by every resource; var.tags (CostCenter, Team, ...) are merged last.
  default_tags = merge({
    Namespace   = var.namespace
    Tenant      = var.tenant
    Environment = var.environment
    Stage       = var.stage
    ManagedBy   = "terraform"
  }, var.tags)

  tags = merge(local.default_tags, { Name = local.id })

  # AZ name => index; the index picks the subnet's slot in the VPC CIDR.
  az_index = { for index, az in var.availability_zones : az => index }

  # The CIDR is cut into 2^subnet_newbits slots: public subnets take slots
  # 0..3, private subnets slots 4..7 (at most four AZs, see the validation).
  public_subnet_cidrs  = { for az, index in local.az_index : az => cidrsubnet(var.cidr_block, var.subnet_newbits, index) }
  private_subnet_cidrs = { for az, index in local.az_index : az => cidrsubnet(var.cidr_block, var.subnet_newbits, index + 4) }

  # AZs that get a NAT gateway: none, the first AZ only, or every AZ.
  nat_azs = var.nat_gateway_enabled ? (var.nat_gateway_mode == "per_az" ? var.availability_zones : [var.availability_zones[0]]) : []

  # Private route table of each AZ => NAT gateway AZ it routes through.
  nat_az_for = { for az in var.availability_zones : az => var.nat_gateway_mode == "per_az" ? az : var.availability_zones[0] }
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = var.enable_dns_hostnames

  tags = local.tags
}

# Adopt the default security group and strip all its rules.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.id}-default" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = local.tags
}

# -----------------------------------------------------------------------------
# Subnets
# -----------------------------------------------------------------------------

resource "aws_subnet" "public" {
  for_each = local.public_subnet_cidrs

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = var.map_public_ip_on_launch

  tags = merge(local.tags, {
    Name = "${local.id}-public-${each.key}"
    Tier = "public"
  })
}

resource "aws_subnet" "private" {
  for_each = local.private_subnet_cidrs

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false

  tags = merge(local.tags, {
    Name = "${local.id}-private-${each.key}"
    Tier = "private"
  })
}

# -----------------------------------------------------------------------------
# NAT gateways
# -----------------------------------------------------------------------------

resource "aws_eip" "nat" {
  for_each = toset(local.nat_azs)

  domain = "vpc"

  tags = merge(local.tags, { Name = "${local.id}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_azs)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id

  tags = merge(local.tags, { Name = "${local.id}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

# -----------------------------------------------------------------------------
# Routing
# -----------------------------------------------------------------------------

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.id}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = local.az_index

  subnet_id      = aws_subnet.public[each.key].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  for_each = local.az_index

  vpc_id = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.id}-private-${each.key}" })
}

resource "aws_route" "private_nat" {
  for_each = var.nat_gateway_enabled ? local.nat_az_for : {}

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.value].id
}

resource "aws_route_table_association" "private" {
  for_each = local.az_index

  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.key].id
}

# -----------------------------------------------------------------------------
# S3 gateway endpoint, attached to every route table
# -----------------------------------------------------------------------------

resource "aws_vpc_endpoint" "s3" {
  count = var.s3_gateway_endpoint_enabled ? 1 : 0

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat([aws_route_table.public.id], [for az in var.availability_zones : aws_route_table.private[az].id])

  tags = merge(local.tags, { Name = "${local.id}-s3" })
}

# -----------------------------------------------------------------------------
# Flow logs to the central log archive bucket (another account)
# -----------------------------------------------------------------------------

resource "aws_flow_log" "this" {
  count = var.flow_logs_enabled ? 1 : 0

  vpc_id                   = aws_vpc.this.id
  traffic_type             = var.flow_logs_traffic_type
  log_destination_type     = "s3"
  log_destination          = var.flow_logs_bucket_arn
  max_aggregation_interval = var.flow_logs_max_aggregation_interval

  # Parquet with hourly, Hive-style partitions suits Athena; plain text keeps the defaults.
  dynamic "destination_options" {
    for_each = var.flow_logs_file_format == "parquet" ? [var.flow_logs_file_format] : []
    content {
      file_format                = destination_options.value
      hive_compatible_partitions = true
      per_hour_partition         = true
    }
  }

  tags = merge(local.tags, { Name = "${local.id}-flow-logs" })
}
