"""The state backend: the bucket and lock table the stacks' backend uses, encrypted, versioned, private."""

from __future__ import annotations

import pytest

from harness.atmos import Instance
from harness.plan import Plan

pytestmark = pytest.mark.component("tfstate-backend")


def test_creates_the_bucket_and_table_that_stacks_use_as_backend(plan: Plan, instance: Instance) -> None:
    assert plan.resource("aws_s3_bucket.this").values["bucket"] == instance.backend["bucket"]
    assert plan.resource("aws_dynamodb_table.lock").values["name"] == instance.backend["dynamodb_table"]


def test_bucket_encrypted_with_this_components_kms_key(plan: Plan) -> None:
    sse = plan.resource("aws_s3_bucket_server_side_encryption_configuration.this")
    default = sse.get("rule.0.apply_server_side_encryption_by_default.0")
    assert default["sse_algorithm"] == "aws:kms"
    assert sse.get("rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id").ref.startswith(
        "aws_kms_key.this.")


def test_bucket_versioned_and_private(plan: Plan) -> None:
    assert plan.resource("aws_s3_bucket_versioning.this").get("versioning_configuration.0.status") == "Enabled"
    block = plan.resource("aws_s3_bucket_public_access_block.this").values
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                          "restrict_public_buckets"))


def test_noncurrent_versions_expire(plan: Plan) -> None:
    rules = plan.resource("aws_s3_bucket_lifecycle_configuration.this").values["rule"]
    assert any(r.get("noncurrent_version_expiration") for r in rules)


def test_lock_table_has_lock_id_pitr_and_sse(plan: Plan) -> None:
    table = plan.resource("aws_dynamodb_table.lock").values
    assert table["hash_key"] == "LockID"
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True


def test_kms_key_rotates(plan: Plan) -> None:
    assert plan.resource("aws_kms_key.this").values["enable_key_rotation"] is True
