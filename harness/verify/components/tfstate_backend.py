"""tfstate-backend: the state bucket (versioning, SSE-KMS with the component's key, public access block,
TLS-only policy), the KMS key (rotation), and the DynamoDB lock table (LockID hash key, PITR, SSE with
the key, deletion protection)."""

from __future__ import annotations

from typing import Any

from harness.verify.components.s3 import bucket_checks, key_checks
from harness.verify.context import Checker, safe_call

COMPONENT = "tfstate-backend"


def validate(ctx: Checker) -> None:
    name = ctx.name()
    bucket = str(ctx.output("bucket_id") or name)
    table = str(ctx.output("dynamodb_table_name") or f"{name}-lock")
    key = key_checks(ctx, "tfstate_backend", f"alias/{name}")
    bucket_checks(ctx, "tfstate_backend", bucket, key)
    ddb = ctx.client("dynamodb")

    def find() -> dict[str, Any] | None:
        found = safe_call(lambda: ddb.describe_table(TableName=table)["Table"], missing=None)
        return dict(found) if found else None

    exists = "tfstate_backend.lock_table.exists"
    ctx.exists(exists, f"DynamoDB table {table}", find, label=lambda t: str(t.get("TableArn")))

    def now() -> dict[str, Any]:
        return ctx.read("table", lambda: dict(ddb.describe_table(TableName=table)["Table"]))

    ctx.check("tfstate_backend.lock_table.key", [{"AttributeName": "LockID", "KeyType": "HASH"}],
              lambda: now().get("KeySchema"), needs=exists)

    def pitr() -> str:
        described = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        return str((described.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus"))

    ctx.check("tfstate_backend.lock_table.pitr", "ENABLED", pitr, needs=exists)
    key_exists, arn = key

    def sse() -> dict[str, Any]:
        described = now().get("SSEDescription") or {}
        return {"status": described.get("Status"), "type": described.get("SSEType"),
                "key": described.get("KMSMasterKeyArn")}

    ctx.check("tfstate_backend.lock_table.encryption", {"status": "ENABLED", "type": "KMS", "key": arn}, sse,
              needs=(exists, key_exists))
    ctx.check("tfstate_backend.lock_table.deletion_protection", lambda: bool(ctx.var("deletion_protection_enabled")),
              lambda: bool(now().get("DeletionProtectionEnabled")), needs=exists)
