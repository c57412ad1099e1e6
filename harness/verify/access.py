"""Read-only access to the accounts a stack deploys to, for the emulator and for real AWS (``--live``).

Everything goes through ``harness.aws.readonly.read_only`` sessions. Entering an account is
``sts:AssumeRole`` (the stack's role) and then ``sts:GetCallerIdentity``: the caller must be in the
stack's account, and in live mode in an allow-listed one, before any other call is made. Live mode
without an allow-listed account is refused before any AWS call at all (no session is even built).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig

from harness.aws.readonly import read_only
from harness.aws.retry import retry_config
from harness.aws.sessions import account_of, region_for, role_arn_for
from harness.errors import HarnessError
from harness.session import account_id as settings_account_id

if TYPE_CHECKING:
    from botocore.config import Config

    from harness.atmos import Instance
    from harness.aws.emulator import Emulator

_ACCOUNT = re.compile(r"^\d{12}$")


class LiveAccessRefused(HarnessError):
    """Live validation refused to touch an account (not allow-listed, or not the one expected)."""


def _live_settings(instance: Instance) -> dict[str, Any]:
    harness = instance.settings.get("harness")
    live = harness.get("live") if isinstance(harness, dict) else None
    return live if isinstance(live, dict) else {}


def settings_allowed_accounts(instance: Instance) -> set[str]:
    """``settings.harness.live.allowed_accounts`` of an instance (12-digit ids)."""
    values = _live_settings(instance).get("allowed_accounts") or []
    if isinstance(values, (str, int)):
        values = [values]
    return {str(v) for v in values if _ACCOUNT.match(str(v))}


def expected_account(instance: Instance) -> str | None:
    """The account an instance deploys to: settings/vars account id, else the account of its role."""
    found = settings_account_id(instance)
    if found is not None:
        return found
    role = role_arn_for(instance)
    return account_of(role) if role else None


def role_for(instance: Instance, *, role_name: str | None = None) -> str | None:
    """The role validators assume: ``role_name`` (CLI) or ``settings.harness.live.role_name`` in the
    stack's account, else the stack's Terraform role (``settings.account.terraform_role_arn``)."""
    name = role_name or _live_settings(instance).get("role_name")
    account = expected_account(instance)
    if isinstance(name, str) and name and account:
        return f"arn:aws:iam::{account}:role/{name}"
    return role_arn_for(instance)


@dataclass(frozen=True)
class LivePolicy:
    """Which accounts live mode may read: ``--allow-account`` plus each instance's own settings."""

    allowed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, accounts: Iterable[str]) -> LivePolicy:
        bad = [a for a in accounts if not _ACCOUNT.match(str(a))]
        if bad:
            raise HarnessError(f"--allow-account needs 12-digit account ids, got {', '.join(map(str, bad))}")
        return cls(frozenset(str(a) for a in accounts))

    def allows(self, account: str | None, instance: Instance | None = None) -> bool:
        if account is None:
            return False
        extra = settings_allowed_accounts(instance) if instance is not None else set()
        return account in self.allowed or account in extra

    def gate(self, instances: Iterable[Instance]) -> None:
        """Refuse, before any AWS call, live validation of instances outside the allow-list."""
        chosen = list(instances)
        if not self.allowed and not any(settings_allowed_accounts(i) for i in chosen):
            raise LiveAccessRefused("--live needs --allow-account ID (or settings.harness.live.allowed_accounts): "
                                    "no account is allow-listed, so nothing is read")
        refused = []
        for inst in chosen:
            account = expected_account(inst)
            if not self.allows(account, inst):
                refused.append(f"{inst.id} (account {account or 'unknown'})")
        if refused:
            raise LiveAccessRefused("live validation refused for instances outside the allow-listed accounts "
                                    f"{sorted(self.allowed) or '[]'}: {', '.join(refused)}")


@dataclass
class ReadOnlyAccount:
    """Clients in one account; every one of them refuses non-read operations."""

    account_id: str
    region: str
    role_arn: str | None
    session: Any = field(repr=False)
    endpoint_url: str | None = None
    config: Any = field(default=None, repr=False)
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str, *, region: str | None = None) -> Any:
        key = (service, region or self.region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self.session.client(service, region_name=key[1], endpoint_url=self.endpoint_url,
                                            config=self.config, **self.credentials)
                self._clients[key] = found
            return found


class ReadOnlyAccess:
    """Enters accounts read-only; in live mode only allow-listed ones, checked by GetCallerIdentity first.

    Nothing is contacted when this object is made: the base session (and with it the AWS credential
    chain) is only built when the first account is entered, after the allow-list check.
    """

    def __init__(self, *, endpoint_url: str | None, live: bool = False, policy: LivePolicy | None = None,
                 access_key: str | None = None, secret_key: str | None = None, profile: str | None = None,
                 region: str = "us-east-1", config: Config | None = None) -> None:
        if live and policy is None:
            raise LiveAccessRefused("live access needs a LivePolicy (allow-listed accounts)")
        self.endpoint_url = endpoint_url
        self.live = live
        self.policy = policy or LivePolicy()
        self.region = region
        self.config = config or retry_config(5 if live else 1)
        if endpoint_url is not None:  # emulators serve buckets by path, not by virtual host
            self.config = self.config.merge(BotoConfig(s3={"addressing_style": "path"}))
        self._credentials = (access_key, secret_key, profile)
        self._base: Any = None
        self._accounts: dict[tuple[str | None, str, str], ReadOnlyAccount] = {}
        self._lock = threading.Lock()
        self.calls: list[str] = []

    @classmethod
    def for_emulator(cls, emulator: Emulator | str, **kwargs: Any) -> ReadOnlyAccess:
        """Against an emulator (an ``Emulator`` or its URL), with its static credentials."""
        if isinstance(emulator, str):
            return cls(endpoint_url=emulator.rstrip("/"), access_key="test", secret_key="test", **kwargs)
        return cls(endpoint_url=emulator.endpoint, access_key=emulator.access_key, secret_key=emulator.secret_key,
                   region=emulator.region, **kwargs)

    @classmethod
    def for_aws(cls, policy: LivePolicy, *, profile: str | None = None, region: str = "us-east-1") -> ReadOnlyAccess:
        """Real AWS with the usual credential chain (or ``profile``), restricted to ``policy``."""
        return cls(endpoint_url=None, live=True, policy=policy, profile=profile, region=region)

    @property
    def base(self) -> Any:
        """The read-only base session (built lazily, see the class docstring)."""
        with self._lock:
            if self._base is None:
                access_key, secret_key, profile = self._credentials
                self._base = read_only(boto3.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                                     profile_name=profile, region_name=self.region))
                self._base.events.register("before-call", self._record, unique_id="harness-verify-calls")
            return self._base

    def _record(self, model: Any = None, **_: Any) -> None:
        if model is not None:
            self.calls.append(f"{model.service_model.service_name}:{model.name}")

    def account(self, account_id: str, *, role_arn: str | None, region: str | None = None,
                instance: Instance | None = None) -> ReadOnlyAccount:
        """Enter ``account_id`` (assuming ``role_arn`` when given); the caller's account is checked first."""
        region = region or self.region
        if self.live and not self.policy.allows(account_id, instance):
            raise LiveAccessRefused(f"account {account_id} is not allow-listed for live validation "
                                    f"(--allow-account / settings.harness.live.allowed_accounts); nothing was read")
        key = (role_arn, account_id, region)
        with self._lock:
            cached = self._accounts.get(key)
        if cached is not None:
            return cached
        base = self.base
        credentials: dict[str, str] = {}
        if role_arn is not None:
            sts = base.client("sts", region_name=region, endpoint_url=self.endpoint_url, config=self.config)
            try:
                creds = sts.assume_role(RoleArn=role_arn,
                                        RoleSessionName=f"harness-verify-{os.getpid()}")["Credentials"]
            except Exception as exc:  # noqa: BLE001 - botocore raises many types; all mean "cannot enter"
                raise HarnessError(f"cannot assume {role_arn} to verify account {account_id}: {exc}") from None
            credentials = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                           "aws_session_token": creds["SessionToken"]}
        entered = ReadOnlyAccount(account_id, region, role_arn, base, self.endpoint_url, self.config, credentials)
        try:
            caller = str(entered.client("sts").get_caller_identity()["Account"])
        except Exception as exc:  # noqa: BLE001
            raise HarnessError(f"cannot check the caller identity in account {account_id}: {exc}") from None
        if caller != account_id:
            raise LiveAccessRefused(f"expected to act in account {account_id} (role {role_arn or 'none'}) but the "
                                    f"caller is in account {caller}; nothing else was read")
        with self._lock:
            self._accounts[key] = entered
        return entered

    def for_instance(self, instance: Instance, *, role_name: str | None = None,
                     region: str | None = None) -> ReadOnlyAccount:
        """The account of an instance, entered with its role (see ``role_for``)."""
        account = expected_account(instance)
        if account is None:
            raise HarnessError(f"{instance.id}: no account id in settings.account.id, vars.account_id or a role ARN",
                               file=instance.stack_file_path)
        return self.account(account, role_arn=role_for(instance, role_name=role_name),
                            region=region or region_for(instance, self.region), instance=instance)
