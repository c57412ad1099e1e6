"""Read-only AWS sessions: every client made from one refuses each operation that is not a read.

Live validation must never change an account, whatever a validator (or a bug in one) asks for. The
guard is attached to the session's botocore event system, so it applies to every client and resource
made from the session, and it fires on ``provide-client-params`` (the first event of an API call and
of presigned-URL/POST generation, before parameters are validated, an endpoint is resolved or a byte
is sent), again on ``before-parameter-build`` and ``before-call`` as a second line. Local helpers
that mint database credentials without an API call (``rds.generate_db_auth_token``, DSQL tokens) are
replaced by ones that refuse.

What counts as a read is decided from the operation name (the service models' verbs): see
``classify`` and docs/verify.md for the rules and the reason behind every exception.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.loaders
import botocore.session

from harness.errors import ReadOnlyViolation

# Verbs that only read. The lookahead makes "List" not match "Listen..." nor "Check" "Checkout...".
# "Check" and "Validate" are deliberately absent: license-manager CheckInLicense/CheckoutLicense
# mutate, and no validator needs a Validate* call.
READ_VERBS = ("Describe", "Get", "List", "Head", "Search", "Lookup", "BatchGet", "Query", "Scan", "Select")
_READ_NAME = re.compile(r"^(?:" + "|".join(READ_VERBS) + r")(?=[A-Z0-9]|$)")

# Reads whose name carries another verb.
ALLOWED: Mapping[str, Mapping[str, str]] = {
    "sts": {
        "AssumeRole": "enters the stack's account (temporary credentials for the read-only session itself)",
        "AssumeRoleWithWebIdentity": "enters an account from CI (OIDC)",
        "AssumeRoleWithSAML": "enters an account from a SAML identity provider",
        "DecodeAuthorizationMessage": "explains an AccessDenied; changes nothing",
    },
    "logs": {"FilterLogEvents": "reads log events"},
    "iam": {
        "SimulatePrincipalPolicy": "evaluates policies; changes nothing",
        "SimulateCustomPolicy": "evaluates policies; changes nothing",
    },
}

# Read-named operations that change state or hand out credentials, tokens, signed access or secret
# material. The keyword rule below catches most of them by name; these are the ones it cannot see.
DENIED: Mapping[str, Mapping[str, str]] = {
    "cognito-identity": {"GetId": "creates an identity in the pool"},
    "kms": {"GetParametersForImport": "issues a key-material import token"},
    "s3control": {"GetDataAccess": "issues S3 Access Grants credentials"},
    "lightsail": {
        "GetInstanceAccessDetails": "creates temporary SSH keys / RDP passwords",
        "GetBucketAccessKeys": "returns bucket access keys",
    },
    "gamelift": {
        "GetComputeAccess": "issues credentials for a compute resource",
        "GetInstanceAccess": "issues credentials for a fleet instance",
    },
    "wafv2": {"GetDecryptedAPIKey": "returns a decrypted API key"},
    "ssm": {"GetDeployablePatchSnapshotForInstance": "creates a patch snapshot for an instance"},
    "cloudwatchomni": {"GetSpaceDataAccess": "grants data access to a space"},
}

# Get*/BatchGet* names that hand out credentials, tokens, passwords, secrets or signed URLs.
_SENSITIVE_GET = re.compile(
    r"Token(?!Balance|Vault|Status|Metadata)|Credentials|Password(?!Policy)|Presigned|SecretValue|EmbedUrl|"
    r"LoginUrl|AuthenticationUrl|Upload(?:Url|URL|Links)|StreamingSessionURL|AuthToken")

# Client methods that mint credentials locally (no API call, so no event to guard).
_LOCAL_TOKEN_METHODS = re.compile(r"^generate_db_")


@dataclass(frozen=True)
class Verdict:
    """Is ``service:operation`` a read, and by which rule."""

    service: str
    operation: str
    read: bool
    rule: str  # "verb", "allowed", "denied", "sensitive" or "not-a-read"
    reason: str

    def __str__(self) -> str:
        what = "read" if self.read else "refused"
        return f"{self.service}:{self.operation}: {what} ({self.rule}: {self.reason})"


def classify(service: str, operation: str) -> Verdict:
    """Decide from the names alone whether an operation is a read (the guard's only rule)."""
    allowed = ALLOWED.get(service, {}).get(operation)
    if allowed is not None:
        return Verdict(service, operation, True, "allowed", allowed)
    denied = DENIED.get(service, {}).get(operation)
    if denied is not None:
        return Verdict(service, operation, False, "denied", denied)
    match = _READ_NAME.match(operation)
    if match is None:
        verb = re.match(r"[A-Z][a-z]*", operation)
        word = verb.group(0) if verb is not None else operation
        return Verdict(service, operation, False, "not-a-read", f"'{word}' is not a read verb")
    if operation.startswith(("Get", "BatchGet")):
        sensitive = _SENSITIVE_GET.search(operation)
        if sensitive is not None:
            return Verdict(service, operation, False, "sensitive",
                           f"'{sensitive.group(0)}': hands out credentials, tokens, secrets or signed access")
    return Verdict(service, operation, True, "verb", f"'{match.group(0)}' reads")


def is_read(service: str, operation: str) -> bool:
    """Shorthand for ``classify(...).read``."""
    return classify(service, operation).read


def _refuse(service: str, operation: str, verdict: Verdict | None = None) -> ReadOnlyViolation:
    why = verdict.reason if verdict is not None else "not a read"
    return ReadOnlyViolation(f"read-only session refused {service}:{operation} ({why}); nothing was sent")


def _guard(model: Any = None, **_: Any) -> None:
    """botocore handler: raise before anything is built or sent when the operation is not a read."""
    if model is None:  # not an operation event; nothing to judge
        return
    service = str(model.service_model.service_name)
    verdict = classify(service, str(model.name))
    if not verdict.read:
        raise _refuse(service, verdict.operation, verdict)


def _strip_local_token_methods(class_attributes: dict[str, Any], event_name: str = "", **_: Any) -> None:
    """``creating-client-class`` handler: replace helpers that sign DB credentials offline with refusals."""
    service = event_name.partition(".")[2] or "?"
    for name in [n for n in class_attributes if _LOCAL_TOKEN_METHODS.match(n)]:
        class_attributes[name] = _refusing_method(service, name)


def _refusing_method(service: str, name: str) -> Any:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ReadOnlyViolation(f"read-only session refused {service}.{name}() (mints database credentials)")

    refuse.__name__ = name
    return refuse


_READ_ONLY: weakref.WeakSet[Any] = weakref.WeakSet()
_LOADER: list[Any] = []
_LOADER_LOCK = threading.Lock()


def _shared_loader() -> Any:
    """One botocore data loader for every read-only session: service models are parsed once per process."""
    with _LOADER_LOCK:
        if not _LOADER:
            _LOADER.append(botocore.loaders.create_loader(os.environ.get("AWS_DATA_PATH")))
        return _LOADER[0]


def is_read_only(session: Any) -> bool:
    """Was this boto3 session made by ``read_only``?"""
    return session in _READ_ONLY


def read_only(session: boto3.Session) -> boto3.Session:
    """A new boto3 session with ``session``'s credentials and region whose clients only read.

    ``session`` itself is left untouched (it may be shared with code that writes, e.g. test seeding).
    Credentials are shared, not copied, so refreshable (assumed-role, SSO) credentials keep refreshing.
    Service models are loaded once per process and shared by all read-only sessions.
    """
    if is_read_only(session):
        return session
    source: Any = session._session  # the botocore session behind boto3's
    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_loader())
    profile = source.get_config_variable("profile")
    if profile:
        core.set_config_variable("profile", profile)
    credentials = session.get_credentials()
    if credentials is not None:
        core._credentials = credentials  # no public setter keeps a refreshable credentials object intact
    guarded = boto3.Session(botocore_session=core, region_name=session.region_name)
    events = guarded.events
    for event in ("provide-client-params", "before-parameter-build", "before-call"):
        events.register_first(event, _guard, unique_id=f"harness-read-only-{event}")
    events.register("creating-client-class", _strip_local_token_methods, unique_id="harness-read-only-class")
    _READ_ONLY.add(guarded)
    return guarded


def read_only_from_credentials(*, region: str, access_key: str | None = None, secret_key: str | None = None,
                               session_token: str | None = None, profile: str | None = None) -> boto3.Session:
    """A read-only session from explicit credentials, a profile, or (all None) the usual AWS chain."""
    return read_only(boto3.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                   aws_session_token=session_token, profile_name=profile, region_name=region))


__all__ = ["ALLOWED", "DENIED", "READ_VERBS", "Verdict", "classify", "is_read", "is_read_only", "read_only",
           "read_only_from_credentials"]
