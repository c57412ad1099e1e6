"""Per-account AWS sessions: STS assume-role into the account a stack deploys to.

The same code serves the emulator (every client gets the emulator's endpoint) and real AWS (no
endpoint, ambient credentials), so nothing but the endpoint differs between the two.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from harness.aws.retry import RetryCounter, retry_config
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.atmos import Instance

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/.+$")


def account_of(role_arn: str) -> str:
    """The 12-digit account id in an IAM role ARN."""
    match = _ROLE_ARN.match(role_arn)
    if match is None:
        raise HarnessError(f"'{role_arn}' is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)")
    return match.group(1)


def role_arn_for(instance: Instance, *, role_name: str = "harness") -> str | None:
    """The role a stack deploys with: ``settings.account.terraform_role_arn``, ``vars.role_arn``, or by account id."""
    account = instance.settings.get("account")
    account = account if isinstance(account, dict) else {}
    for candidate in (account.get("terraform_role_arn"), instance.vars.get("role_arn")):
        if isinstance(candidate, str) and _ROLE_ARN.match(candidate):
            return candidate
    for candidate in (account.get("id"), instance.vars.get("account_id")):
        if isinstance(candidate, (str, int)) and re.fullmatch(r"\d{12}", str(candidate)):
            return f"arn:aws:iam::{candidate}:role/{role_name}"
    return None


def region_for(instance: Instance, default: str = "us-east-1") -> str:
    """The stack's region (``vars.region``), else ``default``."""
    region = instance.vars.get("region")
    return region if isinstance(region, str) and region else default


@dataclass
class AccountSession:
    """One account's credentials; its clients go to ``endpoint_url`` (None: real AWS).

    Clients are made from a boto3 session shared by all accounts of a factory (service models load once)
    with this account's credentials passed explicitly; ``boto`` gives a dedicated boto3 session if needed.
    """

    base: Any = field(repr=False)
    region: str
    endpoint_url: str | None = None
    account_id: str | None = None
    role_arn: str | None = None
    config: Config = field(default_factory=retry_config, repr=False)
    credentials: dict[str, str] | None = field(default=None, repr=False)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _config(self, service: str, config: Config | None) -> Config:
        merged = self.config if config is None else self.config.merge(config)
        if service == "s3" and self.endpoint_url is not None:
            merged = merged.merge(Config(s3={"addressing_style": "path"}))
        return merged

    def client(self, service: str, *, region: str | None = None, config: Config | None = None) -> Any:
        """A client in this account (and the emulator, if any), with retries configured; cached unless ``config``."""
        key = (service, region or self.region)
        if config is None:
            with self._lock:
                cached = self._clients.get(key)
            if cached is not None:
                return cached
        made = self.base.client(service, region_name=key[1], endpoint_url=self.endpoint_url,
                                config=self._config(service, config), **(self.credentials or {}))
        if config is None:
            with self._lock:
                made = self._clients.setdefault(key, made)
        return made

    def resource(self, service: str, *, region: str | None = None, config: Config | None = None) -> Any:
        """A boto3 resource in this account."""
        return self.base.resource(service, region_name=region or self.region, endpoint_url=self.endpoint_url,
                                  config=self._config(service, config), **(self.credentials or {}))

    @property
    def boto(self) -> Any:
        """A boto3 session of its own with this account's credentials (and region)."""
        if self.credentials is None:
            return self.base
        return boto3.Session(aws_access_key_id=self.credentials["aws_access_key_id"],
                             aws_secret_access_key=self.credentials["aws_secret_access_key"],
                             aws_session_token=self.credentials["aws_session_token"], region_name=self.region)


class SessionFactory:
    """Makes and caches assumed-role sessions from one base identity; counts retries on all of them."""

    def __init__(self, *, endpoint_url: str | None, access_key: str | None = None, secret_key: str | None = None,
                 region: str = "us-east-1", config: Config | None = None, counter: RetryCounter | None = None,
                 role_name: str = "harness") -> None:
        self.endpoint_url = endpoint_url
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.config = config or retry_config()
        self.counter = counter or RetryCounter()
        self.role_name = role_name
        self._cache: dict[tuple[str | None, str], AccountSession] = {}
        #: Every (role, region) a session was made for, kept across ``clear()`` so a wipe can find them.
        self.touched: set[tuple[str | None, str]] = set()
        self._lock = threading.Lock()
        self._shared: Any = None

    def _boto(self) -> Any:
        """The shared base session (the emulator's static credentials, or ambient ones for AWS)."""
        with self._lock:
            if self._shared is None:
                self._shared = boto3.Session(aws_access_key_id=self.access_key if self.endpoint_url else None,
                                             aws_secret_access_key=self.secret_key if self.endpoint_url else None,
                                             region_name=self.region)
                self.counter.attach(self._shared.events)
            return self._shared

    def base(self, region: str | None = None) -> AccountSession:
        """The identity the harness runs as (emulator: its default account; AWS: ambient credentials)."""
        return self.session(region=region)

    def session(self, *, account_id: str | None = None, role_arn: str | None = None,
                region: str | None = None) -> AccountSession:
        """A session in ``account_id`` or as ``role_arn`` via STS assume-role; neither: the base identity."""
        region = region or self.region
        if role_arn is None and account_id is not None:
            if not re.fullmatch(r"\d{12}", str(account_id)):
                raise HarnessError(f"account id '{account_id}' is not 12 digits")
            role_arn = f"arn:aws:iam::{account_id}:role/{self.role_name}"
        if role_arn is not None:
            account = account_of(role_arn)
            if account_id is not None and str(account_id) != account:
                raise HarnessError(f"role {role_arn} is not in account {account_id}")
        key = (role_arn, region)
        with self._lock:
            self.touched.add(key)
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        base = AccountSession(self._boto(), region, self.endpoint_url, config=self.config)
        if role_arn is None:
            made = base
        else:
            sts = base.client("sts")
            try:
                creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=f"harness-{os.getpid()}")["Credentials"]
            except Exception as exc:  # noqa: BLE001 - botocore raises many error types; all mean "cannot assume"
                raise HarnessError(f"cannot assume {role_arn}: {exc}") from None
            credentials = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                           "aws_session_token": creds["SessionToken"]}
            made = AccountSession(base.base, region, self.endpoint_url, account_of(role_arn), role_arn, self.config,
                                  credentials)
        with self._lock:
            self._cache[key] = made
        return made

    def clear(self) -> None:
        """Forget cached credentials (after an emulator reset they point at nothing)."""
        with self._lock:
            self._cache.clear()
            self._shared = None
