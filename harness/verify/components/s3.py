"""Bucket checks shared by tfstate-backend and log-bucket: versioning, SSE-KMS with the component's key,
public access block, object ownership, TLS-only policy."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from harness.verify.context import Checker, safe_call

_BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
              "RestrictPublicBuckets": True}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def find_key(ctx: Checker, alias_name: str) -> Callable[[], str | None]:
    """Finds the ARN of the component's KMS key: its ``kms_key_arn`` output, else its alias."""

    def find() -> str | None:
        known = ctx.output("kms_key_arn")
        key_id = str(known) if known else alias_name
        metadata = safe_call(lambda: ctx.client("kms").describe_key(KeyId=key_id)["KeyMetadata"], missing=None)
        if metadata is None or metadata.get("KeyState") in ("PendingDeletion", "PendingReplicaDeletion"):
            return None
        return str(metadata["Arn"])

    return find


def key_checks(ctx: Checker, prefix: str, alias_name: str) -> tuple[str, str | None]:
    """``<prefix>.kms.exists`` and ``<prefix>.kms.rotation``; returns the exists check and the key ARN."""
    exists = f"{prefix}.kms.exists"
    arn = ctx.exists(exists, f"KMS key {ctx.output('kms_key_arn') or alias_name}", find_key(ctx, alias_name),
                     label=lambda a: a)
    ctx.check(f"{prefix}.kms.rotation", True,
              lambda: bool(ctx.client("kms").get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"]), needs=exists)
    return exists, arn


def policy(s3: Any, bucket: str) -> dict[str, Any]:
    text = safe_call(lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"], missing="")
    return dict(json.loads(text)) if text else {}


def tls_only(document: Mapping[str, Any], bucket: str) -> list[str]:
    """Which of the bucket and its objects a Deny-everyone-without-TLS statement covers."""
    arns = {f"arn:aws:s3:::{bucket}": "bucket", f"arn:aws:s3:::{bucket}/*": "objects"}
    covered: set[str] = set()
    for statement in _list(document.get("Statement")):
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, Mapping) and "*" in _list(principal.get("AWS")))
        actions = {str(a) for a in _list(statement.get("Action"))}
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        insecure = [str(v).lower() for v in _list(condition.get("aws:SecureTransport"))]
        if statement.get("Effect") == "Deny" and everyone and actions & {"s3:*", "*"} and insecure == ["false"]:
            covered.update(arns[r] for r in _list(statement.get("Resource")) if r in arns)
    return sorted(covered)


def bucket_checks(ctx: Checker, prefix: str, bucket: str, key: tuple[str, str | None]) -> str:
    """Run the shared bucket checks under ``<prefix>.bucket.*``; returns the exists check's name."""
    s3 = ctx.client("s3")

    def find() -> str | None:
        return safe_call(lambda: (s3.get_bucket_location(Bucket=bucket), bucket)[1], missing=None)

    exists = f"{prefix}.bucket.exists"
    ctx.exists(exists, f"bucket {bucket}", find, label=lambda b: f"bucket {b}")

    def versioning() -> str:
        return str(s3.get_bucket_versioning(Bucket=bucket).get("Status") or "never enabled")

    ctx.check(f"{prefix}.bucket.versioning", "Enabled", versioning, needs=exists)

    def encryption() -> list[dict[str, Any]]:
        config: dict[str, Any] = safe_call(lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
                           missing={})
        out = []
        for rule in config.get("Rules") or []:
            default = rule.get("ApplyServerSideEncryptionByDefault") or {}
            key = default.get("KMSMasterKeyID")
            out.append({"algorithm": default.get("SSEAlgorithm"), "key": _key_as_arn(ctx, key) if key else None})
        return out

    key_exists, arn = key
    ctx.check(f"{prefix}.bucket.encryption", [{"algorithm": "aws:kms", "key": arn}], encryption,
              needs=(exists, key_exists))

    def public_access() -> dict[str, Any]:
        found: dict[str, Any] = safe_call(lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
                          missing={})
        return {k: bool(found.get(k)) for k in _BLOCK_ALL}

    ctx.check(f"{prefix}.bucket.public_access_block", _BLOCK_ALL, public_access, needs=exists)

    def ownership() -> list[str]:
        found: dict[str, Any] = safe_call(lambda: s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"], missing={})
        return [str(r.get("ObjectOwnership")) for r in found.get("Rules") or []]

    ctx.check(f"{prefix}.bucket.ownership", ["BucketOwnerEnforced"], ownership, needs=exists)
    ctx.check(f"{prefix}.bucket.tls_only", ["bucket", "objects"],
              lambda: tls_only(ctx.read(f"policy:{bucket}", lambda: policy(s3, bucket)), bucket), needs=exists)
    return exists


def _key_as_arn(ctx: Checker, key: str) -> str:
    """Bucket encryption may name a key by id, ARN or alias; compare ARNs."""
    if key.startswith("arn:") and ":key/" in key:
        return key
    try:
        return str(ctx.client("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"])
    except Exception:  # noqa: BLE001 - an unknown key stays as written, and will not match
        return key
