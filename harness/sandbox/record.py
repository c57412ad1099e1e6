"""``sandbox.json``: what a later ``harness sandbox`` call needs to find the sandbox again."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

RECORD = "sandbox.json"


@dataclass
class SandboxRecord:
    """The server, what was asked for, and what was deployed (instance ids in deploy order)."""

    endpoint: str
    pid: int
    region: str
    access_key: str
    secret_key: str
    base_path: str
    stacks: list[str] = field(default_factory=list)
    deployed: list[str] = field(default_factory=list)
    unserved: dict[str, str] = field(default_factory=dict)
    workdirs: dict[str, str] = field(default_factory=dict)
    #: instance id -> {"role_arn": the role its resources are reached through, "region": its region}
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    terraform_env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """What boto3, the aws CLI, terraform's AWS provider and ``harness verify`` need to reach it."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region, "AWS_EC2_METADATA_DISABLED": "true",
                "HARNESS_AWS_ENDPOINT": self.endpoint, **self.terraform_env}


def save_record(directory: Path, record: SandboxRecord) -> None:
    """Written whole to a temporary name, then renamed: a reader never sees half a record."""
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{RECORD}.{os.getpid()}"
    temporary.write_text(json.dumps(asdict(record), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(directory / RECORD)


def load_record(directory: Path) -> SandboxRecord | None:
    """The sandbox in ``directory``; None when there is none."""
    path = directory / RECORD
    if not path.is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return SandboxRecord(**data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"unreadable sandbox record ({exc}): remove the folder or run harness sandbox down",
                          file=path) from None
