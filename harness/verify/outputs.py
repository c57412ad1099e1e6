"""A component's outputs for validation: a recorded file, the state in the backend, or nothing (lookup).

Outputs give validators exact resource ids; without them they find resources by the names the
component builds (``<namespace>-<tenant>-<environment>-<stage>-<name>``). They also resolve stack vars
that are ``!terraform.output`` references (e.g. a security group's ``vpc_id``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.aws.sessions import account_of
from harness.deploy.backend import state_object_key
from harness.errors import HarnessError
from harness.verify.access import LiveAccessRefused

if TYPE_CHECKING:
    from harness.atmos import Instance
    from harness.verify.access import ReadOnlyAccess


@dataclass(frozen=True)
class Outputs:
    """Output name => value, and where they came from (``values`` is None: use name lookup)."""

    values: dict[str, Any] | None
    source: str

    def get(self, name: str) -> Any:
        return None if self.values is None else self.values.get(name)


def parse_outputs(data: Any, *, where: str) -> dict[str, Any]:
    """``terraform output -json`` ({name: {value, type, sensitive}}) or a plain {name: value} map."""
    if not isinstance(data, Mapping):
        raise HarnessError(f"{where}: outputs must be a JSON object, got {type(data).__name__}")
    wrapped = bool(data) and all(isinstance(v, Mapping) and "value" in v and ("type" in v or "sensitive" in v)
                                 for v in data.values())
    if wrapped:
        return {str(k): v["value"] for k, v in data.items()}
    return {str(k): v for k, v in data.items()}


def outputs_file(outputs_dir: Path, instance: Instance) -> Path | None:
    """``DIR/<stack>/<component>.json`` (``security-group/web`` nests, ``security-group__web`` works too)."""
    for name in (instance.component, instance.component.replace("/", "__")):
        path = outputs_dir / instance.stack / f"{name}.json"
        if path.is_file():
            return path
    return None


def state_outputs(data: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs of a Terraform state document."""
    raw = data.get("outputs") or {}
    return {str(k): (v.get("value") if isinstance(v, Mapping) else v) for k, v in raw.items()}


class OutputsReader:
    """Finds an instance's outputs: ``outputs_dir`` first, then its state in the backend, else lookup."""

    def __init__(self, *, outputs_dir: Path | None = None, access: ReadOnlyAccess | None = None,
                 from_state: bool = True) -> None:
        self.outputs_dir = outputs_dir
        self.access = access
        self.from_state = from_state
        self._cache: dict[str, Outputs] = {}

    def read(self, instance: Instance) -> Outputs:
        if instance.id not in self._cache:
            self._cache[instance.id] = self._read(instance)
        return self._cache[instance.id]

    def _read(self, instance: Instance) -> Outputs:
        if self.outputs_dir is not None:
            path = outputs_file(self.outputs_dir, instance)
            if path is not None:
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    raise HarnessError(f"cannot read outputs: {exc}", file=path) from None
                return Outputs(parse_outputs(data, where=str(path)), f"file {path}")
        if self.from_state and self.access is not None:
            return self._from_state(instance)
        return Outputs(None, "lookup by name")

    def _from_state(self, instance: Instance) -> Outputs:
        backend = instance.backend
        if instance.backend_type not in ("s3", "") or not backend.get("bucket"):
            return Outputs(None, "lookup by name (no S3 backend)")
        bucket = str(backend["bucket"])
        key = state_object_key(backend, instance.workspace)
        role = backend.get("role_arn") or (backend.get("assume_role") or {}).get("role_arn")
        region = str(backend.get("region") or instance.vars.get("region") or "us-east-1")
        assert self.access is not None
        try:
            account = account_of(str(role)) if role else None
            if account is None:
                return Outputs(None, "lookup by name (the backend names no role/account)")
            s3 = self.access.account(account, role_arn=str(role), region=region).client("s3")
        except LiveAccessRefused:
            return Outputs(None, f"lookup by name (state backend account {account} is not allow-listed)")
        except HarnessError as exc:
            return Outputs(None, f"lookup by name (state backend not reachable: {exc})")
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:  # noqa: BLE001 - botocore ClientError and friends
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__))
            return Outputs(None, f"lookup by name (no state at s3://{bucket}/{key}: {code})")
        try:
            data = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return Outputs(None, f"lookup by name (state s3://{bucket}/{key} is not JSON)")
        outputs = state_outputs(data if isinstance(data, Mapping) else {})
        if not outputs:
            return Outputs(None, f"lookup by name (state s3://{bucket}/{key} has no outputs)")
        return Outputs(outputs, f"state s3://{bucket}/{key}")
