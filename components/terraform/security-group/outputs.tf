output "security_group_id" {
  description = "ID of the security group."
  value       = aws_security_group.this.id
}

output "security_group_arn" {
  description = "ARN of the security group."
  value       = aws_security_group.this.arn
}

output "security_group_name" {
  description = "Name of the security group."
  value       = aws_security_group.this.name
}

output "ingress_rule_ids" {
  description = "Rule key (`<rule>:<peer>`) => ingress rule ID."
  value       = { for key, rule in aws_vpc_security_group_ingress_rule.this : key => rule.security_group_rule_id }
}

output "egress_rule_ids" {
  description = "Rule key (`<rule>:<peer>`) => egress rule ID."
  value       = { for key, rule in aws_vpc_security_group_egress_rule.this : key => rule.security_group_rule_id }
}
