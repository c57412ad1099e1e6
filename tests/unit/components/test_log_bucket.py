"""The log archive bucket that receives every VPC's flow logs."""

from __future__ import annotations

import pytest

from harness.atmos import Instance, Resolver
from harness.plan import Plan

pytestmark = pytest.mark.component("log-bucket")


def test_bucket_is_the_one_vpcs_ship_flow_logs_to(plan: Plan, stacks: Resolver) -> None:
    arn = f"arn:aws:s3:::{plan.resource('aws_s3_bucket.this').values['bucket']}"
    destinations = {i.vars["flow_logs_bucket_arn"] for i in stacks.instances() if i.folder == "vpc"}
    assert destinations == {arn}


def test_bucket_encrypted_versioned_and_private(plan: Plan) -> None:
    sse = plan.resource("aws_s3_bucket_server_side_encryption_configuration.this")
    assert sse.get("rule.0.apply_server_side_encryption_by_default.0.sse_algorithm") == "aws:kms"
    assert plan.resource("aws_s3_bucket_versioning.this").get("versioning_configuration.0.status") == "Enabled"
    block = plan.resource("aws_s3_bucket_public_access_block.this").values
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                          "restrict_public_buckets"))


def test_kms_key_rotates(plan: Plan, instance: Instance) -> None:
    assert plan.resource("aws_kms_key.this").values["enable_key_rotation"] is True
