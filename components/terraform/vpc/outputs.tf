output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_arn" {
  description = "ARN of the VPC."
  value       = aws_vpc.this.arn
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones the subnets are spread over."
  value       = var.availability_zones
}

output "public_subnet_ids" {
  description = "Public subnet IDs, in the order of `availability_zones`."
  value       = [for az in var.availability_zones : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "Private subnet IDs, in the order of `availability_zones`."
  value       = [for az in var.availability_zones : aws_subnet.private[az].id]
}

output "public_subnet_cidrs" {
  description = "AZ => public subnet CIDR."
  value       = local.public_subnet_cidrs
}

output "private_subnet_cidrs" {
  description = "AZ => private subnet CIDR."
  value       = local.private_subnet_cidrs
}

output "public_route_table_id" {
  description = "ID of the public route table."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "Private route table IDs, in the order of `availability_zones`."
  value       = [for az in var.availability_zones : aws_route_table.private[az].id]
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs (one, or one per AZ)."
  value       = [for az in local.nat_azs : aws_nat_gateway.this[az].id]
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways, e.g. for partner allow-lists."
  value       = [for az in local.nat_azs : aws_eip.nat[az].public_ip]
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = aws_internet_gateway.this.id
}

output "default_security_group_id" {
  description = "ID of the (rule-less) default security group."
  value       = aws_default_security_group.this.id
}

output "s3_gateway_endpoint_id" {
  description = "ID of the S3 gateway endpoint, or null when disabled."
  value       = one(aws_vpc_endpoint.s3[*].id)
}

output "flow_log_id" {
  description = "ID of the flow log, or null when disabled."
  value       = one(aws_flow_log.this[*].id)
}
