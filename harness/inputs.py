"""Inputs from other components (``!terraform.output`` / ``!terraform.state``) taken from the producer's plan.

An output the producer's plan knows (account-map's maps, a name built from variables) becomes the value; an
output known only after apply never becomes a made-up value: the variable is planned as unknown, with the
reason ``needs <stack>/<producer>.<output>, known after apply``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.atmos import Instance, Resolver
from harness.atmos.functions import TerraformRef, collect_refs
from harness.errors import HarnessError
from harness.plan import Plan, Unknown


@dataclass(frozen=True)
class Need:
    """One reference: the producer instance (None: not found) and the output path it reads."""

    ref: TerraformRef
    stack: str
    component: str
    output: str
    path: tuple[str, ...]
    producer: Instance | None

    @property
    def label(self) -> str:
        return f"{self.stack}/{self.component}.{'.'.join((self.output, *self.path))}"


_SEGMENT = re.compile(r'\[\s*"?([^\]"]+)"?\s*\]|([^.\[\]]+)')


def _path(expression: str) -> tuple[str, tuple[str, ...]]:
    """``vpc_id`` / ``.vpc_id`` / ``.subnets[0]`` / ``.map["key"]`` -> (output, rest of the path)."""
    parts = [a or b for a, b in _SEGMENT.findall(expression.strip().lstrip("."))]
    if not parts:
        return expression.strip(), ()
    return parts[0], tuple(parts[1:])


def needs_of(resolver: Resolver, instance: Instance) -> list[Need]:
    """Every ``!terraform.output``/``!terraform.state`` reference in the instance's variables."""
    refs: list[TerraformRef] = []
    collect_refs(instance.vars, refs)
    out = []
    for ref in refs:
        stack = ref.ref_stack or instance.stack
        output, path = _path(ref.expression)
        try:
            producer: Instance | None = resolver.instance(ref.ref_component, stack)
        except HarnessError:
            producer = None
        out.append(Need(ref, stack, ref.ref_component, output, path, producer))
    return out


def _lookup(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, list) and part.lstrip("-").isdigit():
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            raise KeyError(part)
    return value


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(v) for v in value)
    return False


def output_value(need: Need, plan_of: Callable[[Instance], Plan]) -> tuple[bool, Any, str]:
    """(known, value, reason): the output from the producer's plan, or why it is not known at plan time."""
    if need.producer is None:
        return False, None, f"needs {need.label}: no such component in stack {need.stack}"
    try:
        plan = plan_of(need.producer)
    except HarnessError as exc:
        return False, None, f"needs {need.label}: the producer's plan failed: {exc}"
    if need.output not in plan.outputs:
        return False, None, f"needs {need.label}: {need.stack}/{need.component} has no output {need.output!r}"
    try:
        value = _lookup(plan.outputs[need.output], need.path)
    except (KeyError, IndexError):
        return False, None, f"needs {need.label}: the producer's planned output has no such element"
    if _holds_unknown(value):
        return False, None, f"needs {need.label}, known after apply"
    return True, value, ""


def resolve_inputs(instance: Instance, needs: list[Need], plan_of: Callable[[Instance], Plan]
                   ) -> tuple[dict[str, Any], dict[str, str]]:
    """(variables with every known reference replaced, variable -> reason for those known only after apply)."""
    answers = {str(n.ref): output_value(n, plan_of) for n in needs}
    unknown: dict[str, str] = {}

    def substitute(value: Any, reasons: list[str]) -> Any:
        if isinstance(value, TerraformRef) or (isinstance(value, str) and str(value) in answers):
            known, found, reason = answers.get(str(value), (False, None, f"cannot read {value}"))
            if not known:
                reasons.append(reason)
            return found
        if isinstance(value, dict):
            return {k: substitute(v, reasons) for k, v in value.items()}
        if isinstance(value, list):
            return [substitute(v, reasons) for v in value]
        return value

    variables: dict[str, Any] = {}
    for name, value in instance.vars.items():
        reasons: list[str] = []
        resolved = substitute(value, reasons)
        if reasons:
            unknown[name] = "; ".join(dict.fromkeys(reasons))
        else:
            variables[name] = resolved
    return variables, unknown
