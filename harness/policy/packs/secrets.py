"""Secrets policies: a sensitive value written in clear in a stack manifest.

A stack manifest is committed, reviewed in pull requests and copied into every clone and CI log; a
password in it is a password in git history. The value should come from a store the manifest only names:
an Atmos YAML function (``!store``, ``!secret``, ``!env``, ``!terraform.output`` ...), a template
(``{{ (atmos.Store ...) }}``), or a reference Terraform resolves (an SSM parameter or a Secrets Manager
ARN, ``{{resolve:ssm:...}}``).

Which vars are sensitive comes from the plan, whatever the engine: variables declared ``sensitive = true``
and variables whose value a provider-sensitive attribute holds (``aws_db_instance.password``), which the
plan model marks sensitive (``Plan.variable_sensitive``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.atmos.value_origin import ValueOrigin, stacks_root, var_origin
from harness.atmos.yamlio import is_function_tag
from harness.plan import Plan, Resource, Sensitive
from harness.policy.model import PolicyContext, Violation, violation
from harness.policy.registry import policy

#: Text that names a secret kept elsewhere instead of holding it.
REFERENCE = re.compile(r"^(arn:aws[a-z-]*:(ssm|secretsmanager|kms):|\{\{\s*resolve:(ssm|ssm-secure|secretsmanager):)")


def is_plain_literal(raw: Any) -> bool:
    """A manifest value written out in full: not a YAML function, a template or a store reference."""
    if isinstance(raw, (dict, list)) or raw is None or isinstance(raw, bool):
        return False
    text = str(raw).strip()
    if not text:
        return False
    if text.startswith("!") and is_function_tag(text.split(None, 1)[0]):
        return False
    return "{{" not in text and REFERENCE.match(text) is None


def _holders(plan: Plan, value: Any) -> list[tuple[Resource, str]]:
    """The (resource, attribute path) pairs whose sensitive value is ``value``."""
    out = []
    for res in plan.resources():
        for path in sorted(res.sensitive):
            held = res.get(path, None)
            if isinstance(held, Sensitive) and held == value:
                out.append((res, path))
    return out


def _where(origin: ValueOrigin, base: Any) -> str:
    try:
        shown = str(origin.file.relative_to(base)) if base is not None else str(origin.file)
    except ValueError:
        shown = str(origin.file)
    return shown if origin.line is None else f"{shown}:{origin.line}"


@policy(
    "secrets.stack-literal",
    title="Sensitive values do not come from plain literals in stack manifests",
    severity="high",
    controls=("NIST-IA-5(7)", "NIST-SC-28"),
)
def stack_literal(plan: Plan, ctx: PolicyContext) -> Iterator[Violation]:
    """A secret written in a manifest lives in git history and every clone; fetch it from a store instead."""
    instance = ctx.instance
    if instance is None:
        return
    base = _repository_root(instance)
    for name in sorted(plan.variable_sensitive):
        if name not in ctx.vars:
            continue  # the variable's default, not a stack value
        origin = var_origin(instance, name)
        if origin is None or not is_plain_literal(origin.raw):
            continue
        value = plan.variables.get(name, ctx.vars[name])
        secret = value if isinstance(value, Sensitive) else Sensitive(value)
        holders = _holders(plan, secret)
        fed = "; it sets " + ", ".join(f"{r.address}.{p}" for r, p in holders) if holders else ""
        yield violation(
            holders[0][0] if holders else None,
            f"vars.{name} is a plain literal at {_where(origin, base)} (value {secret}){fed}; "
            "read it with !store, !secret, an SSM parameter or Secrets Manager instead",
            value=secret, path=holders[0][1] if holders else None,
        )


def _repository_root(instance: Any) -> Path:
    """The folder holding both the stacks and the component (the repository), for short names in messages."""
    return Path(os.path.commonpath([stacks_root(instance), instance.component_path]))
