"""Every policy on every real plan in ../shared/oracle/plans (see SOURCES.md there): what they find, exactly.

These plans come from other projects' test suites (checkov, trivy, terraform-compliance),
most of them deliberately insecure. The context is bare (no stack settings, no stage), so
``tags.required`` has nothing to require and ``network.no-public-ip-subnets`` (prod only)
does not apply. Plan JSON marks a reference to a resource created in the same plan as
"known after apply" without saying which resource it is (that is in ``configuration``,
which the plan model does not carry), so links such as flow log -> VPC or public access
block -> bucket by ``.id`` come out undetermined, never passed.
"""

from __future__ import annotations

import datetime as dt

import pytest

from harness.engines.recorded import load_plan_file
from harness.plan import Plan
from harness.policy import PolicyContext, catalog, evaluate

from ..oracle import ORACLE

PLANS = ORACLE / "plans"
LATER_PACKS = ("harness.policy.packs.services", "harness.policy.packs.workloads", "harness.policy.packs.edge",
               "harness.policy.packs.data_services")
Found = set[tuple[str, str, str | None]]


def load(name: str) -> Plan:
    if not (PLANS / name).is_file():
        pytest.skip(f"oracle plans not found at {PLANS} (set HARNESS_ORACLE_DIR)")
    return load_plan_file(PLANS / name, stack="oracle", component=name.split("__")[0])


def run(name: str) -> Found:
    # the expectations predate the service and workload packs (their policies have their own cases in
    # test_builtin_policies; test_workload_policies runs the workload pack on these plans)
    policies = [p for p in catalog() if p.check.__module__ not in LATER_PACKS]
    result = evaluate(load(name), PolicyContext(stack="oracle", component="c"), policies, today=dt.date(2026, 1, 1))
    assert result.errors == []
    assert len(result.passed) + len(result.not_applicable) + len({f.policy for f in result.findings}) == len(policies)
    assert not set(result.passed) & set(result.not_applicable)
    return {(str(f.outcome), f.policy, f.address) for f in result.findings}


def test_every_oracle_plan_is_covered() -> None:
    if not PLANS.is_dir():
        pytest.skip(f"oracle plans not found at {PLANS}")
    assert sorted(p.name for p in PLANS.glob("*.json")) == sorted(EXPECTED)


def test_checkov_for_each_enrichment() -> None:
    # three module instances of one security group allowing all traffic (-1, 0-65535) from 0.0.0.0/0:
    # admin ports 22/3389 are inside, and any public ingress is flagged; egress is computed (not configured)
    assert run("checkov-for-each-enrichment__tf_plan.json") == EXPECTED["checkov-for-each-enrichment__tf_plan.json"]


def test_checkov_github_oidc() -> None:
    # roles carry inline_policy blocks and no boundary; their trust policies come from
    # data.aws_iam_policy_document sources read only at apply (deferred), so the trust
    # checks are undetermined rather than passed
    assert run("checkov-github-oidc__tfplan.json") == EXPECTED["checkov-github-oidc__tfplan.json"]


def test_checkov_nested_child_modules() -> None:
    # no bucket has SSE-KMS or a bucket policy; one bucket ACL is public-read-write; one public
    # access block turns all four settings off (reported on the block itself). Every block's
    # `bucket` is aws_s3_bucket.<x>.id, unknown in plan JSON: which bucket each protects cannot be told
    assert run("checkov-nested-child-modules__tfplan.json") == EXPECTED["checkov-nested-child-modules__tfplan.json"]


def test_checkov_runner_plan() -> None:
    # the TerraGoat-style fixture: open SSH on web-node, unencrypted EBS/RDS, IMDSv1, s3:*/ec2:* grants,
    # a user policy, a KMS key without rotation, public-read bucket, provider-v3 inline bucket settings
    # (aws_s3_bucket.logs has inline aws:kms, so only it passes s3.encryption-kms); the flow log's vpc_id
    # is unknown, so neither VPC can be shown to have flow logs
    assert run("checkov-runner-plan__tfplan.json") == EXPECTED["checkov-runner-plan__tfplan.json"]


def test_terraform_compliance_issue796() -> None:
    # an event rule and a lambda permission: nothing any policy looks at
    assert run("terraform-compliance-issue796__plan.out.json") == set()


def test_trivy_module_call() -> None:
    # one bare bucket in a local module (AWS provider 6 format): no encryption, no public access block,
    # no TLS-only policy
    assert run("trivy-tfjson__module_call.json") == EXPECTED["trivy-tfjson__module_call.json"]


SG = 'module.sg["{}"].aws_security_group.bad'
ROLES = [f'module.poc.aws_iam_role.{r}["{k}"]' for r in ("r1", "r6") for k in ("p1", "p2")]
NESTED_BUCKETS = ["aws_s3_bucket.root_bucket", "module.s3_bucket.aws_s3_bucket.this[0]",
                  "module.s3_module.aws_s3_bucket.module_bucket",
                  "module.s3_module.module.s3_submodule.aws_s3_bucket.submodule_bucket"]
RUNNER_BUCKETS = [f"aws_s3_bucket.{b}" for b in ("data", "data_science", "financials", "flowbucket", "logs",
                                                   "operations")]

EXPECTED: dict[str, Found] = {
    "checkov-for-each-enrichment__tf_plan.json": {
        (outcome, pid, SG.format(key)) for key in ("awful_example", "bad_example", "terrible_example")
        for outcome, pid in (("fail", "network.no-public-admin-ports"), ("fail", "network.no-public-ingress"))
    },
    "checkov-github-oidc__tfplan.json": {
        *{("fail", "iam.no-inline-policies", r) for r in ROLES},
        *{("fail", "iam.role-permissions-boundary", r) for r in ROLES},
        *{("undetermined", "iam.no-public-trust", r) for r in ROLES},
        *{("undetermined", "iam.policy-size", r) for r in ROLES},
    },
    "checkov-nested-child-modules__tfplan.json": {
        *{("fail", "s3.encryption-kms", b) for b in NESTED_BUCKETS},
        *{("fail", "s3.tls-only", b) for b in NESTED_BUCKETS},
        # three public access blocks name their bucket in the configuration's references: linked, complete;
        # the module's own refers to a bucket policy or the bucket (a conditional): still undecided
        ("undetermined", "s3.public-access-block", "module.s3_bucket.aws_s3_bucket.this[0]"),
        ("fail", "s3.no-public-acl", "module.s3_bucket.aws_s3_bucket_acl.this[0]"),
        ("fail", "s3.public-access-block", "module.s3_bucket.aws_s3_bucket_public_access_block.this[0]"),
    },
    "checkov-runner-plan__tfplan.json": {
        ("fail", "ec2.ebs-encrypted", "aws_ebs_volume.web_host_storage"),
        ("fail", "ec2.imdsv2", "aws_instance.db_app"),
        ("fail", "ec2.imdsv2", "aws_instance.web_host"),
        ("fail", "iam.no-inline-policies", "aws_iam_role_policy.ec2policy"),
        ("fail", "iam.no-inline-policies", "aws_iam_user_policy.userpolicy"),
        ("fail", "iam.no-service-wildcards", "aws_iam_role_policy.ec2policy"),
        ("fail", "iam.no-service-wildcards", "aws_iam_user_policy.userpolicy"),
        ("fail", "iam.no-user-policies", "aws_iam_user_policy.userpolicy"),
        ("fail", "iam.role-permissions-boundary", "aws_iam_role.ec2role"),
        ("fail", "iam.role-permissions-boundary", "aws_iam_role.iam_for_eks"),
        ("fail", "iam.role-permissions-boundary", "aws_iam_role.iam_for_lambda"),
        ("fail", "kms.key-rotation", "aws_kms_key.logs_key"),
        ("fail", "network.no-public-admin-ports", "aws_security_group.web-node"),
        ("fail", "network.no-public-ingress", "aws_security_group.web-node"),
        ("fail", "network.unrestricted-egress", "aws_security_group.web-node"),
        ("fail", "network.unrestricted-egress", "aws_security_group_rule.egress"),
        ("fail", "rds.storage-encrypted", "aws_db_instance.default"),
        ("fail", "s3.no-public-acl", "aws_s3_bucket.data"),
        *{("fail", "s3.encryption-kms", b) for b in RUNNER_BUCKETS if b != "aws_s3_bucket.logs"},
        *{("fail", "s3.public-access-block", b) for b in RUNNER_BUCKETS},
        *{("fail", "s3.tls-only", b) for b in RUNNER_BUCKETS},
        # the one flow log's vpc_id refers to web_vpc in the configuration: eks_vpc has none
        ("fail", "network.vpc-flow-logs", "aws_vpc.eks_vpc"),
    },
    "terraform-compliance-issue796__plan.out.json": set(),
    "trivy-tfjson__module_call.json": {
        ("fail", "s3.encryption-kms", "module.s3_bucket.aws_s3_bucket.main"),
        ("fail", "s3.public-access-block", "module.s3_bucket.aws_s3_bucket.main"),
        ("fail", "s3.tls-only", "module.s3_bucket.aws_s3_bucket.main"),
    },
}


def test_runner_plan_finding_details() -> None:
    """The web-node group opens SSH (22) and HTTP (80) to the world; the S3/EC2 wildcard grants are named."""
    result = evaluate(load("checkov-runner-plan__tfplan.json"), PolicyContext(stack="oracle", component="c"),
                      ["network.no-public-ingress", "iam.no-service-wildcards"], today=dt.date(2026, 1, 1))
    ingress = sorted(f.message for f in result.failures if f.policy == "network.no-public-ingress")
    assert ingress == ["ingress from 0.0.0.0/0 (tcp 22)", "ingress from 0.0.0.0/0 (tcp 80)"]
    wild = {f.address: f.value for f in result.failures if f.policy == "iam.no-service-wildcards"}
    assert wild == {"aws_iam_role_policy.ec2policy": ["s3:*", "ec2:*", "rds:*"],
                    "aws_iam_user_policy.userpolicy": ["ec2:*", "s3:*", "lambda:*", "cloudwatch:*"]}
