"""The S3 state backend of an instance: where its state lives, how terraform reaches it, bootstrapping it.

Atmos resolves ``terraform.backend.s3`` per instance (bucket, key, workspace_key_prefix, dynamodb_table,
region, role_arn). Against an emulator the harness points the backend at the emulator's endpoint with
the syntax the binary understands (``endpoint``/``force_path_style`` before Terraform 1.6, ``endpoints``/
``use_path_style`` from 1.6 and in OpenTofu) and skips the checks that need real AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from harness.aws.sessions import AccountSession, SessionFactory
from harness.errors import HarnessError
from harness.tools.terraform import TerraformBinary

if TYPE_CHECKING:
    from harness.atmos import Instance
    from harness.aws.emulator import Emulator

# Settings that name real-AWS credentials or keys the emulator does not have.
_EMULATOR_DROP = ("profile", "shared_credentials_file", "shared_credentials_files", "kms_key_id",
                  "sse_customer_key", "token", "access_key", "secret_key")
_SKIP_CHECKS = {"skip_credentials_validation": True, "skip_metadata_api_check": True, "skip_region_validation": True}


def state_object_key(backend: Mapping[str, Any], workspace: str) -> str:
    """The S3 object key of a workspace's state: ``<workspace_key_prefix>/<workspace>/<key>`` (default: ``<key>``)."""
    key = str(backend.get("key") or "terraform.tfstate")
    if not workspace or workspace == "default":
        return key
    prefix = str(backend.get("workspace_key_prefix") or "env:")
    return f"{prefix}/{workspace}/{key}"


@dataclass(frozen=True)
class BackendRef:
    """Where one instance's state and lock live."""

    bucket: str
    key: str  # the full object key (workspace prefix included)
    region: str
    dynamodb_table: str | None = None
    role_arn: str | None = None

    @property
    def lock_id(self) -> str:
        """The DynamoDB ``LockID`` terraform uses for this state."""
        return f"{self.bucket}/{self.key}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BackendRef:
        return cls(bucket=str(data["bucket"]), key=str(data["key"]), region=str(data["region"]),
                   dynamodb_table=data.get("dynamodb_table"), role_arn=data.get("role_arn"))

    @classmethod
    def from_instance(cls, instance: Instance) -> BackendRef:
        """From the instance's resolved ``backend`` (S3 only)."""
        backend = s3_backend(instance)
        return cls(bucket=str(backend["bucket"]), key=state_object_key(backend, instance.workspace),
                   region=str(backend.get("region") or instance.vars.get("region") or "us-east-1"),
                   dynamodb_table=backend.get("dynamodb_table") or None, role_arn=_role_arn(backend))


def _role_arn(backend: Mapping[str, Any]) -> str | None:
    role = backend.get("role_arn")
    assume = backend.get("assume_role")
    if not role and isinstance(assume, Mapping):
        role = assume.get("role_arn")
    return str(role) if role else None


def s3_backend(instance: Instance) -> dict[str, Any]:
    """The instance's S3 backend settings; HarnessError when it has another backend or no bucket."""
    if instance.backend_type not in ("s3", ""):
        raise HarnessError(f"{instance.id}: backend_type '{instance.backend_type}' is not supported for deploys "
                           "(the harness manages S3 backends)", file=instance.stack_file_path)
    backend = instance.backend
    if not backend.get("bucket"):
        raise HarnessError(f"{instance.id}: no terraform.backend.s3.bucket is configured",
                           file=instance.stack_file_path)
    return backend


def backend_config(backend: Mapping[str, Any], *, emulator: Emulator | None, binary: TerraformBinary) -> dict[str, Any]:
    """The ``backend "s3"`` settings for ``binary``; against an emulator, pointed at it with checks skipped."""
    config = {k: v for k, v in backend.items() if v is not None}
    role = _role_arn(config)
    config.pop("assume_role", None)
    config.pop("role_arn", None)
    if emulator is not None:
        for name in _EMULATOR_DROP:
            config.pop(name, None)
        for name in ("endpoint", "dynamodb_endpoint", "iam_endpoint", "sts_endpoint", "endpoints",
                     "force_path_style", "use_path_style"):
            config.pop(name, None)
        url = emulator.endpoint
        config.update(_SKIP_CHECKS)
        if binary.legacy_s3_backend:
            config.update({"endpoint": url, "dynamodb_endpoint": url, "iam_endpoint": url, "sts_endpoint": url,
                           "force_path_style": True})
        else:
            config.update({"endpoints": {"s3": url, "dynamodb": url, "iam": url, "sts": url},
                           "use_path_style": True, "skip_requesting_account_id": True})
    if role:
        if binary.legacy_s3_backend:
            config["role_arn"] = role
        else:
            config["assume_role"] = {"role_arn": role}
    return config


def remote_state_config(instance: Instance, *, emulator: Emulator | None, binary: TerraformBinary) -> dict[str, Any]:
    """``config`` for a ``data "terraform_remote_state"`` (backend ``s3``) reading ``instance``'s state."""
    return backend_config(s3_backend(instance), emulator=emulator, binary=binary)


def backend_session(ref: BackendRef, emulator: Emulator | None,
                    sessions: SessionFactory | None = None) -> AccountSession:
    """A session in the backend's account (its ``role_arn``), on the emulator or real AWS."""
    if emulator is not None:
        return emulator.session(role_arn=ref.role_arn, region=ref.region)
    factory = sessions or SessionFactory(endpoint_url=None, region=ref.region)
    return factory.session(role_arn=ref.role_arn, region=ref.region)


@dataclass(frozen=True)
class Bootstrap:
    """What ``bootstrap_backend`` made (False: it already existed)."""

    bucket: str
    created_bucket: bool
    table: str | None
    created_table: bool
    account_id: str | None


def bootstrap_backend(ref: BackendRef, session: AccountSession) -> Bootstrap:
    """Create the state bucket and lock table if missing (emulator use: real backends come from tfstate-backend)."""
    s3 = session.client("s3")
    created_bucket = False
    try:
        s3.head_bucket(Bucket=ref.bucket)
    except Exception as exc:  # noqa: BLE001 - botocore ClientError or endpoint errors
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise HarnessError(f"cannot reach state bucket {ref.bucket}: {exc}") from None
        params: dict[str, Any] = {"Bucket": ref.bucket}
        if ref.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": ref.region}
        try:
            s3.create_bucket(**params)
        except Exception as create_exc:  # noqa: BLE001
            raise HarnessError(f"cannot create state bucket {ref.bucket} in account {session.account_id}: "
                               f"{create_exc}") from None
        created_bucket = True
    created_table = False
    if ref.dynamodb_table:
        dynamodb = session.client("dynamodb")
        try:
            dynamodb.describe_table(TableName=ref.dynamodb_table)
        except Exception as exc:  # noqa: BLE001
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code != "ResourceNotFoundException":
                raise HarnessError(f"cannot reach lock table {ref.dynamodb_table}: {exc}") from None
            dynamodb.create_table(TableName=ref.dynamodb_table, BillingMode="PAY_PER_REQUEST",
                                  KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
            created_table = True
    return Bootstrap(ref.bucket, created_bucket, ref.dynamodb_table, created_table, session.account_id)
