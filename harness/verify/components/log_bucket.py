"""log-bucket: the central log archive bucket (versioning, SSE-KMS, public access block, TLS-only), log
delivery allowed for exactly the stack's source accounts, and the archive lifecycle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.verify.components.s3 import bucket_checks, key_checks, policy
from harness.verify.context import Checker, safe_call

COMPONENT = "log-bucket"


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def delivery_accounts(document: Mapping[str, Any], bucket: str) -> list[str]:
    """Accounts whose ``AWSLogs/<account>/`` prefix the log delivery service may write to."""
    prefix = f"arn:aws:s3:::{bucket}/AWSLogs/"
    accounts: set[str] = set()
    for statement in _list(document.get("Statement")):
        principal = statement.get("Principal") or {}
        services = _list(principal.get("Service")) if isinstance(principal, Mapping) else []
        if statement.get("Effect") != "Allow" or "delivery.logs.amazonaws.com" not in services:
            continue
        if "s3:PutObject" not in _list(statement.get("Action")):
            continue
        for resource in _list(statement.get("Resource")):
            if str(resource).startswith(prefix):
                accounts.add(str(resource)[len(prefix):].split("/")[0])
    return sorted(accounts)


def validate(ctx: Checker) -> None:
    name = ctx.name()
    bucket = str(ctx.output("bucket_id") or name)
    key = key_checks(ctx, "log_bucket", f"alias/{name}")
    exists = bucket_checks(ctx, "log_bucket", bucket, key)
    s3 = ctx.client("s3")
    ctx.check("log_bucket.delivery_accounts", lambda: sorted({str(a) for a in ctx.var("source_account_ids") or []}),
              lambda: delivery_accounts(ctx.read(f"policy:{bucket}", lambda: policy(s3, bucket)), bucket),
              needs=exists)

    def lifecycle() -> dict[str, Any]:
        rules: list[dict[str, Any]] = safe_call(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"], missing=[])
        enabled = [r for r in rules if r.get("Status") == "Enabled"]
        return {"glacier_after_days": sorted(t.get("Days") for r in enabled for t in r.get("Transitions") or []
                                             if t.get("StorageClass") == "GLACIER"),
                "expire_after_days": sorted((r.get("Expiration") or {}).get("Days") for r in enabled
                                            if (r.get("Expiration") or {}).get("Days") is not None)}

    ctx.check("log_bucket.lifecycle", lambda: {"glacier_after_days": [int(ctx.var("glacier_transition_days"))],
                                               "expire_after_days": [int(ctx.var("expiration_days"))]},
              lifecycle, needs=exists)
