"""The emulator itself: health, reset, per-account sessions, retries and their count, eventually()."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from harness.atmos import Resolver
from harness.aws import Emulator, EventuallyTimeout, eventually, retry_config
from harness.errors import HarnessError
from tests.integration.helpers import ROOT_ACCOUNT, SANDBOX_ACCOUNT


def test_embedded_moto_runs_on_its_own_loopback_port(emu: Emulator) -> None:
    if emu.kind != "moto":
        pytest.skip(f"HARNESS_EMULATOR={os.environ.get('HARNESS_EMULATOR')}: not the embedded moto server")
    assert emu.is_loopback
    assert emu.endpoint.startswith("http://127.0.0.1:")
    assert emu.healthy()


def test_an_endpoint_that_does_not_answer_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    emulator = Emulator("url", url=f"http://127.0.0.1:{port}", start_timeout=1.0)
    with pytest.raises(HarnessError, match=rf"127\.0\.0\.1:{port} did not answer within 1s"):
        emulator.start()


def test_unknown_emulator_choice_is_rejected() -> None:
    with pytest.raises(HarnessError, match="not moto, localstack or an http"):
        Emulator.from_env("docker-please")
    assert Emulator.from_env("http://127.0.0.1:1").kind == "url"


def test_sessions_assume_role_into_the_stack_account(emu: Emulator, resolver: Resolver) -> None:
    root = resolver.instance("account-map", "core-ue1-root")
    sandbox = resolver.instance("account-consumer", "plat-ue1-sandbox")
    assert emu.client("sts", stack=root).get_caller_identity()["Account"] == ROOT_ACCOUNT
    assert emu.client("sts", stack=sandbox).get_caller_identity()["Account"] == SANDBOX_ACCOUNT
    session = emu.session(role_arn=f"arn:aws:iam::{SANDBOX_ACCOUNT}:role/acme-terraform")
    assert (session.account_id, emu.account_id(session)) == (SANDBOX_ACCOUNT, SANDBOX_ACCOUNT)
    with pytest.raises(HarnessError, match="is not in account"):
        emu.session(account_id=ROOT_ACCOUNT, role_arn=f"arn:aws:iam::{SANDBOX_ACCOUNT}:role/x")


def test_resources_in_one_account_are_invisible_from_another(emu: Emulator, needs: Any) -> None:
    needs("dynamodb")
    a, b = emu.session(account_id=ROOT_ACCOUNT), emu.session(account_id=SANDBOX_ACCOUNT)
    a.client("s3").create_bucket(Bucket="isolation-check-a")
    a.client("dynamodb").create_table(TableName="isolation-a", BillingMode="PAY_PER_REQUEST",
                                      KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                                      AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    a.client("sqs").create_queue(QueueName="isolation-a")
    assert [x["Name"] for x in a.client("s3").list_buckets()["Buckets"]] == ["isolation-check-a"]
    assert b.client("s3").list_buckets()["Buckets"] == []
    assert a.client("dynamodb").list_tables()["TableNames"] == ["isolation-a"]
    assert b.client("dynamodb").list_tables()["TableNames"] == []
    assert b.client("sqs").list_queues().get("QueueUrls", []) == []


def test_reset_forgets_everything(emu: Emulator) -> None:
    s3 = emu.session(account_id=ROOT_ACCOUNT).client("s3")
    s3.create_bucket(Bucket="reset-check")
    emu.reset()
    assert emu.session(account_id=ROOT_ACCOUNT).client("s3").list_buckets()["Buckets"] == []


class _Flaky:
    """Answers the first ``failures`` attempts with HTTP 503 before the request leaves botocore."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.failures <= 0:
            return None
        self.failures -= 1

        class Raw:
            def stream(self) -> Any:
                yield b'<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>'

        return AWSResponse(request.url, 503, {}, Raw())


def test_botocore_retries_are_counted(emu: Emulator) -> None:
    emu.retries.reset()
    client = emu.session(account_id=ROOT_ACCOUNT).client("sts", config=retry_config(4))
    client.meta.events.register_first("before-send.sts.GetCallerIdentity", _Flaky(2))
    assert client.get_caller_identity()["Account"] == ROOT_ACCOUNT
    summary = emu.retries.summary()
    assert summary["by_operation"] == {"sts.GetCallerIdentity": 2}
    assert summary["retries"] == 2


def test_eventually_polls_until_the_check_passes() -> None:
    calls: list[int] = []

    def ready() -> bool:
        calls.append(1)
        return len(calls) >= 3

    assert eventually(ready, timeout=30, interval=0.001) is True
    assert len(calls) == 3

    def never() -> None:
        raise AssertionError("still not there")

    with pytest.raises(EventuallyTimeout, match="still not there") as info:
        eventually(never, timeout=0.05, interval=0.01)
    assert isinstance(info.value, AssertionError)


def test_localstack_that_is_neither_running_nor_installed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{port}")
    if importlib.util.find_spec("localstack") is not None or Emulator("url", url="http://127.0.0.1:4566").healthy(1):
        pytest.skip("LocalStack is installed or running here")
    with pytest.raises(HarnessError, match=r"LocalStack is not running at .*localstack-core\[runtime\]"):
        Emulator("localstack").start()


def test_embedded_moto_is_one_server_per_process(emu: Emulator) -> None:
    """moto's state is process-global: a second Emulator("moto") shares the server (and sees resets)."""
    if emu.kind != "moto":
        pytest.skip("not the embedded moto server")
    with Emulator("moto") as other:
        assert other.endpoint == emu.endpoint
        other.session(account_id=ROOT_ACCOUNT).client("s3").create_bucket(Bucket="shared-check")
        before = other.generation
        emu.reset()
        assert other.generation == before + 1
        # other's cached assumed-role credentials were dropped with the reset: still the right account
        assert other.account_id(other.session(account_id=ROOT_ACCOUNT)) == ROOT_ACCOUNT
        assert other.session(account_id=ROOT_ACCOUNT).client("s3").list_buckets()["Buckets"] == []
    assert emu.healthy()  # the first user keeps it running
