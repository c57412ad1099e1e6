"""State safety: backups before every change, state inspection, lock reports, leftover sweeps.

Read-only except for the backups it writes: locks are reported (holder, operation, age, stale flag),
never deleted; a stale lock is a question for a human, not something a test run should break.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from harness.aws.sessions import AccountSession, SessionFactory
from harness.deploy.backend import BackendRef, backend_session
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.atmos import Instance
    from harness.aws.emulator import Emulator

BACKUP_SUFFIX = ".backup/"


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class Backup:
    """A copy of a state object taken before an apply or destroy."""

    bucket: str
    source_key: str
    backup_key: str
    reason: str
    taken_at: str
    size: int
    serial: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ResourceSummary:
    address: str
    mode: str
    type: str
    instances: int


@dataclass(frozen=True)
class StateInfo:
    """What a state object holds."""

    bucket: str
    key: str
    serial: int | None
    lineage: str | None
    terraform_version: str | None
    size: int
    resources: tuple[ResourceSummary, ...]
    outputs: dict[str, Any] = field(repr=False)

    @property
    def empty(self) -> bool:
        """Nothing deployed: no resources and no outputs (a destroyed state)."""
        return not self.resources and not self.outputs

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["resources"] = [asdict(r) for r in self.resources]
        return data


@dataclass(frozen=True)
class LockEntry:
    """One lock in a DynamoDB lock table."""

    lock_id: str
    path: str
    id: str | None
    who: str | None
    operation: str | None
    created: datetime | None
    age: timedelta | None
    stale: bool
    version: str | None
    info: str | None

    def to_json(self) -> dict[str, Any]:
        return {"lock_id": self.lock_id, "path": self.path, "id": self.id, "who": self.who,
                "operation": self.operation, "created": self.created.isoformat() if self.created else None,
                "age_seconds": self.age.total_seconds() if self.age is not None else None, "stale": self.stale,
                "version": self.version, "info": self.info}


@dataclass(frozen=True)
class Leftover:
    """A state object that still holds resources or outputs."""

    bucket: str
    key: str
    resources: int
    outputs: int
    addresses: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- raw state access ---------------------------------------------------------------------------------

def read_state(session: AccountSession, bucket: str, key: str) -> tuple[dict[str, Any], int] | None:
    """The state JSON and its size; None when there is no such object (or bucket)."""
    try:
        response = session.client("s3").get_object(Bucket=bucket, Key=key)
    except Exception as exc:  # noqa: BLE001 - botocore ClientError
        if _code(exc) in ("NoSuchKey", "NoSuchBucket", "404"):
            return None
        raise HarnessError(f"cannot read state s3://{bucket}/{key}: {exc}") from None
    body = response["Body"].read()
    try:
        data = json.loads(body or b"{}")
    except json.JSONDecodeError as exc:
        raise HarnessError(f"state s3://{bucket}/{key} is not JSON: {exc}") from None
    return (data if isinstance(data, dict) else {}), len(body)


def holds_nothing(session: AccountSession, bucket: str, key: str) -> bool:
    """True when there is no state object or it has neither resources nor outputs: nothing to destroy."""
    found = read_state(session, bucket, key)
    return found is None or state_info(found[0], bucket=bucket, key=key, size=found[1]).empty


def state_info(data: dict[str, Any], *, bucket: str, key: str, size: int) -> StateInfo:
    resources = []
    for res in data.get("resources") or []:
        mode = str(res.get("mode") or "managed")
        prefix = "data." if mode == "data" else ""
        module = f"{res['module']}." if res.get("module") else ""
        address = f"{module}{prefix}{res.get('type')}.{res.get('name')}"
        resources.append(ResourceSummary(address, mode, str(res.get("type")), len(res.get("instances") or [])))
    outputs = {name: (entry.get("value") if isinstance(entry, dict) else entry)
               for name, entry in (data.get("outputs") or {}).items()}
    serial = data.get("serial")
    return StateInfo(bucket=bucket, key=key, serial=int(serial) if isinstance(serial, int) else None,
                     lineage=data.get("lineage"), terraform_version=data.get("terraform_version"), size=size,
                     resources=tuple(resources), outputs=outputs)


def _timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")


def backup_state(session: AccountSession, bucket: str, key: str, *, reason: str,
                 now: datetime | None = None) -> Backup | None:
    """Copy the state object to ``<key>.backup/<UTC timestamp>``; None when there is no state yet."""
    found = read_state(session, bucket, key)
    if found is None:
        return None
    data, size = found
    s3 = session.client("s3")
    stamp = _timestamp(now)
    backup_key = f"{key}{BACKUP_SUFFIX}{stamp}"
    if now is not None and _exists(session, bucket, backup_key):  # a caller-chosen time may repeat
        backup_key = f"{backup_key}-{uuid.uuid4().hex[:8]}"
    try:
        s3.copy_object(Bucket=bucket, Key=backup_key, CopySource={"Bucket": bucket, "Key": key},
                       MetadataDirective="REPLACE", Metadata={"harness-reason": reason})
    except Exception as exc:  # noqa: BLE001
        raise HarnessError(f"cannot back up state s3://{bucket}/{key}: {exc}") from None
    serial = data.get("serial")
    return Backup(bucket=bucket, source_key=key, backup_key=backup_key, reason=reason, taken_at=stamp, size=size,
                  serial=serial if isinstance(serial, int) else None)


def _exists(session: AccountSession, bucket: str, key: str) -> bool:
    try:
        session.client("s3").head_object(Bucket=bucket, Key=key)
    except Exception:  # noqa: BLE001 - 404 (or anything else) means "not there to clash with"
        return False
    return True


def list_backups(session: AccountSession, bucket: str, key: str) -> list[str]:
    """Backup object keys of one state, oldest first."""
    prefix = f"{key}{BACKUP_SUFFIX}"
    keys: list[str] = []
    paginator = session.client("s3").get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents") or [])
    return sorted(keys)


# -- per instance --------------------------------------------------------------------------------------

def _session_for(instance: Instance, emulator: Emulator | None,
                 sessions: SessionFactory | None) -> tuple[BackendRef, AccountSession]:
    ref = BackendRef.from_instance(instance)
    return ref, backend_session(ref, emulator, sessions)


def inspect_state(instance: Instance, emulator: Emulator | None = None, *,
                  sessions: SessionFactory | None = None) -> StateInfo | None:
    """Resources, outputs, serial, lineage and size of an instance's state; None when it has none."""
    ref, session = _session_for(instance, emulator, sessions)
    found = read_state(session, ref.bucket, ref.key)
    if found is None:
        return None
    return state_info(found[0], bucket=ref.bucket, key=ref.key, size=found[1])


def instance_backups(instance: Instance, emulator: Emulator | None = None, *,
                     sessions: SessionFactory | None = None) -> list[str]:
    """Backup object keys of an instance's state, oldest first."""
    ref, session = _session_for(instance, emulator, sessions)
    return list_backups(session, ref.bucket, ref.key)


def _parse_created(text: str | None) -> datetime | None:
    if not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    if "." in value:  # terraform writes nanoseconds; datetime takes microseconds
        head, _, tail = value.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits):]
        value = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def list_locks(instance: Instance, emulator: Emulator | None = None, *, stale_after: timedelta = timedelta(hours=1),
               now: datetime | None = None, sessions: SessionFactory | None = None,
               only_instance: bool = False) -> list[LockEntry]:
    """Lock entries in the instance's DynamoDB lock table (every state's, or only this instance's), oldest first.

    Never deletes anything: a lock older than ``stale_after`` is flagged ``stale`` for a human to judge.
    """
    ref, session = _session_for(instance, emulator, sessions)
    if not ref.dynamodb_table:
        return []
    dynamodb = session.client("dynamodb")
    items: list[dict[str, Any]] = []
    try:
        for page in dynamodb.get_paginator("scan").paginate(TableName=ref.dynamodb_table):
            items.extend(page.get("Items") or [])
    except Exception as exc:  # noqa: BLE001
        if _code(exc) == "ResourceNotFoundException":
            return []
        raise HarnessError(f"cannot read lock table {ref.dynamodb_table}: {exc}") from None
    current = now or datetime.now(UTC)
    entries = []
    for item in items:
        lock_id = str(item.get("LockID", {}).get("S", ""))
        if "Info" not in item:  # the "<path>-md5" digest rows are not locks
            continue
        if only_instance and lock_id != ref.lock_id:
            continue
        try:
            info = json.loads(item["Info"].get("S") or "{}")
        except json.JSONDecodeError:
            info = {"Info": item["Info"].get("S")}
        created = _parse_created(info.get("Created"))
        age = current - created if created else None
        entries.append(LockEntry(lock_id=lock_id, path=str(info.get("Path") or lock_id), id=info.get("ID"),
                                 who=info.get("Who"), operation=info.get("Operation"), created=created, age=age,
                                 stale=age is not None and age > stale_after, version=info.get("Version"),
                                 info=info.get("Info")))
    return sorted(entries, key=lambda e: e.created or current)


# -- sweep ---------------------------------------------------------------------------------------------

def sweep_backends(refs: Iterable[BackendRef], emulator: Emulator | None = None, *,
                   sessions: SessionFactory | None = None) -> list[Leftover]:
    """State objects (not backups) in the given backends' buckets that still hold resources or outputs."""
    seen: set[tuple[str, str]] = set()
    leftovers: list[Leftover] = []
    for ref in refs:
        session = backend_session(ref, emulator, sessions)
        prefix = ref.key.split("/", 1)[0] + "/" if "/" in ref.key else ""
        try:
            pages = list(session.client("s3").get_paginator("list_objects_v2").paginate(Bucket=ref.bucket,
                                                                                         Prefix=prefix))
        except Exception as exc:  # noqa: BLE001
            if _code(exc) == "NoSuchBucket":
                continue
            raise HarnessError(f"cannot list state bucket {ref.bucket}: {exc}") from None
        for page in pages:
            for obj in page.get("Contents") or []:
                key = obj["Key"]
                if BACKUP_SUFFIX in key or (ref.bucket, key) in seen or not key.endswith(".tfstate"):
                    continue
                seen.add((ref.bucket, key))
                found = read_state(session, ref.bucket, key)
                if found is None:
                    continue
                info = state_info(found[0], bucket=ref.bucket, key=key, size=found[1])
                if not info.empty:
                    leftovers.append(Leftover(ref.bucket, key, len(info.resources), len(info.outputs),
                                              tuple(r.address for r in info.resources)))
    return sorted(leftovers, key=lambda item: (item.bucket, item.key))


def sweep(instances: Iterable[Instance], emulator: Emulator | None = None, *,
          sessions: SessionFactory | None = None) -> list[Leftover]:
    """Leftovers in the backends of ``instances`` (all states under their workspace key prefixes)."""
    refs: dict[tuple[str, str, str | None], BackendRef] = {}
    for instance in instances:
        ref = BackendRef.from_instance(instance)
        prefix = ref.key.split("/", 1)[0]
        refs.setdefault((ref.bucket, prefix, ref.role_arn), ref)
    return sweep_backends(refs.values(), emulator, sessions=sessions)
