"""Copies of the example with one gap injected into one stack: each service and organization policy fails
exactly that instance, naming the ``.tf`` file:line and its control ids.

Every copy runs the check library (what ``harness check`` runs) with the static engine and checkov off. A gap
that stack vars can express goes through vars (an inline policy, a CIDR); otherwise the component copy gets a
resource gated by a var (``gap``, false by default) that only the one stack sets, so the other instances of
the same component stay as they were.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from harness.check import CheckResult, run_check
from harness.policy import Finding, Outcome, default_registry
from harness.policy.organization import BY_ID as ORG_POLICIES
from harness.session import HarnessSession, SessionOptions
from tests.unit.harness.conftest import edit

TODAY = dt.date(2026, 12, 1)
VPC = "components/terraform/vpc"
STAGING = "stacks/orgs/acme/plat/staging/us-east-1.yaml"
UW2_PROD = "stacks/orgs/acme/plat/prod/us-west-2.yaml"
GATE = 'variable "gap" {\n  type    = bool\n  default = false\n}\n\n'


@dataclass(frozen=True)
class Gap:
    """One injected gap: what the copy gets and where the policy must then fail."""

    policy: str
    #: Files added to the copy (repository-relative path -> text).
    files: dict[str, str] = field(default_factory=dict)
    #: Exact-snippet edits of the copy: (path, old, new). The last ones inject the gap into one stack.
    edits: tuple[tuple[str, str, str], ...] = ()
    stack: str = "plat-ue1-staging"
    component: str = "vpc"
    #: Where the finding points: (file inside the component folder, the block it names), None: no resource.
    at: tuple[str, str] | None = None
    #: Org-wide waivers removed from the copy (they would hide the gap).
    unwaive: tuple[str, ...] = ()
    #: Other instances a clash names besides the injected one (both sides of a duplicate are reported).
    also: tuple[tuple[str, str], ...] = ()


def gated(body: str) -> dict[str, str]:
    """The vpc component copy's ``gap.tf``: the var and the resources it gates."""
    return {f"{VPC}/gap.tf": GATE + body}


def in_stack(path: str = STAGING, component: str = "vpc", line: str = "gap: true") -> tuple[str, str, str]:
    """Set a var of ``component`` in one stack manifest (after its role_arn, indented like it)."""
    anchors = {"vpc": "    vpc:\n      vars:\n", "iam-role/defaults": "    iam-role/defaults:\n      vars:\n"}
    return (path, anchors[component], anchors[component] + f"        {line}\n")


BUCKET = """resource "aws_s3_bucket" "gap" {
  count  = var.gap ? 1 : 0
  bucket = "${local.id}-gap"
  tags   = local.tags
}
"""
VERSIONING = """
resource "aws_s3_bucket_versioning" "gap" {
  count  = var.gap ? 1 : 0
  bucket = aws_s3_bucket.gap[0].id
  versioning_configuration {
    status = "Enabled"
  }
}
"""
LOGGING = """
resource "aws_s3_bucket_logging" "gap" {
  count         = var.gap ? 1 : 0
  bucket        = aws_s3_bucket.gap[0].id
  target_bucket = "acme-core-ue1-log-archive-flow-logs"
  target_prefix = "s3/"
}
"""
KEY = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def log_group(settings: str) -> str:
    return f"""resource "aws_cloudwatch_log_group" "gap" {{
  count = var.gap ? 1 : 0
  name  = "/acme/${{local.id}}/gap"
{settings}
  tags  = local.tags
}}
"""


def secret(settings: str, rotation: bool) -> str:
    text = f"""resource "aws_secretsmanager_secret" "gap" {{
  count = var.gap ? 1 : 0
  name  = "${{local.id}}-gap"
{settings}
  tags  = local.tags
}}
"""
    if rotation:
        text += """
resource "aws_secretsmanager_secret_rotation" "gap" {
  count               = var.gap ? 1 : 0
  secret_id           = aws_secretsmanager_secret.gap[0].id
  rotation_lambda_arn = "arn:aws:lambda:us-east-1:222222222222:function:rotate"
  rotation_rules {
    automatically_after_days = 30
  }
}
"""
    return text


def database(backups: int, protected: str, public: str) -> str:
    return f"""resource "aws_db_instance" "gap" {{
  count                   = var.gap ? 1 : 0
  identifier              = "${{local.id}}-gap"
  engine                  = "postgres"
  instance_class          = "db.t4g.micro"
  allocated_storage       = 20
  username                = "app"
  manage_master_user_password = true
  storage_encrypted       = true
  kms_key_id              = "{KEY}"
  backup_retention_period = {backups}
  deletion_protection     = {protected}
  publicly_accessible     = {public}
  tags                    = local.tags
}}
"""


SERVICE_GAPS = [
    Gap("s3.all-buckets-versioned", gated(BUCKET + LOGGING), (in_stack(),), at=("gap.tf", "aws_s3_bucket.gap[0]")),
    Gap("s3.access-logging", gated(BUCKET + VERSIONING), (in_stack(),), at=("gap.tf", "aws_s3_bucket.gap[0]")),
    Gap("network.default-sg-managed", gated(""),
        ((f"{VPC}/main.tf", 'resource "aws_default_security_group" "this" {\n',
          'resource "aws_default_security_group" "this" {\n  count = var.gap ? 0 : 1\n'), in_stack()),
        at=("main.tf", "aws_vpc.this")),
    Gap("logs.retention", gated(log_group(f'  kms_key_id = "{KEY}"')), (in_stack(),),
        at=("gap.tf", "aws_cloudwatch_log_group.gap[0]")),
    Gap("logs.kms", gated(log_group("  retention_in_days = 365")), (in_stack(),),
        at=("gap.tf", "aws_cloudwatch_log_group.gap[0]")),
    Gap("kms.key-policy", gated('resource "aws_kms_key" "gap" {\n  count = var.gap ? 1 : 0\n'
                                '  description = "gap"\n  enable_key_rotation = true\n  tags = local.tags\n}\n'),
        (in_stack(),), at=("gap.tf", "aws_kms_key.gap[0]")),
    # through the stack's vars only: an inline policy of the stack's ci-deployer role
    Gap("iam.no-wildcard-resource-writes",
        edits=((STAGING, "        monthly_limit_amount: 3000\n",
                "        monthly_limit_amount: 3000\n\n    iam-role/ci-deployer:\n      vars:\n"
                "        inline_policies:\n          cleanup:\n            - sid: Cleanup\n"
                "              actions: [s3:DeleteObject, ec2:TerminateInstances]\n"
                "              resources: ['*']\n"),),
        component="iam-role/ci-deployer", at=("main.tf", 'aws_iam_role_policy.inline["cleanup"]')),
    Gap("apigateway.tls12", gated('resource "aws_api_gateway_domain_name" "gap" {\n  count = var.gap ? 1 : 0\n'
                                  '  domain_name = "api.staging.acme.example.com"\n'
                                  '  regional_certificate_arn = "arn:aws:acm:us-east-1:222222222222:certificate/x"\n'
                                  '  security_policy = "TLS_1_0"\n  endpoint_configuration {\n'
                                  '    types = ["REGIONAL"]\n  }\n  tags = local.tags\n}\n'),
        (in_stack(),), at=("gap.tf", "aws_api_gateway_domain_name.gap[0]")),
    Gap("secretsmanager.kms", gated(secret("", rotation=True)), (in_stack(),),
        at=("gap.tf", "aws_secretsmanager_secret.gap[0]")),
    Gap("secretsmanager.rotation", gated(secret(f'  kms_key_id = "{KEY}"', rotation=False)), (in_stack(),),
        at=("gap.tf", "aws_secretsmanager_secret.gap[0]")),
    Gap("sns.encryption", gated('resource "aws_sns_topic" "gap" {\n  count = var.gap ? 1 : 0\n'
                                '  name = "${local.id}-gap"\n  tags = local.tags\n}\n'),
        (in_stack(),), at=("gap.tf", "aws_sns_topic.gap[0]")),
    Gap("sqs.encryption", gated('resource "aws_sqs_queue" "gap" {\n  count = var.gap ? 1 : 0\n'
                                '  name = "${local.id}-gap"\n  sqs_managed_sse_enabled = false\n'
                                '  tags = local.tags\n}\n'),
        (in_stack(),), at=("gap.tf", "aws_sqs_queue.gap[0]")),
    Gap("rds.backups", gated(database(1, "true", "false")), (in_stack(),), at=("gap.tf", "aws_db_instance.gap[0]")),
    Gap("rds.deletion-protection", gated(database(14, "false", "false")), (in_stack(),),
        at=("gap.tf", "aws_db_instance.gap[0]")),
    Gap("rds.no-public-access", gated(database(14, "true", "true")), (in_stack(),),
        at=("gap.tf", "aws_db_instance.gap[0]")),
    Gap("cloudtrail.multi-region-validated",
        gated('resource "aws_cloudtrail" "gap" {\n  count = var.gap ? 1 : 0\n  name = "${local.id}-gap"\n'
              '  s3_bucket_name = "acme-core-ue1-log-archive-flow-logs"\n  kms_key_id = "' + KEY + '"\n'
              '  is_multi_region_trail = false\n  enable_log_file_validation = true\n  tags = local.tags\n}\n'),
        (in_stack(),), at=("gap.tf", "aws_cloudtrail.gap[0]")),
]

# A document read with file(): the write on "*" is in a JSON file next to the component.
FILE_POLICY = Gap(
    "iam.no-wildcard-resource-writes",
    {**gated('resource "aws_iam_policy" "gap" {\n  count  = var.gap ? 1 : 0\n  name   = "${local.id}-gap"\n'
             '  policy = file("${path.module}/gap-policy.json")\n  tags   = local.tags\n}\n'),
     f"{VPC}/gap-policy.json": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                               '"Action": ["ec2:DeleteVpc", "ec2:DescribeVpcs"], "Resource": "*"}]}\n'},
    (in_stack(),), at=("gap.tf", "aws_iam_policy.gap[0]"))

# Coverage: the organization configurations in core-security cover us-east-1; every vpc stack's own resource
# (present unless the stack sets gap) covers its account elsewhere: plat-uw2-prod is then the only stack of
# us-west-2, and its vars take the coverage away.
GUARDDUTY_ORG = ("components/terraform/guardduty/main.tf", "resource \"aws_guardduty_detector_feature\" \"this\" {",
                 'resource "aws_guardduty_organization_configuration" "this" {\n'
                 '  detector_id                      = aws_guardduty_detector.this.id\n'
                 '  auto_enable_organization_members = "ALL"\n}\n\n'
                 'resource "aws_guardduty_detector_feature" "this" {')
SECURITYHUB_ORG = ("components/terraform/securityhub/main.tf", "# Aggregates findings",
                   'resource "aws_securityhub_organization_configuration" "this" {\n  auto_enable = true\n\n'
                   '  depends_on = [aws_securityhub_account.this]\n}\n\n# Aggregates findings')
CLOUDTRAIL_ORG = ("components/terraform/securityhub/main.tf", "# Aggregates findings",
                  'resource "aws_cloudtrail" "organization" {\n  name = "acme-organization"\n'
                  '  s3_bucket_name = "acme-core-ue1-log-archive-flow-logs"\n  is_organization_trail = true\n'
                  '}\n\n# Aggregates findings')
ORG_GAPS = [
    Gap("org.guardduty-everywhere",
        gated('resource "aws_guardduty_detector" "gap" {\n  count  = var.gap ? 0 : 1\n  enable = true\n'
              '  tags   = local.tags\n}\n'),
        (GUARDDUTY_ORG, in_stack(UW2_PROD)), stack="plat-uw2-prod", component="organization",
        unwaive=("org.guardduty-everywhere",)),
    Gap("org.securityhub-everywhere",
        gated('resource "aws_securityhub_account" "gap" {\n  count = var.gap ? 0 : 1\n}\n'),
        (SECURITYHUB_ORG, in_stack(UW2_PROD)), stack="plat-uw2-prod", component="organization",
        unwaive=("org.securityhub-everywhere",)),
    Gap("org.cloudtrail-everywhere",
        gated('resource "aws_cloudtrail" "gap" {\n  count = var.gap ? 0 : 1\n  name = "${local.id}"\n'
              '  s3_bucket_name = "acme-core-ue1-log-archive-flow-logs"\n  tags = local.tags\n}\n'),
        (CLOUDTRAIL_ORG, in_stack(UW2_PROD)), stack="plat-uw2-prod", component="organization",
        unwaive=("org.cloudtrail-everywhere",)),
    # through the stack's vars only: staging's VPC inside dev's (both sides of the clash are named)
    Gap("org.vpc-cidr-overlap", edits=((STAGING, "cidr_block: 10.20.0.0/16", "cidr_block: 10.10.64.0/20"),),
        at=("main.tf", "aws_vpc.this"), also=(("plat-ue1-dev", "vpc"),)),
    Gap("org.unique-bucket-names",
        gated('resource "aws_s3_bucket" "gap" {\n  count  = var.gap ? 1 : 0\n'
              '  bucket = "acme-core-ue1-log-archive-flow-logs"\n  tags   = local.tags\n}\n'),
        (in_stack(),), at=("gap.tf", "aws_s3_bucket.gap[0]"), also=(("core-ue1-log-archive", "log-bucket"),)),
]


def unwaive(root: Path, policy: str) -> None:
    """Drop an org-wide waiver from the organization defaults."""
    path = root / "stacks/orgs/acme/_defaults.yaml"
    data = yaml.safe_load(path.read_text())
    waivers = data["settings"]["harness"]["waivers"]
    kept = [w for w in waivers if w["policy"] != policy]
    assert len(kept) == len(waivers) - 1, policy
    data["settings"]["harness"]["waivers"] = kept
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def prepare(root: Path, gap: Gap, *, inject: bool = True) -> None:
    """Write the gap's files and make its edits (without the last one, the injection, when not ``inject``)."""
    for rel, text in gap.files.items():
        (root / rel).write_text(text)
    edits = gap.edits if inject else gap.edits[:-1]
    for rel, old, new in edits:
        edit(root / rel, old, new)
    for policy in gap.unwaive:
        unwaive(root, policy)


_CACHE: list[Path] = []


@pytest.fixture(autouse=True)
def _shared_plan_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One plan cache for every copy: plans are keyed by their inputs and the component's files, so only the
    instances a gap changes are planned again."""
    if not _CACHE:
        _CACHE.append(tmp_path_factory.mktemp("plans"))


def check(root: Path) -> CheckResult:
    session = HarnessSession(SessionOptions(base_path=root, engine="static", cache=str(_CACHE[0])))
    try:
        return run_check(session, today=TODAY)
    finally:
        session.close()


def findings(result: CheckResult, policy: str) -> Iterator[Finding]:
    for r in result.policies:
        assert not r.errors, r.errors
        yield from (f for f in r.findings if f.policy == policy)


def block_line(root: Path, gap: Gap, address: str) -> int:
    """The line of the block an address names, in the component copy's file."""
    rtype, name = re.sub(r"\[.*\]$", "", address).split(".")[-2:]
    component = "iam-role" if gap.component.startswith("iam-role") else "vpc"
    text = (root / "components/terraform" / component / gap.at[0]).read_text()  # type: ignore[index]
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f'resource "{rtype}" "{name}"'):
            return number
    raise AssertionError(f"{rtype}.{name} not in {gap.at}")


def controls(policy: str) -> tuple[str, ...]:
    meta = ORG_POLICIES.get(policy)
    found = meta.controls if meta is not None else default_registry().get(policy).controls
    assert found, f"{policy} has no control ids"
    return found


@pytest.fixture(autouse=True)
def _no_checkov(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CHECKOV", "off")


def assert_fails_exactly(root: Path, gap: Gap) -> list[Finding]:
    result = check(root)
    failed = [f for f in findings(result, gap.policy) if f.outcome is Outcome.FAIL]
    assert {(f.stack, f.component) for f in failed} == {(gap.stack, gap.component), *gap.also}, \
        [str(f) for f in failed]
    mine = [f for f in failed if (f.stack, f.component) == (gap.stack, gap.component)]
    for finding in mine:
        assert finding.controls == controls(gap.policy)
        if gap.at is None:
            assert finding.source is None
            continue
        assert finding.address == gap.at[1], str(finding)
        assert finding.source is not None and finding.location == f"{gap.at[0]}:{block_line(root, gap, gap.at[1])}"
        assert f"({finding.location})" in str(finding)
    for other in gap.also:
        assert any(f"{gap.stack}/{gap.component}" in f.message for f in failed if (f.stack, f.component) == other)
    return mine


@pytest.mark.parametrize("gap", [*SERVICE_GAPS, FILE_POLICY], ids=[*(g.policy for g in SERVICE_GAPS),
                                                                    "iam.no-wildcard-resource-writes-file"])
def test_a_service_gap_in_one_stack_fails_that_instance_only(example_copy: Path, gap: Gap) -> None:
    prepare(example_copy, gap)
    assert_fails_exactly(example_copy, gap)


@pytest.mark.parametrize("gap", ORG_GAPS, ids=[g.policy for g in ORG_GAPS])
def test_an_organization_gap_in_one_stack_fails_that_stack_only(example_copy: Path, gap: Gap) -> None:
    if gap.unwaive:  # coverage: complete before the one stack takes its part away
        prepare(example_copy, gap, inject=False)
        assert [str(f) for f in findings(check(example_copy), gap.policy)] == []
        edit(example_copy / gap.edits[-1][0], *gap.edits[-1][1:])
    else:
        prepare(example_copy, gap)
    mine = assert_fails_exactly(example_copy, gap)
    if gap.component == "organization":
        (finding,) = mine
        assert "account 333333333333 in us-west-2 (stacks plat-uw2-prod)" in finding.message


def test_every_new_policy_has_an_injected_gap() -> None:
    from harness.policy.packs import services

    native = {p.id for p in default_registry() if p.check.__module__ == services.__name__}
    assert native == {g.policy for g in SERVICE_GAPS}
    assert set(ORG_POLICIES) == {g.policy for g in ORG_GAPS}
