"""Organization policies over several instances: coverage per account and region, only where managed."""

from __future__ import annotations

from harness.plan import Resource
from harness.policy.organization import Member, evaluate_organization
from tests.unit.harness.policy.conftest import plan, res


def _member(stack: str, account: str, region: str, *resources: Resource) -> Member:
    return Member(stack=stack, component="c", account=account, region=region,
                  plan=plan(*resources, stack=stack))


def test_an_account_without_the_service_the_repository_manages_is_named() -> None:
    members = [_member("core-ue1-security", "111", "us-east-1", res("aws_guardduty_detector.this", {"enable": True})),
               _member("plat-ue1-dev", "222", "us-east-1", res("aws_s3_bucket.b", {"bucket": "b"}))]
    found = [f for f in evaluate_organization(members) if f.policy == "org.guardduty-everywhere"]
    assert [(f.stack, f.outcome.value) for f in found] == [("plat-ue1-dev", "fail")]
    assert "account 222 in us-east-1" in found[0].message


def test_a_service_no_stack_deploys_is_not_judged() -> None:
    members = [_member("web-dev", "222", "eu-west-1", res("aws_s3_bucket.b", {"bucket": "b-dev"})),
               _member("web-prod", "333", "eu-west-1", res("aws_s3_bucket.b", {"bucket": "b-prod"}))]
    assert [f.policy for f in evaluate_organization(members)
            if f.policy.endswith("-everywhere")] == []
