# One security group with its rules managed as separate resources (one rule
# resource per source/destination), so a rule change never replaces the group.

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

  # Rule name => its peers, each tagged with the rule-resource argument it goes to.
  rule_peers = {
    for key, rule in var.rules : key => concat(
      [for cidr in rule.cidr_blocks : { argument = "cidr_ipv4", value = cidr }],
      [for cidr in rule.ipv6_cidr_blocks : { argument = "cidr_ipv6", value = cidr }],
      [for prefix_list in rule.prefix_list_ids : { argument = "prefix_list_id", value = prefix_list }],
      [for group in rule.security_group_ids : { argument = "referenced_security_group_id", value = group }],
    )
  }

  # One entry per (rule, peer), keyed "<rule>:<peer>" so keys stay stable when
  # peers are added or removed. No null attributes: keeps for_each evaluable
  # by offline tools.
  expanded_rules = flatten([
    for key, rule in var.rules : [
      for peer in local.rule_peers[key] : {
        key         = "${key}:${peer.value}"
        rule        = key
        type        = rule.type
        description = rule.description
        ip_protocol = rule.protocol
        from_port   = rule.from_port
        to_port     = rule.to_port
        peer_type   = peer.argument
        peer        = peer.value
      }
    ]
  ])

  ingress_rules = { for rule in local.expanded_rules : rule.key => rule if rule.type == "ingress" }
  egress_rules  = { for rule in local.expanded_rules : rule.key => rule if rule.type == "egress" }
}

resource "aws_security_group" "this" {
  name                   = local.id
  description            = var.description
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.ingress_rules

  security_group_id = aws_security_group.this.id
  description       = each.value.description
  ip_protocol       = each.value.ip_protocol
  # All-protocol rules (-1) take no port range.
  from_port = each.value.ip_protocol == "-1" ? null : each.value.from_port
  to_port   = each.value.ip_protocol == "-1" ? null : each.value.to_port

  cidr_ipv4                    = each.value.peer_type == "cidr_ipv4" ? each.value.peer : null
  cidr_ipv6                    = each.value.peer_type == "cidr_ipv6" ? each.value.peer : null
  prefix_list_id               = each.value.peer_type == "prefix_list_id" ? each.value.peer : null
  referenced_security_group_id = each.value.peer_type == "referenced_security_group_id" ? each.value.peer : null

  tags = merge(local.tags, { Name = "${local.id}-${each.value.rule}" })
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = local.egress_rules

  security_group_id = aws_security_group.this.id
  description       = each.value.description
  ip_protocol       = each.value.ip_protocol
  # All-protocol rules (-1) take no port range.
  from_port = each.value.ip_protocol == "-1" ? null : each.value.from_port
  to_port   = each.value.ip_protocol == "-1" ? null : each.value.to_port

  cidr_ipv4                    = each.value.peer_type == "cidr_ipv4" ? each.value.peer : null
  cidr_ipv6                    = each.value.peer_type == "cidr_ipv6" ? each.value.peer : null
  prefix_list_id               = each.value.peer_type == "prefix_list_id" ? each.value.peer : null
  referenced_security_group_id = each.value.peer_type == "referenced_security_group_id" ? each.value.peer : null

  tags = merge(local.tags, { Name = "${local.id}-${each.value.rule}" })
}
