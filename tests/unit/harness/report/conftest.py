"""A small but complete run (tests, findings, waivers, engines) and its shards, for the report tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from harness.report import Report, ReportBuilder

CREATED = "2025-06-01T12:00:00Z"
ENV = {"platform": "Linux-test", "python": "3.11.7", "terraform": "1.9.8",
       "providers": {"registry.terraform.io/hashicorp/aws": "5.80.0"}}


@dataclass(frozen=True)
class T:
    """One test of the sample run."""

    name: str
    stack: str | None
    component: str | None
    outcome: str = "passed"
    reason: str | None = None
    duration: float = 0.1
    longrepr: str | None = None
    kind: str | None = None

    @property
    def nodeid(self) -> str:
        folder = "harness" if self.component is None else "components"
        module = "test_report" if self.component is None else f"test_{self.component}"
        suffix = "" if self.stack is None else f"[{self.stack}]"
        return f"tests/unit/{folder}/{module}.py::{self.name}{suffix}"


def finding(policy: str, severity: str, stack: str, component: str, address: str | None, *, outcome: str = "fail",
            controls: Iterable[str] = ("CIS-AWS-2.1.1",), message: str = "bad", waiver: dict[str, Any] | None = None,
            line: int = 3) -> dict[str, Any]:
    """A finding as ``harness.policy.Finding.to_json()`` gives it."""
    return {"policy": policy, "severity": severity, "outcome": outcome, "stack": stack, "component": component,
            "address": address, "file": "main.tf", "line": line, "path": None, "value": None, "message": message,
            "controls": list(controls), "waiver": waiver}


def waiver(status: str, stack: str, index: int, policy: str = "s3.encryption", *, component: str | None = None,
           expires: str = "2099-01-01") -> dict[str, Any]:
    """A waiver as ``harness.policy.Waiver.to_json()`` gives it, plus its status."""
    return {"status": status, "policy": policy, "resources": ["aws_s3_bucket.*"], "component": component,
            "reason": "migration", "expires": expires, "ticket": "SEC-1", "stack": stack, "index": index}


@dataclass
class Run:
    """The facts of one run; ``report()`` replays them through the ReportBuilder the plugin uses."""

    tests: list[T] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    waivers: list[dict[str, Any]] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    shard: str | None = None
    run: dict[str, Any] = field(default_factory=dict)

    def report(self) -> Report:
        builder = ReportBuilder(shard=self.shard, created=CREATED)
        builder.set_environment(ENV)
        for ident, engine in self.engines.items():
            builder.set_engine(ident, engine)
        for t in self.tests:
            builder.add_test(t.nodeid, stack=t.stack, component=t.component, outcome=t.outcome, reason=t.reason,
                             duration=t.duration, longrepr=t.longrepr, kind=t.kind)
        builder.add_findings(self.findings)
        builder.add_waivers(self.waivers)
        builder.add_retries(self.retries)
        builder.set_run(**self.run)
        return builder.build()

    def write(self, path: Path) -> Path:
        return self.report().write(path)

    def but(self, **changes: Any) -> Run:
        return replace(self, **changes)


STACKS = ("core-ue1-prod", "plat-ue1-dev", "plat-ue1-prod")


def full_run() -> Run:
    """Three stacks; core-ue1-prod deploys no vpc; one failure, one undetermined, one skip, findings, waivers."""
    tests = [T("test_own_thing", None, None, duration=0.01)]
    for stack in ("plat-ue1-dev", "plat-ue1-prod"):
        tests.append(T("test_vpc_has_the_stack_cidr", stack, "vpc", duration=0.2))
        tests.append(T("test_flow_logs", stack, "vpc", duration=0.3,
                       **({"outcome": "failed", "reason": "AssertionError: prod VPCs must ship flow logs",
                           "longrepr": "def test_flow_logs(plan):\n>   assert logs\nE   AssertionError"}
                          if stack == "plat-ue1-prod" else {})))
    for stack in STACKS:
        tests.append(T("test_bucket_encrypted", stack, "log_bucket", duration=0.05))
        tests.append(T("test_bucket_arn", stack, "log_bucket", duration=0.05,
                       **({"outcome": "undetermined", "reason": "aws_s3_bucket.this.arn: undetermined: known after "
                           "apply"} if stack == "core-ue1-prod" else {})))
    tests.append(T("test_role_trust", "core-ue1-prod", "iam_role", outcome="skipped", reason="no trust policy"))
    findings = [
        finding("network.flow-logs", "high", "plat-ue1-prod", "vpc", "aws_vpc.this", controls=["CIS-AWS-3.9"]),
        finding("s3.encryption", "critical", "plat-ue1-prod", "log_bucket", "aws_s3_bucket.this", outcome="waived",
                waiver={"reason": "migration", "expires": "2099-01-01", "ticket": "SEC-1"}),
        finding("tags.required", "low", "plat-ue1-dev", "log_bucket", "aws_s3_bucket.this", controls=[]),
        finding("s3.public-access", "medium", "core-ue1-prod", "log_bucket", "aws_s3_bucket.this",
                outcome="undetermined"),
    ]
    waivers = [waiver("used", "plat-ue1-prod", 0), waiver("stale", "plat-ue1-dev", 0, "network.*")]
    engines = {f"{s}/{c}": "static" for s in STACKS for c in ("log_bucket",)}
    engines.update({"plat-ue1-dev/vpc": "static", "plat-ue1-prod/vpc": "terraform", "core-ue1-prod/iam_role": "static"})
    return Run(tests=tests, findings=findings, waivers=waivers, engines=engines, retries=5)


def shards_of(run: Run) -> tuple[Run, Run]:
    """Split by component: shard 1 has vpc (and the non-instance test), shard 2 everything else.

    Waivers are per instance in the plugin: the plat-ue1-prod waiver covers the waived log_bucket
    finding (shard 2 reports it used) and nothing in plat-ue1-prod/vpc (shard 1 reports it stale).
    """
    def first(component: str | None) -> bool:
        return component in (None, "vpc")

    def part(keep: Callable[[str | None], bool], shard: str, retries: int, waivers: list[dict[str, Any]]) -> Run:
        return Run(tests=[t for t in run.tests if keep(t.component)],
                   findings=[f for f in run.findings if keep(f["component"])],
                   engines={k: v for k, v in run.engines.items() if keep(k.partition("/")[2])},
                   waivers=waivers, retries=retries, shard=shard)

    stale_dev = waiver("stale", "plat-ue1-dev", 0, "network.*")
    one = part(first, "1/2", 3, [waiver("stale", "plat-ue1-prod", 0), stale_dev])
    two = part(lambda c: not first(c), "2/2", run.retries - 3, [waiver("used", "plat-ue1-prod", 0), stale_dev])
    return one, two


@pytest.fixture
def run() -> Run:
    return full_run()

