"""What every engine takes and gives: a PlanRequest in, a Plan out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from harness.plan import Plan


@dataclass(frozen=True)
class PlanRequest:
    """One instance to plan: the component's Terraform folder and the stack's inputs for it.

    Built by the caller (the pytest plugin or the CLI) from an Atmos instance; the engines
    know nothing of Atmos.
    """

    stack: str
    component: str
    component_dir: Path
    variables: Mapping[str, Any] = field(default_factory=dict)
    region: str | None = None
    account_id: str | None = None
    partition: str = "aws"
    workspace: str = "default"
    env: Mapping[str, str] = field(default_factory=dict)
    #: Inputs known only after apply (variable -> why, e.g. "needs plat-ue1-dev/vpc.vpc_id, known after apply"):
    #: engines plan them as unknown, never as a made-up value.
    unknown_inputs: Mapping[str, str] = field(default_factory=dict)

    @property
    def instance_id(self) -> str:
        """``stack/component``, the name used in messages."""
        return f"{self.stack}/{self.component}"

    @property
    def dns_suffix(self) -> str:
        """The partition's DNS suffix, as the AWS provider's aws_partition reports it."""
        return _DNS_SUFFIX.get(self.partition, "amazonaws.com")


_DNS_SUFFIX = {
    "aws": "amazonaws.com",
    "aws-us-gov": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
}


@runtime_checkable
class Engine(Protocol):
    """Turns a PlanRequest into a Plan."""

    name: str

    def plan(self, request: PlanRequest) -> Plan:
        """Plan one instance; raises EvaluationError naming the instance when it cannot."""
        ...


class BatchEngine(Engine, Protocol):
    """An engine that plans several instances more cheaply together than one by one."""

    def plan_many(self, requests: Sequence[PlanRequest]) -> list[Plan | Exception]:
        """One result per request, in order: a Plan, or the EvaluationError for that instance."""
        ...
