"""The read-only guard, proven against every operation of every service model botocore ships.

Each operation is classified; every one that is not a read is actually called through a client made
from a read-only session whose endpoint is a local listening socket that counts connections: the call
must raise ReadOnlyViolation and the socket must see nothing. Reads are not sent (the guard lets them
through; test_reads_reach_the_emulator shows that on a real moto server).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config

from harness.aws import Emulator
from harness.aws.readonly import classify, is_read_only, read_only
from harness.errors import ReadOnlyViolation
from tests.e2e.conftest import Worlds

REPO = Path(__file__).resolve().parents[2]


class ConnectionCounter:
    """A listening loopback socket that accepts, counts and closes every connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.count = 0
        self._thread = threading.Thread(target=self._serve, daemon=True, name="connection-counter")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def counter() -> Iterator[ConnectionCounter]:
    found = ConnectionCounter()
    yield found
    found.close()


def _guarded(region: str = "us-east-1") -> Any:
    return read_only(boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                   region_name=region))


_FAST = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=2)


def test_no_mutating_operation_of_any_service_gets_through(counter: ConnectionCounter) -> None:
    started = time.monotonic()
    session = _guarded()
    sent: list[str] = []
    session.events.register("before-send", lambda request=None, **_: sent.append(str(getattr(request, "url", ""))))
    services = botocore.session.get_session().get_available_services()
    totals: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    passed: list[str] = []
    unexposed: list[str] = []
    for service in services:
        client = session.client(service, endpoint_url=counter.url, config=_FAST)
        methods = {api: name for name, api in client.meta.method_to_api_mapping.items()}
        for operation in client.meta.service_model.operation_names:
            totals["operations"] += 1
            verdict = classify(service, operation)
            by_rule[verdict.rule] += 1
            if verdict.read:
                totals["reads allowed"] += 1
                continue
            method = methods[operation]
            if not hasattr(client, method):  # botocore removes a few bidirectional-stream methods itself
                unexposed.append(f"{service}:{operation}")
                totals["refused (no client method)"] += 1
                continue
            try:
                getattr(client, method)()
            except ReadOnlyViolation as exc:
                assert f"{service}:{operation}" in str(exc)
                totals["refused"] += 1
            except Exception as exc:  # noqa: BLE001 - anything else means the guard did not stop it
                passed.append(f"{service}:{operation} ({type(exc).__name__})")
            else:
                passed.append(f"{service}:{operation} (returned)")
    totals["mutating passed"] = len(passed)
    summary = {"botocore": botocore.__version__, "services": len(services), **totals,
               "connections": counter.count, "requests sent": len(sent), "by_rule": dict(by_rule),
               "refused without a client method": unexposed, "seconds": round(time.monotonic() - started, 1)}
    print("\nread-only guard: " + json.dumps(summary, indent=2))
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "readonly-guard.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    assert passed == []
    assert counter.count == 0 and sent == []
    assert totals["reads allowed"] + totals["refused"] + totals["refused (no client method)"] == totals["operations"]
    assert totals["operations"] > 10_000 and totals["reads allowed"] > 5_000


@pytest.mark.parametrize(("service", "operation", "read"), [
    ("ec2", "DescribeVpcs", True), ("s3", "GetObject", True), ("s3", "HeadObject", True),
    ("s3", "ListObjectsV2", True), ("dynamodb", "Query", True), ("dynamodb", "Scan", True),
    ("sts", "GetCallerIdentity", True), ("sts", "AssumeRole", True), ("sts", "AssumeRoleWithWebIdentity", True),
    ("kinesis", "GetShardIterator", True), ("athena", "GetQueryResults", True), ("codecommit", "GetFile", True),
    ("logs", "FilterLogEvents", True), ("cloudtrail", "LookupEvents", True),
    ("ec2", "CreateVpc", False), ("s3", "PutObject", False), ("iam", "PassRole", False),
    ("sqs", "ReceiveMessage", False), ("kms", "Decrypt", False), ("kms", "GenerateDataKey", False),
    ("sts", "GetSessionToken", False), ("sts", "GetFederationToken", False), ("sts", "AssumeRoot", False),
    ("ecr", "GetAuthorizationToken", False), ("redshift", "GetClusterCredentials", False),
    ("cognito-identity", "GetId", False), ("cognito-identity", "GetOpenIdToken", False),
    ("secretsmanager", "GetSecretValue", False), ("license-manager", "CheckoutLicense", False),
    ("license-manager", "CheckInLicense", False), ("cloudformation", "ValidateTemplate", False),
    ("waf", "GetChangeToken", False), ("waf", "GetChangeTokenStatus", True), ("iam", "GetCredentialReport", True),
    ("iam", "GetAccountPasswordPolicy", True), ("kms", "GetParametersForImport", False),
])
def test_classification(service: str, operation: str, read: bool) -> None:
    assert classify(service, operation).read is read, classify(service, operation)


def test_presigned_urls_and_local_tokens(counter: ConnectionCounter) -> None:
    session = _guarded()
    s3 = session.client("s3", endpoint_url=counter.url, config=_FAST)
    assert "Signature=" in s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    with pytest.raises(ReadOnlyViolation, match="s3:PutObject"):
        s3.generate_presigned_url("put_object", Params={"Bucket": "b", "Key": "k"})
    with pytest.raises(ReadOnlyViolation):
        s3.generate_presigned_post("b", "k")
    with pytest.raises(ReadOnlyViolation, match="generate_db_auth_token"):
        session.client("rds", endpoint_url=counter.url).generate_db_auth_token("db.example", 5432, "admin")
    with pytest.raises(ReadOnlyViolation, match="s3:CreateBucket"):
        session.resource("s3", endpoint_url=counter.url).Bucket("b").create()
    assert counter.count == 0


@pytest.fixture
def moto_server(request: pytest.FixtureRequest) -> Emulator:
    """The e2e emulator, emptied (the embedded moto servers of one process share their backends)."""
    worlds: Worlds = request.getfixturevalue("worlds")
    return worlds.scratch()


def test_reads_reach_the_emulator_writes_do_not(moto_server: Emulator) -> None:
    writer = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    guarded = read_only(writer)
    assert is_read_only(guarded) and not is_read_only(writer)
    url = moto_server.endpoint
    before = len(writer.client("ec2", endpoint_url=url).describe_vpcs()["Vpcs"])
    ec2 = guarded.client("ec2", endpoint_url=url)
    assert guarded.client("sts", endpoint_url=url).get_caller_identity()["Account"]
    assert len(ec2.describe_vpcs()["Vpcs"]) == before
    with pytest.raises(ReadOnlyViolation, match="ec2:CreateVpc"):
        ec2.create_vpc(CidrBlock="10.99.0.0/16")
    with pytest.raises(ReadOnlyViolation, match="s3:CreateBucket"):
        guarded.client("s3", endpoint_url=url).create_bucket(Bucket="must-not-exist")
    assert len(writer.client("ec2", endpoint_url=url).describe_vpcs()["Vpcs"]) == before
    names = [b["Name"] for b in writer.client("s3", endpoint_url=url).list_buckets()["Buckets"]]
    assert "must-not-exist" not in names
    # the session read_only() was given still writes: the guard lives on the new session only
    writer.client("s3", endpoint_url=url).create_bucket(Bucket="the-writer-still-writes")
