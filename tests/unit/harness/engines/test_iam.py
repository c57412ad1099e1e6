"""aws_iam_policy_document is rendered offline exactly as the AWS provider renders it."""

from __future__ import annotations

import json

import pytest

from harness.engines.iam import PolicyError, render_policy_document
from harness.engines.static import StaticEngine
from harness.plan import Plan, Unknown

from ._helpers import ACCOUNT, request

TRUST_JSON = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {
        "Service": "ec2.amazonaws.com"
      }
    }
  ]
}"""


@pytest.fixture(scope="module")
def plan(static_engine: StaticEngine) -> Plan:
    return static_engine.plan(request("iam", {"name": "demo"}))


def test_trust_policy_reaches_the_role_as_the_provider_normalizes_it(plan: Plan) -> None:
    # the role's assume_role_policy is stored normalized (keys sorted, no spaces), as the provider plans it
    normalized = json.dumps(json.loads(TRUST_JSON), sort_keys=True, separators=(",", ":"))
    assert plan.resource("aws_iam_role.app").values["assume_role_policy"] == normalized
    doc = plan.resource("data.aws_iam_policy_document.trust")
    assert doc.values["json"] == TRUST_JSON
    assert doc.values["minified_json"] == json.dumps(json.loads(TRUST_JSON), separators=(",", ":"))
    assert doc.values["id"].isdigit()


def test_sets_single_values_principals_and_conditions(plan: Plan) -> None:
    policy = json.loads(plan.resource("aws_s3_bucket_policy.b").values["policy"])
    assert policy["Id"] == "bucket-policy"
    read, deny = policy["Statement"]
    assert list(read) == ["Sid", "Effect", "Action", "Resource", "Principal", "Condition"]
    assert read["Action"] == ["s3:ListBucket", "s3:GetObject"]  # a set: deduplicated, reverse-sorted
    assert read["Resource"] == [f"arn:aws:s3:::demo-{ACCOUNT}/home/${{aws:username}}/*", f"arn:aws:s3:::demo-{ACCOUNT}"]
    assert read["Principal"] == {"AWS": ["arn:aws:iam::222233334444:root", f"arn:aws:iam::{ACCOUNT}:root"]}
    assert read["Condition"] == {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]},
                                 "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
    assert deny == {"Sid": "DenyInsecure", "Effect": "Deny", "NotAction": "s3:GetBucketLocation", "Resource": "*",
                    "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_source_and_override_documents_merge(plan: Plan) -> None:
    policy = json.loads(plan.resource("aws_iam_policy.merged").values["policy"])
    assert [s.get("Sid") for s in policy["Statement"]] == [None, "Logs", "Extra"]
    assert policy["Statement"][1]["Action"] == ["logs:PutLogEvents", "logs:CreateLogStream"]


def test_unknown_input_makes_the_document_unknown(plan: Plan) -> None:
    value = plan.resource("aws_iam_policy.unknown").values["policy"]
    assert isinstance(value, Unknown) and value.ref == "aws_s3_bucket.b.arn"
    assert isinstance(plan.resource("data.aws_iam_policy_document.unknown_input").values["json"], Unknown)


def test_renderer_rules() -> None:
    out = render_policy_document({"statement": [{"actions": ["b", "a", "c"], "resources": ["*"],
                                                 "principals": [{"type": "AWS", "identifiers": ["x"]},
                                                                {"type": "AWS", "identifiers": ["y"]}]}]})
    assert isinstance(out, dict)
    stmt = json.loads(out["json"])["Statement"][0]
    assert stmt == {"Effect": "Allow", "Action": ["c", "b", "a"], "Resource": "*", "Principal": {"AWS": ["x", "y"]}}
    html = render_policy_document({"statement": [{"actions": ["s3:*"], "resources": ["a<b>&c"]}]})
    assert isinstance(html, dict) and "a\\u003cb\\u003e\\u0026c" in html["json"]
    empty = render_policy_document({})
    assert isinstance(empty, dict) and json.loads(empty["json"]) == {"Version": "2012-10-17"}
    with pytest.raises(PolicyError):
        render_policy_document({"statement": [{"sid": "A", "actions": ["x"]}, {"sid": "A", "actions": ["y"]}]})
    assert isinstance(render_policy_document({"statement": [{"actions": [Unknown("r", "x.y")]}]}), Unknown)
