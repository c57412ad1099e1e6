"""Every built-in policy on small self-written plans: one passing plan, one failing plan with the exact
failing addresses, and (for policies that read computed values) one undetermined plan."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.plan import Deferred, Plan
from harness.policy import Severity, catalog

from .conftest import U, ctx, failed, plan, res, run, undetermined_at


def doc(*statements: dict[str, Any]) -> str:
    """A policy document JSON string."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}
READ_S3 = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}
TLS_DENY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
EC2_TRUST = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
PAB_ON = {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
          "restrict_public_buckets": True}
REQUIRED_TAGS = {"harness": {"required_tags": ["Team", "CostCenter"]}}
GOOD_TAGS = {"Team": "platform", "CostCenter": "CC-1"}
FEATURES = ["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS"]


def sg_rule(name: str, cidrs: Any, port: Any, *, type: str = "ingress", proto: Any = "tcp") -> Any:
    return res(f"aws_security_group_rule.{name}", {"type": type, "cidr_blocks": cidrs, "from_port": port,
                                                    "to_port": port, "protocol": proto,
                                                    "security_group_id": U("aws_security_group.this.id")})


def vpc_rule(name: str, *, ipv4: Any = None, ipv6: Any = None, port: Any = None, proto: Any = "tcp",
             egress: bool = False) -> Any:
    kind = "egress" if egress else "ingress"
    return res(f"aws_vpc_security_group_{kind}_rule.{name}", {"cidr_ipv4": ipv4, "cidr_ipv6": ipv6, "from_port": port,
                                                              "to_port": port, "ip_protocol": proto})


def bucket(name: str = "this", bucket_name: str = "acme-data", **values: Any) -> Any:
    return res(f"aws_s3_bucket.{name}", {"bucket": bucket_name, "id": U(f"aws_s3_bucket.{name}.id"), **values})


def on(name: str = "this") -> Any:
    """The ``bucket`` argument of an S3 sub-resource, as the static engine shows it."""
    return U(f"aws_s3_bucket.{name}.id")


def sse(name: str, algorithm: Any, ref: Any) -> Any:
    return res(f"aws_s3_bucket_server_side_encryption_configuration.{name}", {
        "bucket": ref, "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": algorithm}]}]})


def detector(**values: Any) -> Any:
    return res("aws_guardduty_detector.this", {"enable": True, "id": U("aws_guardduty_detector.this.id"), **values})


def feature(name: str, status: Any = "ENABLED", detector_id: Any = None) -> Any:
    return res(f'aws_guardduty_detector_feature.this["{name}"]', {
        "detector_id": detector_id if detector_id is not None else U("aws_guardduty_detector.this.id"),
        "name": name, "status": status})


def subscription(name: str, arn: Any) -> Any:
    return res(f'aws_securityhub_standards_subscription.this["{name}"]', {"standards_arn": arn})


FSBP_ARN = "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
CIS_ARN = "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.4.0"


def fn(name: str, **values: Any) -> Any:
    """A Lambda function."""
    return res(f"aws_lambda_function.{name}", {"function_name": name, **values})


FORWARD = [{"type": "forward", "target_group_arn": U("aws_lb_target_group.app.arn")}]


def redirect(protocol: str | None) -> list[dict[str, Any]]:
    """A listener default action redirecting to ``protocol`` (None: the redirect keeps the request's protocol)."""
    return [{"type": "redirect", "redirect": [{"port": "443", "protocol": protocol, "status_code": "HTTP_301"}]}]


def listener(name: str, protocol: Any, actions: Any, **values: Any) -> Any:
    return res(f"aws_lb_listener.{name}", {"load_balancer_arn": U("aws_lb.app.arn"), "protocol": protocol,
                                           "default_action": actions, **values})


def eks(name: str, top: dict[str, Any] | None = None, **vpc: Any) -> Any:
    """An EKS cluster; ``vpc`` goes into its vpc_config block, ``top`` beside it."""
    return res(f"aws_eks_cluster.{name}", {"name": name, "vpc_config": [{"subnet_ids": ["subnet-1", "subnet-2"],
                                                                         **vpc}], **(top or {})})


ACM = "arn:aws:acm:us-east-1:111122223333:certificate/1"


def cdn(name: str, *, default: Any = "redirect-to-https", ordered: tuple[str, ...] | list[str] = (),
        **values: Any) -> Any:
    """A CloudFront distribution with a custom TLS 1.2 certificate unless ``viewer_certificate`` says otherwise."""
    return res(f"aws_cloudfront_distribution.{name}", {
        "default_cache_behavior": [{"target_origin_id": "s3", "viewer_protocol_policy": default}],
        "ordered_cache_behavior": [{"path_pattern": f"/p{i}/*", "viewer_protocol_policy": p}
                                   for i, p in enumerate(ordered)],
        "viewer_certificate": [{"acm_certificate_arn": ACM, "minimum_protocol_version": "TLSv1.2_2021",
                                "ssl_support_method": "sni-only"}], **values})


def build(name: str, privileged: Any) -> Any:
    environment = {"compute_type": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/standard:7.0",
                   "type": "LINUX_CONTAINER"}
    if privileged is not None:
        environment["privileged_mode"] = privileged
    return res(f"aws_codebuild_project.{name}", {"name": name, "environment": [environment]})


def task(name: str, *containers: dict[str, Any]) -> Any:
    """An ECS task definition; ``container_definitions`` is the JSON string the provider keeps."""
    return res(f"aws_ecs_task_definition.{name}", {"family": name, "container_definitions": json.dumps(
        [{"image": "nginx:1.27", "essential": True, **c} for c in containers])})


@dataclass
class Case:
    """One policy: a plan that passes, a plan that fails at exactly ``fails``, optionally an undetermined plan."""

    policy: str
    passing: Callable[[], Plan]
    failing: Callable[[], Plan]
    fails: set[str | None]
    undetermined: Callable[[], Plan] | None = None
    undetermined_at: set[str | None] = field(default_factory=set)
    settings: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=lambda: {"stage": "prod"})
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        "network.no-public-admin-ports",
        passing=lambda: plan(sg_rule("https", ["0.0.0.0/0"], 443), vpc_rule("ssh_internal", ipv4="10.0.0.0/8", port=22),
                             sg_rule("ssh_egress", ["0.0.0.0/0"], 22, type="egress")),
        failing=lambda: plan(sg_rule("ssh", ["10.0.0.0/8", "0.0.0.0/0"], 22), vpc_rule("rdp", ipv6="::/0", port=3389),
                             res("aws_security_group.wide", {"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "from_port": 0,
                                                                         "to_port": 65535, "protocol": "tcp"}]}),
                             sg_rule("high", ["0.0.0.0/0"], 8080)),
        fails={"aws_security_group_rule.ssh", "aws_vpc_security_group_ingress_rule.rdp", "aws_security_group.wide"},
        undetermined=lambda: plan(sg_rule("ssh", U("aws_vpc.this.cidr_block"), 22)),
        undetermined_at={"aws_security_group_rule.ssh"},
    ),
    Case(
        "network.no-public-ingress",
        passing=lambda: plan(vpc_rule("https", ipv4="0.0.0.0/0", port=443), sg_rule("db", ["10.0.0.0/16"], 5432),
                             vpc_rule("ping", ipv4="0.0.0.0/0", port=8, proto="icmp")),
        params={"allowed_ports": [443]},
        failing=lambda: plan(sg_rule("ssh", ["0.0.0.0/0"], 22), vpc_rule("all", ipv4="0.0.0.0/0", proto="-1"),
                             vpc_rule("https", ipv4="0.0.0.0/0", port=443)),
        fails={"aws_security_group_rule.ssh", "aws_vpc_security_group_ingress_rule.all"},
        undetermined=lambda: plan(vpc_rule("app", ipv4="0.0.0.0/0", port=U("aws_lb.app.port"))),
        undetermined_at={"aws_vpc_security_group_ingress_rule.app"},
    ),
    Case(
        "network.unrestricted-egress",
        passing=lambda: plan(vpc_rule("https", ipv4="0.0.0.0/0", port=443, egress=True),
                             vpc_rule("vpc", ipv4="10.30.0.0/16", proto="-1", egress=True)),
        failing=lambda: plan(vpc_rule("all", ipv4="0.0.0.0/0", proto="-1", egress=True),
                             res("aws_security_group.this", {"egress": [
                                 {"cidr_blocks": [], "ipv6_cidr_blocks": ["::/0"], "protocol": "-1", "from_port": 0,
                                  "to_port": 0}]})),
        fails={"aws_vpc_security_group_egress_rule.all", "aws_security_group.this"},
        undetermined=lambda: plan(vpc_rule("x", ipv4="0.0.0.0/0", proto=U("var.protocol"), egress=True)),
        undetermined_at={"aws_vpc_security_group_egress_rule.x"},
    ),
    Case(
        "network.default-sg-closed",
        passing=lambda: plan(res("aws_default_security_group.this", {"vpc_id": U("aws_vpc.this.id")}),
                             res("aws_default_security_group.other", {"ingress": [], "egress": []})),
        failing=lambda: plan(res("aws_default_security_group.this", {"ingress": [{"protocol": "-1", "self": True,
                                                                                  "from_port": 0, "to_port": 0}]})),
        fails={"aws_default_security_group.this"},
        undetermined=lambda: plan(res("aws_default_security_group.this",
                                      {"egress": U(None, "dynamic block could not be expanded statically")})),
        undetermined_at={"aws_default_security_group.this"},
    ),
    Case(
        "network.vpc-flow-logs",
        passing=lambda: plan(res("aws_vpc.this", {"cidr_block": "10.0.0.0/16"}),
                             res("aws_flow_log.this[0]", {"vpc_id": U("aws_vpc.this.id")})),
        failing=lambda: plan(res("aws_vpc.this"), res("aws_vpc.other"),
                             res("aws_flow_log.other", {"vpc_id": U("aws_vpc.other.id")})),
        fails={"aws_vpc.this"},
        undetermined=lambda: plan(res("aws_vpc.this"), res("aws_flow_log.x", {"vpc_id": U("aws_flow_log.x.vpc_id")})),
        undetermined_at={"aws_vpc.this"},
    ),
    Case(
        "network.no-public-ip-subnets",
        passing=lambda: plan(res('aws_subnet.public["us-east-1a"]', {"map_public_ip_on_launch": False})),
        failing=lambda: plan(res('aws_subnet.public["us-east-1a"]', {"map_public_ip_on_launch": True}),
                             res('aws_subnet.private["us-east-1a"]', {"map_public_ip_on_launch": False})),
        fails={'aws_subnet.public["us-east-1a"]'},
        undetermined=lambda: plan(res("aws_subnet.x", {"map_public_ip_on_launch": U("aws_ssm_parameter.p.value")})),
        undetermined_at={"aws_subnet.x"},
    ),
    Case(
        "network.nacl-no-public-admin-ports",
        passing=lambda: plan(
            res("aws_network_acl_rule.https", {"egress": False, "rule_action": "allow", "cidr_block": "0.0.0.0/0",
                                               "protocol": "6", "from_port": 443, "to_port": 443}),
            res("aws_network_acl_rule.deny_ssh", {"egress": False, "rule_action": "deny", "cidr_block": "0.0.0.0/0",
                                                  "protocol": "6", "from_port": 22, "to_port": 22})),
        failing=lambda: plan(
            res("aws_network_acl_rule.ssh", {"egress": False, "rule_action": "allow", "cidr_block": "0.0.0.0/0",
                                             "protocol": "tcp", "from_port": 22, "to_port": 22}),
            res("aws_network_acl.main", {"ingress": [{"action": "allow", "cidr_block": "0.0.0.0/0", "protocol": "-1",
                                                      "from_port": 0, "to_port": 0, "rule_no": 100}]})),
        fails={"aws_network_acl_rule.ssh", "aws_network_acl.main"},
        undetermined=lambda: plan(res("aws_network_acl_rule.x", {"egress": False, "rule_action": "allow",
                                                                 "cidr_block": U("var.cidr"), "protocol": "6",
                                                                 "from_port": 22, "to_port": 22})),
        undetermined_at={"aws_network_acl_rule.x"},
    ),
    Case(
        "iam.no-admin-access",
        passing=lambda: plan(res("aws_iam_policy.read", {"policy": doc(READ_S3)}),
                             res("aws_iam_policy.deny", {"policy": doc({**ADMIN, "Effect": "Deny"})})),
        failing=lambda: plan(
            res("aws_iam_policy.admin", {"policy": doc(READ_S3, ADMIN)}),
            res("aws_iam_role.r", {"inline_policy": [{"name": "all", "policy": doc({**ADMIN, "Action": ["*"]})}]}),
            res("aws_iam_role_policy.p", {"policy": U("data.aws_iam_policy_document.admin")}),
            res("data.aws_iam_policy_document.admin", {"json": doc(ADMIN)})),
        fails={"aws_iam_policy.admin", "aws_iam_role.r", "aws_iam_role_policy.p"},
        undetermined=lambda: plan(res("aws_iam_role_policy.p", {"policy": U("aws_s3_bucket.b.arn")})),
        undetermined_at={"aws_iam_role_policy.p"},
    ),
    Case(
        "iam.no-service-wildcards",
        passing=lambda: plan(res("aws_iam_policy.read", {"policy": doc(READ_S3)}),
                             res("aws_iam_policy.logs", {"policy": doc({"Effect": "Allow", "Action": "logs:*",
                                                                        "Resource": "*"})}),
                             res("aws_iam_policy.deny", {"policy": doc({"Effect": "Deny", "Action": "s3:*",
                                                                        "Resource": "*"})})),
        params={"allowed_actions": ["logs:*"]},
        failing=lambda: plan(
            res("aws_iam_policy.s3", {"policy": doc({"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"})}),
            # the document's JSON is unknown (a resource ARN) but its statements are known
            res("aws_iam_role_policy.ec2", {"policy": U("data.aws_iam_policy_document.ec2")}),
            res("data.aws_iam_policy_document.ec2", {
                "json": U("aws_instance.x.arn"),
                "statement": [{"effect": "Allow", "actions": ["ec2:*"], "resources": U("aws_instance.x.arn")}]})),
        fails={"aws_iam_policy.s3", "aws_iam_role_policy.ec2"},
        undetermined=lambda: plan(res("aws_iam_policy.p", {"policy": U("aws_s3_bucket.b.arn")})),
        undetermined_at={"aws_iam_policy.p"},
    ),
    Case(
        "iam.role-permissions-boundary",
        passing=lambda: plan(res("aws_iam_role.a", {"name": "a", "permissions_boundary": "arn:aws:iam::1:policy/b"}),
                             res("aws_iam_role.break_glass", {"name": "break-glass"})),
        params={"exempt_roles": ["break-*"]},
        failing=lambda: plan(res("aws_iam_role.a", {"name": "a"}),
                             res("aws_iam_role.b", {"name": "b", "permissions_boundary": None})),
        fails={"aws_iam_role.a", "aws_iam_role.b"},
        undetermined=lambda: plan(res("aws_iam_role.a", {"name": "a",
                                                         "permissions_boundary": U("aws_iam_policy.boundary.arn")})),
        undetermined_at={"aws_iam_role.a"},
    ),
    Case(
        "iam.no-public-trust",
        passing=lambda: plan(
            res("aws_iam_role.ec2", {"assume_role_policy": doc(EC2_TRUST)}),
            res("aws_iam_role.org", {"assume_role_policy": doc({
                "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}})})),
        failing=lambda: plan(
            res("aws_iam_role.star", {"assume_role_policy": doc({"Effect": "Allow", "Principal": "*",
                                                                 "Action": "sts:AssumeRole"})}),
            res("aws_iam_role.aws_star", {"assume_role_policy": doc({
                "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
                "Action": "sts:AssumeRole"})})),
        fails={"aws_iam_role.star", "aws_iam_role.aws_star"},
        undetermined=lambda: plan(res("aws_iam_role.x", {
            "assume_role_policy": U(None, "policy document input statement is unknown")})),
        undetermined_at={"aws_iam_role.x"},
    ),
    Case(
        "iam.no-inline-policies",
        passing=lambda: plan(res("aws_iam_role.r", {"name": "r"}),
                             res("aws_iam_role_policy_attachment.a", {"policy_arn": "arn:aws:iam::aws:policy/X"}),
                             res("aws_iam_role.cleared", {"inline_policy": [{}]})),
        failing=lambda: plan(res("aws_iam_role_policy.x", {"name": "x"}), res("aws_iam_user_policy.y", {"name": "y"}),
                             res("aws_iam_role.z", {"inline_policy": [{"name": "p", "policy": doc(READ_S3)}]})),
        fails={"aws_iam_role_policy.x", "aws_iam_user_policy.y", "aws_iam_role.z"},
        undetermined=lambda: plan(res("aws_iam_role.z", {"inline_policy": U(None, "dynamic block not expanded")})),
        undetermined_at={"aws_iam_role.z"},
    ),
    Case(
        "iam.policy-size",
        passing=lambda: plan(res("aws_iam_policy.small", {"policy": doc(READ_S3)}),
                             res("aws_iam_role.r", {"name": "r", "assume_role_policy": doc(EC2_TRUST)}),
                             res("aws_iam_role_policy.p", {"role": U("aws_iam_role.r.id"), "policy": doc(READ_S3)})),
        failing=lambda: plan(
            res("aws_iam_policy.big", {"policy": doc({**READ_S3, "Resource": ["arn:aws:s3:::" + "b" * 7000]})}),
            res("aws_iam_role.trust", {"name": "trust", "assume_role_policy": doc(
                {**EC2_TRUST, "Principal": {"AWS": [f"arn:aws:iam::{i:012d}:root" for i in range(80)]}})}),
            res("aws_iam_role.r", {"name": "r", "assume_role_policy": doc(EC2_TRUST)}),
            *[res(f"aws_iam_role_policy.p{i}", {"role": "r", "policy": doc(
                {**READ_S3, "Resource": ["arn:aws:s3:::" + "x" * 6000]})}) for i in range(2)]),
        fails={"aws_iam_policy.big", "aws_iam_role.trust", "aws_iam_role.r"},
        undetermined=lambda: plan(res("aws_iam_role.r", {"name": "r", "assume_role_policy": doc(EC2_TRUST)}),
                                  res("aws_iam_role_policy.p", {"role": U("aws_iam_role.r.id"),
                                                                "policy": U("aws_kms_key.k.arn")})),
        undetermined_at={"aws_iam_role.r"},
    ),
    Case(
        "iam.no-user-policies",
        passing=lambda: plan(res("aws_iam_group_policy_attachment.g", {"group": "devs"}),
                             res("aws_iam_policy_attachment.a", {"groups": ["devs"], "users": []})),
        failing=lambda: plan(res("aws_iam_user_policy_attachment.u", {"user": "bob"}),
                             res("aws_iam_policy_attachment.a", {"users": ["bob"]}),
                             res("aws_iam_user_policy.p", {"user": "bob", "policy": doc(READ_S3)})),
        fails={"aws_iam_user_policy_attachment.u", "aws_iam_policy_attachment.a", "aws_iam_user_policy.p"},
        undetermined=lambda: plan(res("aws_iam_policy_attachment.a", {"users": U("aws_iam_user.bob.name")})),
        undetermined_at={"aws_iam_policy_attachment.a"},
    ),
    Case(
        "s3.encryption-kms",
        passing=lambda: plan(bucket(), sse("this", "aws:kms", on()),
                             bucket("legacy", "acme-legacy", server_side_encryption_configuration=[{"rule": [{
                                 "apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]}])),
        failing=lambda: plan(bucket(), sse("this", "AES256", on()), bucket("bare", "acme-bare"),
                             bucket("named", "acme-named"), sse("named", "aws:kms", "acme-other")),
        fails={"aws_s3_bucket.this", "aws_s3_bucket.bare", "aws_s3_bucket.named"},
        undetermined=lambda: plan(bucket(), sse("x", "aws:kms", U(
            "aws_s3_bucket_server_side_encryption_configuration.x.bucket"))),
        undetermined_at={"aws_s3_bucket.this"},
    ),
    Case(
        "s3.public-access-block",
        passing=lambda: plan(bucket(), res("aws_s3_bucket_public_access_block.this", {"bucket": on(), **PAB_ON}),
                             bucket("named", "acme-named"),
                             res("aws_s3_bucket_public_access_block.named", {"bucket": "acme-named", **PAB_ON})),
        failing=lambda: plan(bucket(), bucket("weak", "acme-weak"),
                             res("aws_s3_bucket_public_access_block.weak",
                                 {"bucket": on("weak"), **{**PAB_ON, "block_public_policy": False}})),
        fails={"aws_s3_bucket.this", "aws_s3_bucket_public_access_block.weak"},
        undetermined=lambda: plan(bucket(), res("aws_s3_bucket_public_access_block.this", {
            "bucket": on(), **{**PAB_ON, "ignore_public_acls": U("var.flag")}})),
        undetermined_at={"aws_s3_bucket_public_access_block.this"},
    ),
    Case(
        "s3.no-public-acl",
        passing=lambda: plan(bucket(acl="private"), res("aws_s3_bucket_acl.this", {"bucket": on(), "acl": "private"})),
        failing=lambda: plan(bucket(acl="public-read-write"),
                             res("aws_s3_bucket_acl.this", {"bucket": on(), "acl": "public-read"})),
        fails={"aws_s3_bucket.this", "aws_s3_bucket_acl.this"},
        undetermined=lambda: plan(res("aws_s3_bucket_acl.this", {"bucket": on(),
                                                                 "acl": U("aws_ssm_parameter.a.value")})),
        undetermined_at={"aws_s3_bucket_acl.this"},
    ),
    Case(
        "s3.versioning",
        # the state bucket is the one the instance's s3 backend names
        extra={"backend": {"bucket": "acme-tfstate"}, "backend_type": "s3"},
        passing=lambda: plan(bucket(bucket_name="acme-tfstate"), bucket("logs", "acme-logs"),
                             res("aws_s3_bucket_versioning.this",
                                 {"bucket": on(), "versioning_configuration": [{"status": "Enabled"}]})),
        failing=lambda: plan(bucket(bucket_name="acme-tfstate"), bucket("logs", "acme-logs")),
        fails={"aws_s3_bucket.this"},
        undetermined=lambda: plan(res("aws_s3_bucket.this", {"bucket": U("random_id.suffix.hex")})),
        undetermined_at={"aws_s3_bucket.this"},
    ),
    Case(
        "s3.tls-only",
        passing=lambda: plan(bucket(), res("aws_s3_bucket_policy.this", {"bucket": on(), "policy": doc(TLS_DENY)}),
                             bucket("viadata", "acme-viadata"),
                             res("aws_s3_bucket_policy.viadata", {"bucket": on("viadata"),
                                                                  "policy": U("data.aws_iam_policy_document.tls")}),
                             res("data.aws_iam_policy_document.tls", {
                                 "json": U("aws_s3_bucket.viadata.arn"),
                                 "statement": [{"effect": "Deny", "actions": ["s3:*"],
                                                "resources": U("aws_s3_bucket.viadata.arn"),
                                                "principals": [{"type": "*", "identifiers": ["*"]}],
                                                "condition": [{"test": "Bool", "variable": "aws:SecureTransport",
                                                               "values": ["false"]}]}]})),
        failing=lambda: plan(bucket(), res("aws_s3_bucket_policy.this", {"bucket": on(), "policy": doc(READ_S3)}),
                             bucket("bare", "acme-bare")),
        fails={"aws_s3_bucket.this", "aws_s3_bucket.bare"},
        # the example components: the policy document depends on the bucket ARN
        undetermined=lambda: plan(bucket(), res("aws_s3_bucket_policy.this", {"bucket": on(),
                                                                               "policy": U("aws_s3_bucket.this.arn")})),
        undetermined_at={"aws_s3_bucket.this"},
    ),
    Case(
        "dynamodb.pitr",
        passing=lambda: plan(res("aws_dynamodb_table.t", {"point_in_time_recovery": [{"enabled": True}]})),
        failing=lambda: plan(res("aws_dynamodb_table.t", {"point_in_time_recovery": [{"enabled": False}]}),
                             res("aws_dynamodb_table.u", {"name": "u"})),
        fails={"aws_dynamodb_table.t", "aws_dynamodb_table.u"},
        undetermined=lambda: plan(res("aws_dynamodb_table.t", {"point_in_time_recovery": [{"enabled": U("var.x")}]})),
        undetermined_at={"aws_dynamodb_table.t"},
    ),
    Case(
        "dynamodb.encryption",
        passing=lambda: plan(res("aws_dynamodb_table.t", {"server_side_encryption": [
            {"enabled": True, "kms_key_arn": U("aws_kms_key.this.arn")}]})),
        params={"require_cmk": True},
        failing=lambda: plan(res("aws_dynamodb_table.t", {"name": "t"}),
                             res("aws_dynamodb_table.u", {"server_side_encryption": [{"enabled": True}]})),
        fails={"aws_dynamodb_table.t", "aws_dynamodb_table.u"},
        undetermined=lambda: plan(res("aws_dynamodb_table.t", {"server_side_encryption": [{"enabled": U("v.x")}]})),
        undetermined_at={"aws_dynamodb_table.t"},
    ),
    Case(
        "kms.key-rotation",
        passing=lambda: plan(res("aws_kms_key.k", {"enable_key_rotation": True}),
                             res("aws_kms_key.sign", {"customer_master_key_spec": "RSA_2048"})),
        failing=lambda: plan(res("aws_kms_key.k", {"enable_key_rotation": False}), res("aws_kms_key.d", {})),
        fails={"aws_kms_key.k", "aws_kms_key.d"},
        undetermined=lambda: plan(res("aws_kms_key.k", {"enable_key_rotation": U("aws_ssm_parameter.x.value")})),
        undetermined_at={"aws_kms_key.k"},
    ),
    Case(
        "ec2.ebs-encrypted",
        passing=lambda: plan(res("aws_ebs_volume.v", {"encrypted": True})),
        failing=lambda: plan(res("aws_ebs_volume.v", {"encrypted": False}), res("aws_ebs_volume.w", {"size": 8})),
        fails={"aws_ebs_volume.v", "aws_ebs_volume.w"},
        undetermined=lambda: plan(res("aws_ebs_volume.v", {"encrypted": U("var.enc")})),
        undetermined_at={"aws_ebs_volume.v"},
    ),
    Case(
        "ec2.imdsv2",
        passing=lambda: plan(res("aws_instance.i", {"metadata_options": [{"http_tokens": "required"}]}),
                             res("aws_launch_template.t", {"metadata_options": [{"http_tokens": "required"}]})),
        failing=lambda: plan(res("aws_instance.i", {"metadata_options": [{"http_tokens": "optional"}]}),
                             res("aws_launch_template.t", {"name": "t"})),
        fails={"aws_instance.i", "aws_launch_template.t"},
        undetermined=lambda: plan(res("aws_instance.i", {"metadata_options": [{"http_tokens": U("var.tokens")}]})),
        undetermined_at={"aws_instance.i"},
    ),
    Case(
        "rds.storage-encrypted",
        passing=lambda: plan(res("aws_db_instance.db", {"storage_encrypted": True}),
                             res("aws_db_instance.member", {"cluster_identifier": "c"}),
                             res("aws_rds_cluster.c", {"storage_encrypted": True})),
        failing=lambda: plan(res("aws_db_instance.db", {"storage_encrypted": False}), res("aws_rds_cluster.c", {})),
        fails={"aws_db_instance.db", "aws_rds_cluster.c"},
        undetermined=lambda: plan(res("aws_db_instance.db", {"storage_encrypted": U("var.encrypt")})),
        undetermined_at={"aws_db_instance.db"},
    ),
    Case(
        "guardduty.enabled",
        passing=lambda: plan(detector()),
        failing=lambda: plan(detector(enable=False)),
        fails={"aws_guardduty_detector.this"},
        undetermined=lambda: plan(detector(enable=U("var.enabled"))),
        undetermined_at={"aws_guardduty_detector.this"},
    ),
    Case(
        "guardduty.features",
        passing=lambda: plan(detector(), *[feature(f) for f in FEATURES], feature("RUNTIME_MONITORING", "DISABLED")),
        failing=lambda: plan(detector(), *[feature(f) for f in FEATURES[:3]], feature("RDS_LOGIN_EVENTS", "DISABLED")),
        fails={'aws_guardduty_detector_feature.this["RDS_LOGIN_EVENTS"]', "aws_guardduty_detector.this"},
        undetermined=lambda: plan(detector(), *[feature(f, detector_id=U(
            f'aws_guardduty_detector_feature.this["{f}"].detector_id')) for f in FEATURES]),
        undetermined_at={"aws_guardduty_detector.this"},
    ),
    Case(
        "securityhub.standards",
        settings={"harness": {"securityhub": {"required_standards": [
            "aws-foundational-security-best-practices", "cis-aws-foundations-benchmark/v/1.4.0"]}}},
        passing=lambda: plan(res("aws_securityhub_account.this", {"enable_default_standards": False}),
                             subscription("fsbp", FSBP_ARN), subscription("cis", CIS_ARN)),
        failing=lambda: plan(res("aws_securityhub_account.this", {"enable_default_standards": False}),
                             subscription("fsbp", FSBP_ARN),
                             subscription("cis", CIS_ARN.replace("1.4.0", "3.0.0"))),
        fails={"aws_securityhub_account.this"},
        undetermined=lambda: plan(res("aws_securityhub_account.this", {}), subscription("x", U("local.arn"))),
        undetermined_at={"aws_securityhub_account.this"},
    ),
    Case(
        "tags.required",
        settings=REQUIRED_TAGS,
        passing=lambda: plan(res("aws_vpc.this", {"tags": GOOD_TAGS}),
                             res("aws_s3_bucket.b", {"tags": {"Team": "x"}, "tags_all": GOOD_TAGS}),
                             res("aws_route.r", {"destination_cidr_block": "0.0.0.0/0"})),
        failing=lambda: plan(res("aws_vpc.this", {"tags": {"Team": "platform"}}), res("aws_subnet.a", {}),
                             res("aws_kms_key.k", {"tags": GOOD_TAGS}),
                             res("aws_sqs_queue.q", {"tags": GOOD_TAGS, "tags_all": {"Team": "x"}})),
        fails={"aws_vpc.this", "aws_subnet.a", "aws_sqs_queue.q"},
        undetermined=lambda: plan(res("aws_vpc.this", {"tags": {"Team": "t"}, "tags_all": U("aws_vpc.this.tags_all")})),
        undetermined_at={"aws_vpc.this"},
    ),
    Case(
        "budgets.notifications",
        passing=lambda: plan(res("aws_budgets_budget.monthly", {"notification": [
            {"threshold": 80, "subscriber_email_addresses": ["finops@example.com"]}]})),
        failing=lambda: plan(res("aws_budgets_budget.none", {"name": "n"}),
                             res("aws_budgets_budget.nobody", {"notification": [
                                 {"threshold": 80, "subscriber_email_addresses": [],
                                  "subscriber_sns_topic_arns": []}]})),
        fails={"aws_budgets_budget.none", "aws_budgets_budget.nobody"},
        undetermined=lambda: plan(res("aws_budgets_budget.x", {"notification": U(None, "dynamic block")})),
        undetermined_at={"aws_budgets_budget.x"},
    ),
    # -- services ---------------------------------------------------------------------------
    Case(
        "s3.all-buckets-versioned",
        params={"exempt_buckets": ["acme-scratch-*"]},
        passing=lambda: plan(bucket(), res("aws_s3_bucket_versioning.this", {
            "bucket": on(), "versioning_configuration": [{"status": "Enabled"}]}),
                             bucket("scratch", "acme-scratch-1")),
        failing=lambda: plan(bucket(), bucket("logs", "acme-logs"), res("aws_s3_bucket_versioning.this", {
            "bucket": on(), "versioning_configuration": [{"status": "Enabled"}]})),
        fails={"aws_s3_bucket.logs"},
        undetermined=lambda: plan(bucket(), res("aws_s3_bucket_versioning.this", {
            "bucket": on(), "versioning_configuration": [{"status": U("var.status")}]})),
        undetermined_at={"aws_s3_bucket.this"},
    ),
    Case(
        "s3.access-logging",
        passing=lambda: plan(bucket(), res("aws_s3_bucket_logging.this", {"bucket": on(),
                                                                          "target_bucket": "acme-log"})),
        failing=lambda: plan(bucket(), bucket("other", "acme-other"),
                             res("aws_s3_bucket_logging.this", {"bucket": on(), "target_bucket": "acme-log"})),
        fails={"aws_s3_bucket.other"},
        undetermined=lambda: plan(bucket(), res("aws_s3_bucket_logging.x", {"bucket": U("var.bucket")})),
        undetermined_at={"aws_s3_bucket.this"},
    ),
    Case(
        "network.default-sg-managed",
        passing=lambda: plan(res("aws_vpc.this", {"id": U("aws_vpc.this.id")}),
                             res("aws_default_security_group.this", {"vpc_id": U("aws_vpc.this.id")})),
        failing=lambda: plan(res("aws_vpc.this", {"id": U("aws_vpc.this.id")})),
        fails={"aws_vpc.this"},
        undetermined=lambda: plan(res("aws_vpc.this", {"id": U("aws_vpc.this.id")}),
                                  res("aws_default_security_group.d", {"vpc_id": U("var.vpc_id")})),
        undetermined_at={"aws_vpc.this"},
    ),
    Case(
        "logs.retention",
        passing=lambda: plan(res("aws_cloudwatch_log_group.a", {"retention_in_days": 365})),
        failing=lambda: plan(res("aws_cloudwatch_log_group.a", {"retention_in_days": 0}),
                             res("aws_cloudwatch_log_group.b", {"retention_in_days": 7}),
                             res("aws_cloudwatch_log_group.c", {"name": "c"}),
                             res("aws_cloudwatch_log_group.d", {"retention_in_days": 400})),
        fails={"aws_cloudwatch_log_group.a", "aws_cloudwatch_log_group.b", "aws_cloudwatch_log_group.c"},
        undetermined=lambda: plan(res("aws_cloudwatch_log_group.a", {"retention_in_days": U("var.days")})),
        undetermined_at={"aws_cloudwatch_log_group.a"},
    ),
    Case(
        "logs.kms",
        passing=lambda: plan(res("aws_cloudwatch_log_group.a", {"kms_key_id": "arn:aws:kms:us-east-1:1:key/x"})),
        failing=lambda: plan(res("aws_cloudwatch_log_group.a", {"name": "a"}),
                             res("aws_cloudwatch_log_group.b", {"kms_key_id": U("aws_kms_key.k.arn")})),
        fails={"aws_cloudwatch_log_group.a"},
        undetermined=lambda: plan(res("aws_cloudwatch_log_group.a", {"kms_key_id": U("var.key")})),
        undetermined_at={"aws_cloudwatch_log_group.a"},
    ),
    Case(
        "kms.key-policy",
        passing=lambda: plan(res("aws_kms_key.a", {"policy": doc(READ_S3)}),
                             res("aws_kms_key.b", {"policy": U("data.aws_iam_policy_document.k.json")})),
        failing=lambda: plan(res("aws_kms_key.a", {"description": "no policy"}), res("aws_kms_key.b", {"policy": ""}),
                             res("aws_kms_key.c", {"policy": doc(READ_S3)})),
        fails={"aws_kms_key.a", "aws_kms_key.b"},
    ),
    Case(
        "iam.no-wildcard-resource-writes",
        passing=lambda: plan(res("aws_iam_policy.read", {"policy": doc(READ_S3)}),
                             res("aws_iam_policy.scoped", {"policy": doc({
                                 "Effect": "Allow", "Action": ["ec2:CreateTags", "s3:PutObject"],
                                 "Resource": "arn:aws:s3:::b/*"})})),
        failing=lambda: plan(res("aws_iam_policy.file", {"policy": doc({
                                 "Effect": "Allow", "Action": ["ec2:CreateVpc", "ec2:DeleteVpc", "ec2:Describe*"],
                                 "Resource": "*"})}),
                             res("aws_iam_role_policy.put", {"policy": doc({
                                 "Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": ["*"]})}),
                             res("aws_iam_policy.read", {"policy": doc(READ_S3)})),
        fails={"aws_iam_policy.file", "aws_iam_role_policy.put"},
        undetermined=lambda: plan(res("aws_iam_policy.p", {"policy": U("var.document")})),
        undetermined_at={"aws_iam_policy.p"},
    ),
    Case(
        "apigateway.tls12",
        passing=lambda: plan(res("aws_api_gateway_domain_name.a", {"security_policy": "TLS_1_2"}),
                             res("aws_apigatewayv2_domain_name.b", {"domain_name_configuration": [
                                 {"security_policy": "TLS_1_2"}]})),
        failing=lambda: plan(res("aws_api_gateway_domain_name.a", {"security_policy": "TLS_1_0"}),
                             res("aws_api_gateway_domain_name.unset", {"domain_name": "x"}),
                             res("aws_apigatewayv2_domain_name.b", {"domain_name_configuration": [
                                 {"security_policy": "TLS_1_2"}]})),
        fails={"aws_api_gateway_domain_name.a", "aws_api_gateway_domain_name.unset"},
        undetermined=lambda: plan(res("aws_api_gateway_domain_name.a", {"security_policy": U("var.tls")})),
        undetermined_at={"aws_api_gateway_domain_name.a"},
    ),
    Case(
        "secretsmanager.kms",
        passing=lambda: plan(res("aws_secretsmanager_secret.s", {"kms_key_id": U("aws_kms_key.k.arn")})),
        failing=lambda: plan(res("aws_secretsmanager_secret.s", {"name": "s"})),
        fails={"aws_secretsmanager_secret.s"},
        undetermined=lambda: plan(res("aws_secretsmanager_secret.s", {"kms_key_id": U("var.key")})),
        undetermined_at={"aws_secretsmanager_secret.s"},
    ),
    Case(
        "secretsmanager.rotation",
        passing=lambda: plan(res("aws_secretsmanager_secret.s", {"id": U("aws_secretsmanager_secret.s.id")}),
                             res("aws_secretsmanager_secret_rotation.s", {
                                 "secret_id": U("aws_secretsmanager_secret.s.id")})),
        failing=lambda: plan(res("aws_secretsmanager_secret.s", {"id": U("aws_secretsmanager_secret.s.id")}),
                             res("aws_secretsmanager_secret.t", {"id": U("aws_secretsmanager_secret.t.id")}),
                             res("aws_secretsmanager_secret_rotation.s", {
                                 "secret_id": U("aws_secretsmanager_secret.s.id")})),
        fails={"aws_secretsmanager_secret.t"},
        undetermined=lambda: plan(res("aws_secretsmanager_secret.s", {"id": U("aws_secretsmanager_secret.s.id")}),
                                  res("aws_secretsmanager_secret_rotation.r", {"secret_id": U("var.secret")})),
        undetermined_at={"aws_secretsmanager_secret.s"},
    ),
    Case(
        "sns.encryption",
        passing=lambda: plan(res("aws_sns_topic.t", {"kms_master_key_id": "alias/sns"})),
        failing=lambda: plan(res("aws_sns_topic.t", {"name": "t"}), res("aws_sns_topic.e", {"kms_master_key_id": ""})),
        fails={"aws_sns_topic.t", "aws_sns_topic.e"},
        undetermined=lambda: plan(res("aws_sns_topic.t", {"kms_master_key_id": U("var.key")})),
        undetermined_at={"aws_sns_topic.t"},
    ),
    Case(
        "sqs.encryption",
        passing=lambda: plan(res("aws_sqs_queue.kms", {"kms_master_key_id": "alias/sqs"}),
                             res("aws_sqs_queue.sse", {"sqs_managed_sse_enabled": True})),
        failing=lambda: plan(res("aws_sqs_queue.q", {"sqs_managed_sse_enabled": False})),
        fails={"aws_sqs_queue.q"},
        undetermined=lambda: plan(res("aws_sqs_queue.q", {"sqs_managed_sse_enabled": U("var.sse")})),
        undetermined_at={"aws_sqs_queue.q"},
    ),
    Case(
        "rds.backups",
        passing=lambda: plan(res("aws_db_instance.db", {"backup_retention_period": 14}),
                             res("aws_db_instance.member", {"cluster_identifier": "c"})),
        failing=lambda: plan(res("aws_db_instance.db", {"backup_retention_period": 0}),
                             res("aws_rds_cluster.c", {"engine": "aurora-postgresql"})),
        fails={"aws_db_instance.db", "aws_rds_cluster.c"},
        undetermined=lambda: plan(res("aws_db_instance.db", {"backup_retention_period": U("var.days")})),
        undetermined_at={"aws_db_instance.db"},
    ),
    Case(
        "rds.deletion-protection",
        passing=lambda: plan(res("aws_db_instance.db", {"deletion_protection": True})),
        failing=lambda: plan(res("aws_db_instance.db", {"deletion_protection": False}),
                             res("aws_rds_cluster.c", {"engine": "aurora-postgresql"})),
        fails={"aws_db_instance.db", "aws_rds_cluster.c"},
        undetermined=lambda: plan(res("aws_db_instance.db", {"deletion_protection": U("var.protect")})),
        undetermined_at={"aws_db_instance.db"},
    ),
    Case(
        "rds.no-public-access",
        passing=lambda: plan(res("aws_db_instance.db", {"publicly_accessible": False}),
                             res("aws_db_instance.unset", {"engine": "postgres"})),
        failing=lambda: plan(res("aws_db_instance.db", {"publicly_accessible": True})),
        fails={"aws_db_instance.db"},
        undetermined=lambda: plan(res("aws_db_instance.db", {"publicly_accessible": U("var.public")})),
        undetermined_at={"aws_db_instance.db"},
    ),
    Case(
        "cloudtrail.multi-region-validated",
        passing=lambda: plan(res("aws_cloudtrail.t", {"is_multi_region_trail": True,
                                                       "enable_log_file_validation": True})),
        failing=lambda: plan(res("aws_cloudtrail.t", {"is_multi_region_trail": True}),
                             res("aws_cloudtrail.single", {"enable_log_file_validation": True})),
        fails={"aws_cloudtrail.t", "aws_cloudtrail.single"},
        undetermined=lambda: plan(res("aws_cloudtrail.t", {"is_multi_region_trail": U("var.multi"),
                                                           "enable_log_file_validation": True})),
        undetermined_at={"aws_cloudtrail.t"},
    ),
    # -- the workload, edge and data-service packs (harness/policy/packs/) -------------------------
    Case(
        "lambda.env-kms",
        passing=lambda: plan(fn("a", environment=[{"variables": {"DB_HOST": "db"}}],
                                kms_key_arn=U("aws_kms_key.k.arn")),
                             fn("b"), fn("c", environment=[{"variables": {}}])),
        failing=lambda: plan(fn("a", environment=[{"variables": {"DB_HOST": "db"}}]),
                             fn("b", environment=[{"variables": {"X": "1"}}], kms_key_arn=""), fn("ok")),
        fails={"aws_lambda_function.a", "aws_lambda_function.b"},
        undetermined=lambda: plan(fn("a", environment=[{"variables": {"X": "1"}}], kms_key_arn=U("var.key"))),
        undetermined_at={"aws_lambda_function.a"},
    ),
    Case(
        "lambda.xray-tracing",
        passing=lambda: plan(fn("a", tracing_config=[{"mode": "Active"}])),
        failing=lambda: plan(fn("a", tracing_config=[{"mode": "PassThrough"}]), fn("b")),
        fails={"aws_lambda_function.a", "aws_lambda_function.b"},
        undetermined=lambda: plan(fn("a", tracing_config=[{"mode": U("var.tracing")}])),
        undetermined_at={"aws_lambda_function.a"},
    ),
    Case(
        "lambda.dead-letter-queue",
        passing=lambda: plan(fn("a", dead_letter_config=[{"target_arn": U("aws_sqs_queue.dlq.arn")}]),
                             fn("b", dead_letter_config=[{"target_arn": "arn:aws:sqs:us-east-1:1:dlq"}]),
                             # plan JSON names a nested unknown after itself: set, known after apply
                             fn("c", dead_letter_config=[{"target_arn": U(
                                 "aws_lambda_function.c.dead_letter_config.0.target_arn")}])),
        failing=lambda: plan(fn("a"), fn("b", dead_letter_config=[])),
        fails={"aws_lambda_function.a", "aws_lambda_function.b"},
        undetermined=lambda: plan(fn("a", dead_letter_config=[{"target_arn": U("var.dlq_arn")}])),
        undetermined_at={"aws_lambda_function.a"},
    ),
    Case(
        "lambda.in-vpc",
        passing=lambda: plan(fn("a", vpc_config=[{"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]}]),
                             fn("b", vpc_config=[{"subnet_ids": U("aws_subnet.private.*.id"),
                                                  "security_group_ids": [U("aws_security_group.fn.id")]}])),
        failing=lambda: plan(fn("a"), fn("b", vpc_config=[{"subnet_ids": [], "security_group_ids": []}])),
        fails={"aws_lambda_function.a", "aws_lambda_function.b"},
        undetermined=lambda: plan(fn("a", vpc_config=[{"subnet_ids": U("var.subnet_ids"),
                                                       "security_group_ids": ["sg-1"]}])),
        undetermined_at={"aws_lambda_function.a"},
    ),
    Case(
        "lambda.no-public-access",
        passing=lambda: plan(res("aws_lambda_permission.s3", {"principal": "s3.amazonaws.com",
                                                              "source_arn": U("aws_s3_bucket.b.arn")}),
                             res("aws_lambda_permission.account", {"principal": "*", "source_account": "111122223333"}),
                             res("aws_lambda_function_url.iam", {"authorization_type": "AWS_IAM"})),
        failing=lambda: plan(res("aws_lambda_permission.public", {"principal": "*", "action": "lambda:InvokeFunction"}),
                             res("aws_lambda_function_url.open", {"authorization_type": "NONE"}),
                             res("aws_lambda_permission.sns", {"principal": "sns.amazonaws.com"})),
        fails={"aws_lambda_permission.public", "aws_lambda_function_url.open"},
        undetermined=lambda: plan(res("aws_lambda_permission.p", {"principal": "*", "source_arn": U("var.caller")})),
        undetermined_at={"aws_lambda_permission.p"},
    ),
    Case(
        "elb.access-logs",
        passing=lambda: plan(res("aws_lb.app", {"access_logs": [{"bucket": "logs", "enabled": True}]}),
                             res("aws_lb.nlb", {"load_balancer_type": "network"}),
                             res("aws_elb.classic", {"access_logs": [{"bucket": "logs"}]})),
        failing=lambda: plan(res("aws_lb.app", {"name": "app"}),
                             res("aws_alb.b", {"access_logs": [{"bucket": "logs", "enabled": False}]}),
                             res("aws_elb.c", {"name": "c"})),
        fails={"aws_lb.app", "aws_alb.b", "aws_elb.c"},
        undetermined=lambda: plan(res("aws_lb.app", {"access_logs": [{"bucket": "l", "enabled": U("var.logs")}]})),
        undetermined_at={"aws_lb.app"},
    ),
    Case(
        "elb.drop-invalid-headers",
        passing=lambda: plan(res("aws_lb.app", {"drop_invalid_header_fields": True}),
                             res("aws_lb.nlb", {"load_balancer_type": "network"})),
        failing=lambda: plan(res("aws_lb.app", {"name": "app"}),
                             res("aws_alb.b", {"load_balancer_type": "application",
                                               "drop_invalid_header_fields": False})),
        fails={"aws_lb.app", "aws_alb.b"},
        undetermined=lambda: plan(res("aws_lb.app", {"load_balancer_type": U("var.lb_type")})),
        undetermined_at={"aws_lb.app"},
    ),
    Case(
        "elb.deletion-protection",
        passing=lambda: plan(res("aws_lb.app", {"enable_deletion_protection": True})),
        failing=lambda: plan(res("aws_lb.app", {"name": "app"}),
                             res("aws_alb.b", {"enable_deletion_protection": False})),
        fails={"aws_lb.app", "aws_alb.b"},
        undetermined=lambda: plan(res("aws_lb.app", {"enable_deletion_protection": U("var.protect")})),
        undetermined_at={"aws_lb.app"},
    ),
    Case(
        "elb.http-redirects-to-https",
        passing=lambda: plan(listener("http", "HTTP", redirect("HTTPS")), listener("https", "HTTPS", FORWARD),
                             listener("tcp", "TCP", FORWARD)),
        failing=lambda: plan(listener("http", "HTTP", FORWARD), listener("unset", None, redirect(None)),
                             listener("https", "HTTPS", FORWARD)),
        fails={"aws_lb_listener.http", "aws_lb_listener.unset"},
        undetermined=lambda: plan(listener("http", U("var.protocol"), FORWARD)),
        undetermined_at={"aws_lb_listener.http"},
    ),
    Case(
        "elb.listener-tls12",
        passing=lambda: plan(listener("https", "HTTPS", FORWARD, ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06"),
                             listener("tls", "TLS", FORWARD, ssl_policy="ELBSecurityPolicy-TLS-1-2-2017-01"),
                             listener("http", "HTTP", redirect("HTTPS"))),
        failing=lambda: plan(listener("unset", "HTTPS", FORWARD),
                             listener("old", "HTTPS", FORWARD, ssl_policy="ELBSecurityPolicy-2016-08"),
                             listener("tls11", "TLS", FORWARD, ssl_policy="ELBSecurityPolicy-TLS13-1-1-2021-06")),
        fails={"aws_lb_listener.unset", "aws_lb_listener.old", "aws_lb_listener.tls11"},
        undetermined=lambda: plan(listener("https", "HTTPS", FORWARD, ssl_policy=U("var.ssl_policy"))),
        undetermined_at={"aws_lb_listener.https"},
    ),
    Case(
        "ecr.immutable-tags",
        passing=lambda: plan(res("aws_ecr_repository.r", {"image_tag_mutability": "IMMUTABLE"})),
        failing=lambda: plan(res("aws_ecr_repository.r", {"image_tag_mutability": "MUTABLE"}),
                             res("aws_ecr_repository.s", {"name": "s"})),
        fails={"aws_ecr_repository.r", "aws_ecr_repository.s"},
        undetermined=lambda: plan(res("aws_ecr_repository.r", {"image_tag_mutability": U("var.mutability")})),
        undetermined_at={"aws_ecr_repository.r"},
    ),
    Case(
        "ecr.scan-on-push",
        passing=lambda: plan(res("aws_ecr_repository.r", {"image_scanning_configuration": [{"scan_on_push": True}]})),
        failing=lambda: plan(res("aws_ecr_repository.r", {"image_scanning_configuration": [{"scan_on_push": False}]}),
                             res("aws_ecr_repository.s", {"image_scanning_configuration": []})),
        fails={"aws_ecr_repository.r", "aws_ecr_repository.s"},
        undetermined=lambda: plan(res("aws_ecr_repository.r", {"image_scanning_configuration": [
            {"scan_on_push": U("var.scan")}]})),
        undetermined_at={"aws_ecr_repository.r"},
    ),
    Case(
        "ecr.kms",
        passing=lambda: plan(res("aws_ecr_repository.r", {"encryption_configuration": [
            {"encryption_type": "KMS", "kms_key": U("aws_kms_key.ecr.arn")}]})),
        failing=lambda: plan(res("aws_ecr_repository.r", {"encryption_configuration": [{"encryption_type": "AES256"}]}),
                             res("aws_ecr_repository.s", {"name": "s"})),
        fails={"aws_ecr_repository.r", "aws_ecr_repository.s"},
        undetermined=lambda: plan(res("aws_ecr_repository.r", {"encryption_configuration": [
            {"encryption_type": U("var.encryption")}]})),
        undetermined_at={"aws_ecr_repository.r"},
    ),
    Case(
        "eks.private-endpoint",
        passing=lambda: plan(eks("private", endpoint_public_access=False),
                             eks("restricted", endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24"])),
        failing=lambda: plan(eks("default"),
                             eks("open", endpoint_public_access=True, public_access_cidrs=["0.0.0.0/0"])),
        fails={"aws_eks_cluster.default", "aws_eks_cluster.open"},
        undetermined=lambda: plan(eks("c", public_access_cidrs=U("var.admin_cidrs"))),
        undetermined_at={"aws_eks_cluster.c"},
    ),
    Case(
        "eks.secrets-encryption",
        passing=lambda: plan(eks("c", top={"encryption_config": [
            {"resources": ["secrets"], "provider": [{"key_arn": U("aws_kms_key.k.arn")}]}]})),
        failing=lambda: plan(eks("c"), eks("d", top={"encryption_config": []})),
        fails={"aws_eks_cluster.c", "aws_eks_cluster.d"},
        undetermined=lambda: plan(eks("c", top={"encryption_config": [{"resources": U("var.encrypted_resources")}]})),
        undetermined_at={"aws_eks_cluster.c"},
    ),
    Case(
        "eks.control-plane-logging",
        passing=lambda: plan(eks("c", top={"enabled_cluster_log_types": ["api", "audit", "authenticator",
                                                                         "scheduler"]})),
        failing=lambda: plan(eks("c", top={"enabled_cluster_log_types": ["api"]}), eks("d")),
        fails={"aws_eks_cluster.c", "aws_eks_cluster.d"},
        undetermined=lambda: plan(eks("c", top={"enabled_cluster_log_types": U("var.log_types")})),
        undetermined_at={"aws_eks_cluster.c"},
    ),
    Case(
        "cloudfront.https-only",
        passing=lambda: plan(cdn("a", ordered=["https-only"])),
        failing=lambda: plan(cdn("a", default="allow-all"), cdn("b", ordered=["redirect-to-https", "allow-all"]),
                             cdn("ok")),
        fails={"aws_cloudfront_distribution.a", "aws_cloudfront_distribution.b"},
        undetermined=lambda: plan(cdn("a", default=U("var.viewer_protocol_policy"))),
        undetermined_at={"aws_cloudfront_distribution.a"},
    ),
    Case(
        "cloudfront.tls12",
        passing=lambda: plan(cdn("a")),
        failing=lambda: plan(cdn("a", viewer_certificate=[{"cloudfront_default_certificate": True}]),
                             cdn("b", viewer_certificate=[{"acm_certificate_arn": ACM,
                                                           "minimum_protocol_version": "TLSv1.1_2016"}]),
                             cdn("c", viewer_certificate=[{"acm_certificate_arn": ACM}])),
        fails={"aws_cloudfront_distribution.a", "aws_cloudfront_distribution.b", "aws_cloudfront_distribution.c"},
        undetermined=lambda: plan(cdn("a", viewer_certificate=[{"acm_certificate_arn": ACM,
                                                                "minimum_protocol_version": U("var.tls")}])),
        undetermined_at={"aws_cloudfront_distribution.a"},
    ),
    Case(
        "cloudfront.access-logging",
        passing=lambda: plan(cdn("a", logging_config=[{"bucket": "logs.s3.amazonaws.com"}])),
        failing=lambda: plan(cdn("a"), cdn("b", logging_config=[])),
        fails={"aws_cloudfront_distribution.a", "aws_cloudfront_distribution.b"},
        undetermined=lambda: plan(cdn("a", logging_config=[{"bucket": U("var.log_bucket")}])),
        undetermined_at={"aws_cloudfront_distribution.a"},
    ),
    Case(
        "cloudfront.waf",
        passing=lambda: plan(cdn("a", web_acl_id=U("aws_wafv2_web_acl.edge.arn"))),
        failing=lambda: plan(cdn("a"), cdn("b", web_acl_id="")),
        fails={"aws_cloudfront_distribution.a", "aws_cloudfront_distribution.b"},
        undetermined=lambda: plan(cdn("a", web_acl_id=U("var.web_acl_id"))),
        undetermined_at={"aws_cloudfront_distribution.a"},
    ),
    Case(
        "efs.encrypted",
        passing=lambda: plan(res("aws_efs_file_system.fs", {"encrypted": True, "kms_key_id": U("aws_kms_key.k.arn")})),
        failing=lambda: plan(res("aws_efs_file_system.fs", {"encrypted": False}),
                             res("aws_efs_file_system.gs", {"creation_token": "gs"})),
        fails={"aws_efs_file_system.fs", "aws_efs_file_system.gs"},
        undetermined=lambda: plan(res("aws_efs_file_system.fs", {"encrypted": U("var.encrypted")})),
        undetermined_at={"aws_efs_file_system.fs"},
    ),
    Case(
        "elasticache.encryption-at-rest",
        passing=lambda: plan(res("aws_elasticache_replication_group.r", {"at_rest_encryption_enabled": True})),
        failing=lambda: plan(res("aws_elasticache_replication_group.r", {"at_rest_encryption_enabled": False}),
                             res("aws_elasticache_replication_group.s", {"engine": "redis"})),
        fails={"aws_elasticache_replication_group.r", "aws_elasticache_replication_group.s"},
        undetermined=lambda: plan(res("aws_elasticache_replication_group.r", {
            "at_rest_encryption_enabled": U("var.encrypt")})),
        undetermined_at={"aws_elasticache_replication_group.r"},
    ),
    Case(
        "elasticache.encryption-in-transit",
        passing=lambda: plan(res("aws_elasticache_replication_group.r", {"transit_encryption_enabled": "true"})),
        failing=lambda: plan(res("aws_elasticache_replication_group.r", {"transit_encryption_enabled": False}),
                             res("aws_elasticache_replication_group.s", {"engine": "redis"})),
        fails={"aws_elasticache_replication_group.r", "aws_elasticache_replication_group.s"},
        undetermined=lambda: plan(res("aws_elasticache_replication_group.r", {
            "transit_encryption_enabled": U("var.tls")})),
        undetermined_at={"aws_elasticache_replication_group.r"},
    ),
    Case(
        "opensearch.encryption-at-rest",
        passing=lambda: plan(res("aws_opensearch_domain.d", {"encrypt_at_rest": [{"enabled": True}]}),
                             res("aws_elasticsearch_domain.e", {"encrypt_at_rest": [{"enabled": True}]})),
        failing=lambda: plan(res("aws_opensearch_domain.d", {"encrypt_at_rest": [{"enabled": False}]}),
                             res("aws_elasticsearch_domain.e", {"domain_name": "e"})),
        fails={"aws_opensearch_domain.d", "aws_elasticsearch_domain.e"},
        undetermined=lambda: plan(res("aws_opensearch_domain.d", {"encrypt_at_rest": [{"enabled": U("var.enc")}]})),
        undetermined_at={"aws_opensearch_domain.d"},
    ),
    Case(
        "opensearch.node-to-node-encryption",
        passing=lambda: plan(res("aws_opensearch_domain.d", {"node_to_node_encryption": [{"enabled": True}]})),
        failing=lambda: plan(res("aws_opensearch_domain.d", {"node_to_node_encryption": [{"enabled": False}]}),
                             res("aws_elasticsearch_domain.e", {"domain_name": "e"})),
        fails={"aws_opensearch_domain.d", "aws_elasticsearch_domain.e"},
        undetermined=lambda: plan(res("aws_opensearch_domain.d", {"node_to_node_encryption": [
            {"enabled": U("var.n2n")}]})),
        undetermined_at={"aws_opensearch_domain.d"},
    ),
    Case(
        "opensearch.https-tls12",
        passing=lambda: plan(res("aws_opensearch_domain.d", {"domain_endpoint_options": [
            {"enforce_https": True, "tls_security_policy": "Policy-Min-TLS-1-2-PFS-2023-10"}]})),
        failing=lambda: plan(res("aws_elasticsearch_domain.e", {"domain_name": "e"}),
                             res("aws_opensearch_domain.d", {"domain_endpoint_options": [
                                 {"enforce_https": True, "tls_security_policy": "Policy-Min-TLS-1-0-2019-07"}]})),
        fails={"aws_elasticsearch_domain.e", "aws_opensearch_domain.d"},
        undetermined=lambda: plan(res("aws_opensearch_domain.d", {"domain_endpoint_options": [
            {"enforce_https": U("var.https"), "tls_security_policy": "Policy-Min-TLS-1-2-2019-07"}]})),
        undetermined_at={"aws_opensearch_domain.d"},
    ),
    Case(
        "kinesis.encryption",
        passing=lambda: plan(res("aws_kinesis_stream.s", {"encryption_type": "KMS",
                                                          "kms_key_id": "alias/aws/kinesis"})),
        failing=lambda: plan(res("aws_kinesis_stream.s", {"encryption_type": "NONE"}),
                             res("aws_kinesis_stream.t", {"name": "t"})),
        fails={"aws_kinesis_stream.s", "aws_kinesis_stream.t"},
        undetermined=lambda: plan(res("aws_kinesis_stream.s", {"encryption_type": U("var.encryption")})),
        undetermined_at={"aws_kinesis_stream.s"},
    ),
    Case(
        "firehose.encryption",
        passing=lambda: plan(res("aws_kinesis_firehose_delivery_stream.put", {"server_side_encryption": [
                                 {"enabled": True, "key_type": "AWS_OWNED_CMK"}]}),
                             res("aws_kinesis_firehose_delivery_stream.from_stream", {"kinesis_source_configuration": [
                                 {"kinesis_stream_arn": U("aws_kinesis_stream.s.arn")}]})),
        failing=lambda: plan(res("aws_kinesis_firehose_delivery_stream.a", {"destination": "extended_s3"}),
                             res("aws_kinesis_firehose_delivery_stream.b", {"server_side_encryption": [
                                 {"enabled": False}]})),
        fails={"aws_kinesis_firehose_delivery_stream.a", "aws_kinesis_firehose_delivery_stream.b"},
        undetermined=lambda: plan(res("aws_kinesis_firehose_delivery_stream.a", {"server_side_encryption": [
            {"enabled": U("var.sse")}]})),
        undetermined_at={"aws_kinesis_firehose_delivery_stream.a"},
    ),
    Case(
        "codebuild.kms",
        passing=lambda: plan(res("aws_codebuild_project.p", {"encryption_key": U("aws_kms_key.build.arn")})),
        failing=lambda: plan(res("aws_codebuild_project.p", {"name": "p"})),
        fails={"aws_codebuild_project.p"},
        undetermined=lambda: plan(res("aws_codebuild_project.p", {"encryption_key": U("var.key_arn")})),
        undetermined_at={"aws_codebuild_project.p"},
    ),
    Case(
        "codebuild.no-privileged-mode",
        params={"allowed_projects": ["docker-*"]},
        passing=lambda: plan(build("app", False), build("docker-images", True), build("unset", None)),
        failing=lambda: plan(build("app", True), build("docker-images", True)),
        fails={"aws_codebuild_project.app"},
        undetermined=lambda: plan(build("app", U("var.privileged"))),
        undetermined_at={"aws_codebuild_project.app"},
    ),
    Case(
        "ecs.no-privileged-containers",
        passing=lambda: plan(task("t", {"name": "app", "privileged": False}, {"name": "sidecar"})),
        failing=lambda: plan(task("t", {"name": "app"}, {"name": "agent", "privileged": True}),
                             res("aws_ecs_task_definition.bad", {"container_definitions": "[{not json"})),
        fails={"aws_ecs_task_definition.t", "aws_ecs_task_definition.bad"},
        # the image comes from a repository created in the same plan: the whole JSON is known after apply
        undetermined=lambda: plan(res("aws_ecs_task_definition.t", {
            "container_definitions": U("aws_ecr_repository.app.repository_url")})),
        undetermined_at={"aws_ecs_task_definition.t"},
    ),
    Case(
        "ecs.read-only-root-filesystem",
        passing=lambda: plan(task("t", {"name": "app", "readonlyRootFilesystem": True},
                                  {"name": "sidecar", "readonlyRootFilesystem": True})),
        failing=lambda: plan(task("t", {"name": "app", "readonlyRootFilesystem": True}, {"name": "sidecar"}),
                             task("u", {"name": "app", "readonlyRootFilesystem": False})),
        fails={"aws_ecs_task_definition.t", "aws_ecs_task_definition.u"},
        undetermined=lambda: plan(res("aws_ecs_task_definition.t", {"container_definitions": U("var.containers")})),
        undetermined_at={"aws_ecs_task_definition.t"},
    ),
    Case(
        "wafv2.logging",
        passing=lambda: plan(res("aws_wafv2_web_acl.this", {"name": "edge"}),
                             res("aws_wafv2_web_acl_logging_configuration.this", {
                                 "resource_arn": U("aws_wafv2_web_acl.this.arn"),
                                 "log_destination_configs": [U("aws_cloudwatch_log_group.waf.arn")]})),
        failing=lambda: plan(res("aws_wafv2_web_acl.this", {"name": "edge"}), res("aws_wafv2_web_acl.other"),
                             res("aws_wafv2_web_acl_logging_configuration.other", {
                                 "resource_arn": U("aws_wafv2_web_acl.other.arn")})),
        fails={"aws_wafv2_web_acl.this"},
        undetermined=lambda: plan(res("aws_wafv2_web_acl.this", {"name": "edge"}),
                                  res("aws_wafv2_web_acl_logging_configuration.x", {"resource_arn": U("var.acl_arn")})),
        undetermined_at={"aws_wafv2_web_acl.this"},
    ),
]

IDS = [c.policy for c in CASES]


def _context(case: Case) -> Any:
    return ctx(case.settings, vars=case.vars, **case.extra)


#: Policies that need a whole repository (manifest files and lines), tested there on real files.
TESTED_ON_REPOSITORIES = {"secrets.stack-literal": "tests/unit/harness/secrets/test_stack_literal_policy.py"}


def test_every_builtin_policy_has_a_case() -> None:
    from tests.unit.harness.conftest import REPO

    assert sorted([*IDS, *TESTED_ON_REPOSITORIES]) == sorted(p.id for p in catalog())
    for policy_id, module in TESTED_ON_REPOSITORIES.items():
        assert policy_id in (REPO / module).read_text(encoding="utf-8"), module
    assert len(IDS) >= 25


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_passes(case: Case) -> None:
    result = run(case.policy, case.passing(), _context(case), **case.params)
    assert not result.errors
    assert result.findings == []
    assert result.passed == [case.policy]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fails_exactly_where_expected(case: Case) -> None:
    result = run(case.policy, case.failing(), _context(case), **case.params)
    assert failed(result) == case.fails
    assert not result.undetermined
    for finding in result.failures:
        assert finding.stack == "acme-ue1-prod" and finding.component == "c"
        assert finding.location == "main.tf:10"
        assert finding.message


@pytest.mark.parametrize("case", [c for c in CASES if c.undetermined], ids=[c.policy for c in CASES if c.undetermined])
def test_undetermined_is_never_a_pass(case: Case) -> None:
    assert case.undetermined is not None
    result = run(case.policy, case.undetermined(), _context(case), **case.params)
    assert undetermined_at(result) == case.undetermined_at
    assert not result.failures
    assert case.policy not in result.passed


# -- details the table does not show -----------------------------------------------------------


def test_admin_port_finding_names_ports_value_and_path() -> None:
    the_plan = plan(res("aws_security_group.web", {"ingress": [
        {"cidr_blocks": ["10.0.0.0/8"], "from_port": 443, "to_port": 443, "protocol": "tcp"},
        {"cidr_blocks": ["0.0.0.0/0"], "from_port": 20, "to_port": 25, "protocol": "tcp"}]}, line=51))
    [finding] = run("network.no-public-admin-ports", the_plan).failures
    assert finding.path == "ingress.1"
    assert finding.value == {"cidrs": ["0.0.0.0/0"], "ports": [22]}
    assert finding.source is not None and str(finding.source) == "main.tf:51"
    assert finding.severity is Severity.CRITICAL
    assert "CIS-5.2" in finding.controls and "NIST-SC-7" in finding.controls
    assert "admin port(s) 22 (tcp 20-25)" in finding.message


def test_admin_ports_param_replaces_the_default() -> None:
    the_plan = plan(sg_rule("winrm", ["0.0.0.0/0"], 5985))
    assert failed(run("network.no-public-admin-ports", the_plan)) == set()
    assert failed(run("network.no-public-admin-ports", the_plan, ports=[22, 3389, 5985])) == {
        "aws_security_group_rule.winrm"}


def test_recorded_security_group_without_inline_rules_is_not_undetermined() -> None:
    # plan JSON marks the computed ``ingress`` of a group whose rules live elsewhere as unknown
    group = res("aws_security_group.db", {"ingress": U("aws_security_group.db.ingress"),
                                           "egress": U("aws_security_group.db.egress")})
    for pid in ("network.no-public-admin-ports", "network.no-public-ingress", "network.unrestricted-egress"):
        result = run(pid, plan(group))
        assert result.findings == [] and result.passed == [pid]


def test_public_subnets_are_fine_outside_the_protected_stages() -> None:
    the_plan = plan(res("aws_subnet.public", {"map_public_ip_on_launch": True}))
    assert failed(run("network.no-public-ip-subnets", the_plan, ctx(vars={"stage": "dev"}))) == set()
    assert failed(run("network.no-public-ip-subnets", the_plan, ctx(vars={"stage": "dev"}), stages=["*"])) == {
        "aws_subnet.public"}


def test_missing_flow_log_is_undetermined_when_the_plan_has_unexpanded_blocks() -> None:
    the_plan = plan(res("aws_vpc.this"), unexpanded=(Deferred("module.flow_logs", "registry module"),))
    result = run("network.vpc-flow-logs", the_plan)
    assert undetermined_at(result) == {"aws_vpc.this"}
    assert "module.flow_logs" in result.undetermined[0].message


def test_flow_log_matches_the_vpc_in_the_same_module_only() -> None:
    the_plan = plan(res("module.a.aws_vpc.this"), res("module.b.aws_vpc.this"),
                    res("module.a.aws_flow_log.this", {"vpc_id": U("module.a.aws_vpc.this.id")}))
    assert failed(run("network.vpc-flow-logs", the_plan)) == {"module.b.aws_vpc.this"}


def test_s3_versioning_all_buckets_and_suspended_versioning() -> None:
    the_plan = plan(bucket(), res("aws_s3_bucket_versioning.this", {
        "bucket": on(), "versioning_configuration": [{"status": "Suspended"}]}), bucket("other", "acme-other"))
    assert failed(run("s3.versioning", the_plan)) == set()  # no state bucket: nothing to check
    assert failed(run("s3.versioning", the_plan, all_buckets=True)) == {
        "aws_s3_bucket_versioning.this", "aws_s3_bucket.other"}
    assert failed(run("s3.versioning", the_plan, buckets=["acme-oth*"])) == {"aws_s3_bucket.other"}
    marked = ctx({"harness": {"state_bucket": True}})
    assert failed(run("s3.versioning", the_plan, marked)) == {"aws_s3_bucket_versioning.this", "aws_s3_bucket.other"}


def test_account_level_public_access_block_covers_buckets() -> None:
    the_plan = plan(bucket(), res("aws_s3_account_public_access_block.this", PAB_ON))
    assert failed(run("s3.public-access-block", the_plan)) == set()
    assert failed(run("s3.public-access-block", the_plan, account_level=False)) == {"aws_s3_bucket.this"}


def test_invalid_policy_json_fails_with_a_clear_message() -> None:
    result = run("iam.no-admin-access", plan(res("aws_iam_policy.p", {"policy": "{not json"})))
    [finding] = result.failures
    assert "policy document is invalid: not valid JSON" in finding.message


def test_tags_from_provider_default_tags_count() -> None:
    the_plan = plan(res("aws_vpc.this", {"tags": {"Team": "platform"}}))
    context = ctx(REQUIRED_TAGS, default_tags={"CostCenter": "CC-9"})
    assert failed(run("tags.required", the_plan, context)) == set()
    assert failed(run("tags.required", the_plan, ctx(REQUIRED_TAGS), tags=["Owner"])) == {"aws_vpc.this"}
    [finding] = run("tags.required", the_plan, ctx(REQUIRED_TAGS), tags=["Owner"]).failures
    assert finding.value == ["CostCenter", "Owner"]


def test_securityhub_standards_param_applies_without_stack_settings() -> None:
    the_plan = plan(res("aws_securityhub_account.this", {"enable_default_standards": False}))
    [finding] = run("securityhub.standards", the_plan).failures
    assert finding.value == "aws-foundational-security-best-practices"
    default_on = plan(res("aws_securityhub_account.this", {"enable_default_standards": True}))
    assert run("securityhub.standards", default_on).findings == []


def test_guardduty_legacy_datasources_count_as_features() -> None:
    the_plan = plan(detector(datasources=[{"s3_logs": [{"enable": True}]}]))
    result = run("guardduty.features", the_plan, features=["S3_DATA_EVENTS"])
    assert result.findings == []
    result = run("guardduty.features", the_plan, features=["S3_DATA_EVENTS", "EKS_AUDIT_LOGS"])
    [finding] = result.failures
    assert finding.value == "EKS_AUDIT_LOGS"


def test_resources_being_destroyed_are_not_checked_and_protect_nothing() -> None:
    gone = res("aws_kms_key.old", {}, actions=("delete",))
    assert run("kms.key-rotation", plan(gone)).findings == []
    the_plan = plan(bucket(), res("aws_s3_bucket_public_access_block.this", {"bucket": on(), **PAB_ON},
                                  actions=("delete",)))
    assert failed(run("s3.public-access-block", the_plan)) == {"aws_s3_bucket.this"}
