"""Live mode is opt-in and allow-listed: refused before any AWS call, and inside an account only after
the caller's identity has been checked.

"No call" is observed, not assumed: a Python audit hook records every ``socket.connect`` made by the
test's thread, and the AWS endpoint variables point at a local socket that counts connections.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from harness.atmos import Instance, Resolver
from harness.aws import Emulator
from harness.cli.common import run_guarded
from harness.cli.verify import verify
from harness.verify import LiveAccessRefused, LivePolicy, ReadOnlyAccess, Verifier, verify_stacks
from tests.e2e.conftest import Worlds
from tests.e2e.test_readonly import ConnectionCounter

REPO = Path(__file__).resolve().parents[2]
_WATCH: dict[int, list[Any]] = {}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        seen = _WATCH.get(threading.get_ident())
        if seen is not None:
            seen.append(args[1])


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while a test watches


@pytest.fixture
def connects() -> Iterator[list[Any]]:
    """Every socket.connect of this thread while the test runs."""
    seen: list[Any] = []
    _WATCH[threading.get_ident()] = seen
    yield seen
    _WATCH.pop(threading.get_ident(), None)


@pytest.fixture
def aws_nowhere(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectionCounter]:
    """Credentials and endpoints that lead to a local counting socket, never to AWS."""
    counter = ConnectionCounter()
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDNOWHERE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "nowhere")
    monkeypatch.setenv("AWS_ENDPOINT_URL", counter.url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield counter
    counter.close()


def test_live_without_allowed_account_refuses_before_any_call(resolver: Resolver, aws_nowhere: ConnectionCounter,
                                                             connects: list[Any]) -> None:
    with pytest.raises(LiveAccessRefused, match="--allow-account"):
        verify_stacks(resolver, ["plat-ue1-dev"], live=True)
    assert connects == [] and aws_nowhere.count == 0


def test_live_refuses_stacks_outside_the_allow_list(resolver: Resolver, aws_nowhere: ConnectionCounter,
                                                    connects: list[Any]) -> None:
    with pytest.raises(LiveAccessRefused) as refused:
        verify_stacks(resolver, ["plat-ue1-dev", "plat-ue1-prod"], live=True, allow_accounts=["111111111111"])
    assert "plat-ue1-prod/vpc (account 333333333333)" in str(refused.value)
    assert "plat-ue1-dev/" not in str(refused.value)
    assert connects == [] and aws_nowhere.count == 0


def test_cli_live_without_allow_account_exits_1_without_a_call(aws_nowhere: ConnectionCounter,
                                                               connects: list[Any],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    group = click.Group("harness", commands={"verify": verify})
    code = run_guarded(group, ["verify", "-s", "plat-ue1-dev", "--live", "--base-path", str(REPO)])
    assert code == 1
    assert "--live needs --allow-account" in capsys.readouterr().err
    assert connects == [] and aws_nowhere.count == 0


def test_settings_allow_list(resolver: Resolver) -> None:
    """``settings.harness.live.allowed_accounts`` of an instance allows its account, and only for it."""
    base = resolver.instance("vpc", "plat-ue1-dev")
    section = dict(base.section)
    section["settings"] = {**base.settings, "harness": {"live": {"allowed_accounts": ["111111111111"]}}}
    allowed = Instance(base.stack, base.component, base.folder, base.component_path, base.stack_file,
                       base.stack_file_path, section)
    LivePolicy().gate([allowed])
    with pytest.raises(LiveAccessRefused):
        LivePolicy().gate([allowed, resolver.instance("vpc", "plat-ue1-prod")])


@pytest.fixture
def moto_endpoint(request: pytest.FixtureRequest) -> Emulator:
    """The e2e emulator, emptied (the embedded moto servers of one process share their backends)."""
    worlds: Worlds = request.getfixturevalue("worlds")
    return worlds.scratch()


def test_caller_account_is_checked_first(moto_endpoint: Emulator, resolver: Resolver) -> None:
    """Live rules against an endpoint: AssumeRole, GetCallerIdentity, then (and only then) reads."""
    access = ReadOnlyAccess(endpoint_url=moto_endpoint.endpoint, live=True, policy=LivePolicy.of(["111111111111"]),
                            access_key="testing", secret_key="testing")
    report = Verifier(resolver, access, settle=0).verify(resolver.instance("vpc", "plat-ue1-dev"))
    assert access.calls[:2] == ["sts:AssumeRole", "sts:GetCallerIdentity"]
    assert report.failed() == {"vpc.exists"}  # nothing deployed there: drift, not an error
    assert report.account_id == "111111111111"


def test_wrong_account_behind_the_role_is_refused(moto_endpoint: Emulator) -> None:
    access = ReadOnlyAccess(endpoint_url=moto_endpoint.endpoint, live=True, policy=LivePolicy.of(["111111111111"]),
                            access_key="testing", secret_key="testing")
    with pytest.raises(LiveAccessRefused, match="caller is in account 222222222222"):
        access.account("111111111111", role_arn="arn:aws:iam::222222222222:role/acme-terraform")
    assert access.calls == ["sts:AssumeRole", "sts:GetCallerIdentity"]
    with pytest.raises(LiveAccessRefused, match="not allow-listed"):
        access.account("333333333333", role_arn="arn:aws:iam::333333333333:role/acme-terraform")
    assert len(access.calls) == 2
