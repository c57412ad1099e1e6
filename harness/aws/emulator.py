"""The AWS emulator: an embedded moto server (default), LocalStack, or any AWS-compatible URL.

One emulator per test process (per xdist worker): the embedded moto server listens on a free
loopback port, so parallel workers never share state. Every emulator is health-checked (an STS
call) before use, and a clear ``HarnessError`` says why when it cannot start.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from harness.aws.retry import RetryCounter, retry_config
from harness.aws.sessions import AccountSession, SessionFactory, region_for, role_arn_for
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.atmos import Instance

EmulatorKind = Literal["moto", "localstack", "url"]

LOCALSTACK_PIP = ('pip install "localstack-core[runtime]" "cbor2<6" "pyopenssl<24.3" "cryptography<44" '
                  '"service_identity<25"')
_CREDENTIALS = {"moto": ("testing", "testing"), "localstack": ("test", "test"), "url": ("test", "test")}


def free_port(host: str) -> int:
    """A port nothing listens on now (the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _http(method: str, url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read() or b""


class _Embedded:
    """The process's embedded moto server.

    moto keeps its resources in module-level globals, so every moto server (and ``mock_aws``) in one
    process shares one state: two servers would only look isolated. A process therefore has one
    embedded server, shared (reference-counted) by every ``Emulator("moto")`` in it: one per xdist worker.
    """

    lock = threading.Lock()
    server: Any = None
    url: str | None = None
    refs = 0


_generations: dict[str, int] = {}


class Emulator:
    """An AWS endpoint for integration tests, with per-account sessions and a reset for isolation."""

    def __init__(self, kind: str = "moto", *, url: str | None = None, host: str = "127.0.0.1", port: int = 0,
                 region: str = "us-east-1", start_timeout: float = 90.0, max_attempts: int = 5,
                 role_name: str = "harness", log_dir: Path | None = None) -> None:
        if kind not in ("moto", "localstack", "url"):
            raise HarnessError(f"unknown emulator kind '{kind}': use moto, localstack or a URL")
        if kind == "url" and not url:
            raise HarnessError("an emulator of kind 'url' needs url=")
        self.kind: EmulatorKind = kind  # type: ignore[assignment]
        self.host = host
        self.port = port
        self.region = region
        self.start_timeout = start_timeout
        self.role_name = role_name
        self.log_dir = log_dir
        self.access_key, self.secret_key = _CREDENTIALS[kind]
        self.retries = RetryCounter()
        self.config = retry_config(max_attempts)
        self._url = url.rstrip("/") if url else None
        self._moto: Any = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None
        self._owned = False
        self._sessions: SessionFactory | None = None
        self._supports: dict[str, tuple[bool, str]] = {}
        self.recorded_kind: str | None = None
        self._sessions_generation = 0

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_env(cls, value: str | None = None, **kwargs: Any) -> Emulator:
        """From ``value``, ``HARNESS_EMULATOR`` or ``HARNESS_AWS_ENDPOINT``: moto (default) | localstack | URL."""
        choice = (value or os.environ.get("HARNESS_EMULATOR") or os.environ.get("HARNESS_AWS_ENDPOINT") or "moto")
        choice = choice.strip()
        if choice.startswith(("http://", "https://")):
            return cls("url", url=choice, **kwargs)
        if choice.lower() in ("moto", "localstack"):
            return cls(choice.lower(), **kwargs)
        raise HarnessError(f"HARNESS_EMULATOR='{choice}' is not moto, localstack or an http(s) URL")

    @classmethod
    def connect(cls, kind: str, endpoint: str, **kwargs: Any) -> Emulator:
        """An already running emulator (e.g. recorded in a run ledger); not started or stopped by us."""
        emulator = cls("url", url=endpoint, **kwargs)
        if kind in _CREDENTIALS:
            emulator.access_key, emulator.secret_key = _CREDENTIALS[kind]
        emulator.recorded_kind = kind
        return emulator

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        if self._url is None:
            raise HarnessError(f"the {self.kind} emulator is not started: call start() first")
        return self._url

    def start(self) -> Emulator:
        """Start (or find) the emulator and wait until it answers."""
        if self.kind == "moto":
            if self._moto is None:
                self._start_moto()
        elif self.kind == "localstack" and self._url is None:
            self._start_localstack()
        self.wait_healthy(self.start_timeout)
        return self

    def _start_moto(self) -> None:
        with _Embedded.lock:
            if _Embedded.server is None:
                _Embedded.server, _Embedded.url = self._new_moto_server()
            _Embedded.refs += 1
            self._moto = _Embedded.server
            self._owned = True
            self._url = _Embedded.url

    def _new_moto_server(self) -> tuple[Any, str]:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise HarnessError(f"moto's server is not installed ({exc}): pip install 'moto[server]'") from None
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                server.start()
            except BaseException as exc:  # noqa: BLE001 - reported to the caller below
                errors.append(exc)

        starter = threading.Thread(target=run, daemon=True, name="harness-moto-start")
        starter.start()
        starter.join(self.start_timeout)
        if errors or starter.is_alive() or server._server is None:
            why = errors[0] if errors else "did not start in time"
            raise HarnessError(f"the embedded moto server could not start on {self.host}:{self.port or 'a free port'}: "
                               f"{why}")
        host, port = server.get_host_and_port()
        return server, f"http://{host}:{port}"

    def _localstack_candidates(self) -> list[str]:
        out = []
        if os.environ.get("LOCALSTACK_ENDPOINT"):
            out.append(os.environ["LOCALSTACK_ENDPOINT"].rstrip("/"))
        try:
            from localstack_client.config import get_service_endpoint

            edge = get_service_endpoint("edge")
            if edge:
                out.append(edge.rstrip("/"))
        except ImportError:
            pass
        out.append("http://127.0.0.1:4566")
        return list(dict.fromkeys(out))

    def _start_localstack(self) -> None:
        candidates = self._localstack_candidates()
        for candidate in candidates:
            if self._answers(candidate, timeout=2.0):
                self._url = candidate
                return
        if os.environ.get("LOCALSTACK_ENDPOINT"):
            raise HarnessError(f"LOCALSTACK_ENDPOINT={os.environ['LOCALSTACK_ENDPOINT']} does not answer")
        if importlib.util.find_spec("localstack") is None:
            raise HarnessError(f"LocalStack is not running at {' or '.join(candidates)} and not installed here; "
                               "install it with "
                               f"{LOCALSTACK_PIP} (see docs/integration.md) or set LOCALSTACK_ENDPOINT")
        port = self.port or free_port(self.host)
        log_dir = self.log_dir or Path(tempfile.gettempdir())
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = log_dir / f"harness-localstack-{os.getpid()}-{port}.log"
        env = {**os.environ, "GATEWAY_LISTEN": f"{self.host}:{port}", "SKIP_SSL_CERT_DOWNLOAD": "1",
               "DISABLE_EVENTS": "1"}
        with self._log.open("wb") as log:
            self._process = subprocess.Popen([sys.executable, "-m", "localstack.runtime.main"], env=env,
                                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
        self._url = f"http://{self.host}:{port}"
        self._owned = True

    def _answers(self, url: str, timeout: float) -> bool:
        factory = SessionFactory(endpoint_url=url, access_key=self.access_key, secret_key=self.secret_key,
                                 region=self.region,
                                 config=retry_config(1, connect_timeout=timeout, read_timeout=timeout))
        try:
            factory.base().client("sts").get_caller_identity()
        except Exception:  # noqa: BLE001 - any failure means "not usable yet"
            return False
        return True

    def healthy(self, timeout: float = 5.0) -> bool:
        """Does the endpoint answer an STS GetCallerIdentity?"""
        return self._url is not None and self._answers(self._url, timeout)

    def wait_healthy(self, timeout: float) -> None:
        """Poll until healthy; HarnessError naming the endpoint (and LocalStack's log) when it never is."""
        deadline = time.monotonic() + timeout
        while True:
            # A process of ours that exited (its port taken, say) must not be replaced by whatever answers there.
            if self._process is not None and self._process.poll() is not None:
                raise HarnessError(f"LocalStack exited with code {self._process.returncode} before it answered: "
                                   f"{self._log_tail()}")
            if self.healthy(timeout=min(5.0, max(0.5, deadline - time.monotonic()))):
                if self._process is None or self._process.poll() is None:
                    return
                continue
            if time.monotonic() >= deadline:
                where = self._url or "(no endpoint)"
                extra = f"; log: {self._log_tail()}" if self._log else ""
                self.stop()
                raise HarnessError(f"the {self.kind} emulator at {where} did not answer within {timeout:g}s{extra}")
            time.sleep(0.2)

    def _log_tail(self) -> str:
        if self._log is None or not self._log.exists():
            return "(no log)"
        lines = self._log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return " | ".join(lines[-8:]) + f" (full log: {self._log})"

    def stop(self) -> None:
        """Stop what this object started (the moto thread once its last user stops, the LocalStack process)."""
        if self._moto is not None:
            with _Embedded.lock:
                _Embedded.refs -= 1
                if _Embedded.refs <= 0 and _Embedded.server is not None:
                    with contextlib.suppress(Exception):
                        _Embedded.server.stop()
                    _Embedded.server, _Embedded.url, _Embedded.refs = None, None, 0
            self._moto = None
            self._url = None
        if self._process is not None:
            proc = self._process
            self._process = None
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)
            self._url = None
        self._owned = False
        if self._sessions is not None:
            self._sessions.clear()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- isolation --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every resource in every account (moto: ``POST /moto-api/reset``)."""
        kinds = [self.kind] if self.kind != "url" else ["moto", "localstack"]
        paths = {"moto": "/moto-api/reset", "localstack": "/_localstack/state/reset"}
        last = ""
        answered = False
        for kind in kinds:
            try:
                status, body = _http("POST", self.endpoint + paths[kind], timeout=30)
            except (OSError, urllib.error.URLError) as exc:
                last = str(exc)
                continue
            answered = True
            if 200 <= status < 300:
                if self._sessions is not None:
                    self._sessions.clear()
                _generations[self.endpoint] = _generations.get(self.endpoint, 0) + 1
                return
            last = f"HTTP {status} {body[:200]!r}"
        if answered and self.kind in ("localstack", "url"):
            # LocalStack's community edition has no state-reset endpoint: empty what the harness touched.
            self._wipe()
            if self._sessions is not None:
                self._sessions.clear()
            _generations[self.endpoint] = _generations.get(self.endpoint, 0) + 1
            return
        raise HarnessError(f"cannot reset the emulator at {self.endpoint}: {last}")

    def _wipe(self) -> None:
        """Delete every bucket (all versions), queue and table in every account sessions were made for."""
        factory = self.sessions
        keys = {(None, self.region), *factory.touched}
        for role_arn, region in sorted(keys, key=lambda k: (k[0] or "", k[1])):
            try:
                account = factory.session(role_arn=role_arn, region=region)
            except HarnessError:
                continue
            _empty_account(account)


    @property
    def generation(self) -> int:
        """How many resets this endpoint has had in this process: a cached "world" older than it is gone."""
        return _generations.get(self.endpoint, 0)

    # -- sessions ----------------------------------------------------------------------------------
    @property
    def sessions(self) -> SessionFactory:
        """Assumed-role sessions; forgotten after any reset of the endpoint (moto forgets the roles too)."""
        if self._sessions is None or self._sessions.endpoint_url != self.endpoint:
            self._sessions = SessionFactory(endpoint_url=self.endpoint, access_key=self.access_key,
                                            secret_key=self.secret_key, region=self.region, config=self.config,
                                            counter=self.retries, role_name=self.role_name)
        elif self._sessions_generation != self.generation:
            self._sessions.clear()
        self._sessions_generation = self.generation
        return self._sessions

    def session(self, account_id: str | None = None, role_arn: str | None = None,
                region: str | None = None) -> AccountSession:
        """A session in ``account_id`` (or as ``role_arn``) via STS assume-role; neither: the default account."""
        return self.sessions.session(account_id=account_id, role_arn=role_arn, region=region)

    def client(self, service: str, *, stack: Instance | None = None, account_id: str | None = None,
               role_arn: str | None = None, region: str | None = None) -> Any:
        """A client in the account of ``stack`` (an instance: its settings.account / vars.role_arn) or the given one."""
        if stack is not None:
            role_arn = role_arn or role_arn_for(stack, role_name=self.role_name)
            region = region or region_for(stack, self.region)
        return self.session(account_id=account_id, role_arn=role_arn, region=region).client(service)

    def account_id(self, session: AccountSession | None = None) -> str:
        """The account a session (default: the base one) acts in, as the emulator sees it."""
        chosen = session or self.session()
        return str(chosen.client("sts").get_caller_identity()["Account"])

    # -- capabilities --------------------------------------------------------------------------------
    def supports(self, service: str) -> tuple[bool, str]:
        """Can this emulator serve ``service`` here? (answer, reason). moto serves everything it models."""
        if self.kind == "moto":
            return True, "moto"
        if service in self._supports:
            return self._supports[service]
        probes: dict[str, tuple[str, str]] = {"dynamodb": ("dynamodb", "list_tables"), "s3": ("s3", "list_buckets"),
                                              "sts": ("sts", "get_caller_identity"), "iam": ("iam", "list_roles"),
                                              "ec2": ("ec2", "describe_vpcs"), "kms": ("kms", "list_keys")}
        name, operation = probes.get(service, (service, ""))
        if not operation:
            return True, "not probed"
        client = self.session().client(name, config=retry_config(1, connect_timeout=5, read_timeout=20))
        try:
            getattr(client, operation)()
        except Exception as exc:  # noqa: BLE001 - any failure means the service is not usable here
            text = str(exc).splitlines()[0][:200]
            answer = (False, f"{self.kind} at {self.endpoint} cannot serve {service} here: {text}")
        else:
            answer = (True, "answered")
        self._supports[service] = answer
        return answer

    # -- terraform -----------------------------------------------------------------------------------
    def terraform_env(self) -> dict[str, str | None]:
        """Environment for terraform against the emulator (None: remove the variable)."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_SESSION_TOKEN": None, "AWS_SECURITY_TOKEN": None, "AWS_PROFILE": None,
                "AWS_DEFAULT_PROFILE": None, "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": None}

    def describe(self) -> dict[str, Any]:
        """JSON-ready: what a later process needs to reach this emulator again."""
        return {"kind": self.recorded_kind or self.kind, "endpoint": self.endpoint}

    @property
    def is_loopback(self) -> bool:
        host = urlparse(self.endpoint).hostname or ""
        return host in ("localhost", "::1") or host.startswith("127.")

    def __repr__(self) -> str:
        return f"Emulator(kind={self.kind!r}, endpoint={self._url!r})"

    def health_report(self) -> str:
        """One line for a test header."""
        return json.dumps({"kind": self.kind, "endpoint": self._url, "retries": self.retries.total})


def _quiet(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except Exception:  # noqa: BLE001 - wiping is best effort: a service the emulator lacks has nothing to wipe
        return None


def _empty_account(account: Any) -> None:
    s3 = account.client("s3")
    for bucket in (_quiet(s3.list_buckets) or {}).get("Buckets", []):
        name = bucket["Name"]
        for page in _quiet(lambda n=name: list(s3.get_paginator("list_object_versions").paginate(Bucket=n))) or []:
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                      for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]]
            if doomed:
                _quiet(s3.delete_objects, Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        for page in _quiet(lambda n=name: list(s3.get_paginator("list_objects_v2").paginate(Bucket=n))) or []:
            doomed = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if doomed:
                _quiet(s3.delete_objects, Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        _quiet(s3.delete_bucket, Bucket=name)
    sqs = account.client("sqs")
    for url in (_quiet(sqs.list_queues) or {}).get("QueueUrls", []):
        _quiet(sqs.delete_queue, QueueUrl=url)
    dynamodb = account.client("dynamodb")
    for table in (_quiet(dynamodb.list_tables) or {}).get("TableNames", []):
        _quiet(dynamodb.delete_table, TableName=table)
