"""Several instances of one component in one ``terraform plan``: a generated root module calls the component
once per instance, and the plan JSON is cut back into one plan per instance.

Why: the AWS provider's schema is loaded once per terraform command (seconds of CPU), so one plan and one
``show`` for all instances of a folder cost little more than for one. It is also how an input known only
after apply reaches the component as a real unknown (``jsondecode(timestamp())`` is unknown at plan time),
never as a made-up value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.terraform import ModuleConfig

COMPONENT_DIR = "component"
UNKNOWN_EXPR = "${jsondecode(timestamp())}"


@dataclass(frozen=True)
class BatchMember:
    """One instance in a batch: its module key, variables and the inputs known only after apply."""

    key: str
    variables: Mapping[str, Any]
    unknown: frozenset[str] = frozenset()


def _output_name(key: str, output: str) -> str:
    return f"{key}__{output}"


def root_config(config: ModuleConfig, members: Sequence[BatchMember]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``main.tf.json`` body, ``.tfvars.json`` body) of the root that calls the component once per member.

    Variables go through one ``any``-typed root variable per member (no template escaping needed); only
    variables the component declares are passed, as a root module would warn about and ignore the rest.
    """
    declared = set(config.variables)
    variables: dict[str, Any] = {}
    modules: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for member in members:
        holder = f"harness_{member.key}"
        given = {k: v for k, v in member.variables.items() if k in declared and k not in member.unknown}
        variables[holder] = {"type": "any", "default": {}}
        values[holder] = given
        call: dict[str, Any] = {"source": f"../{COMPONENT_DIR}"}
        for name in sorted(given):
            call[name] = f"${{var.{holder}[{json.dumps(name)}]}}"
        for name in sorted(member.unknown & declared):
            call[name] = UNKNOWN_EXPR
        modules[member.key] = call
        for name, output in config.outputs.items():
            outputs[_output_name(member.key, name)] = {"value": f"${{module.{member.key}.{name}}}",
                                                       "sensitive": bool(output.sensitive)}
    body: dict[str, Any] = {"variable": variables, "module": modules}
    if outputs:
        body["output"] = outputs
    return body, values


def _strip(address: str, prefix: str) -> str | None:
    """``module.i0.aws_vpc.this`` -> ``aws_vpc.this`` for prefix ``module.i0``; None: another member."""
    if address == prefix:
        return ""
    if address.startswith(prefix + "."):
        return address[len(prefix) + 1:]
    return None


def _module_tree(module: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    out = dict(module)
    out.pop("address", None)
    out["resources"] = [dict(r, address=_strip(str(r.get("address", "")), prefix) or r.get("address"))
                        for r in module.get("resources", []) or []]
    children = []
    for child in module.get("child_modules", []) or []:
        child_tree = _module_tree(child, prefix)
        child_tree["address"] = _strip(str(child.get("address", "")), prefix)
        children.append(child_tree)
    if children:
        out["child_modules"] = children
    return out


def _child(root: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    for child in root.get("child_modules", []) or []:
        if child.get("address") == prefix:
            return _module_tree(child, prefix)
    return {"resources": []}


def member_plan(data: Mapping[str, Any], member: BatchMember, config: ModuleConfig) -> dict[str, Any]:
    """The plan JSON one instance would have had as the root module."""
    prefix = f"module.{member.key}"
    changes = []
    for change in data.get("resource_changes", []) or []:
        address = _strip(str(change.get("address", "")), prefix)
        if not address:
            continue
        item = dict(change, address=address)
        module_address = _strip(str(change.get("module_address") or ""), prefix)
        if module_address:
            item["module_address"] = module_address
        else:
            item.pop("module_address", None)
        if change.get("previous_address"):
            item["previous_address"] = _strip(str(change["previous_address"]), prefix) or change["previous_address"]
        changes.append(item)
    renamed = {_output_name(member.key, name): name for name in config.outputs}
    output_changes = {renamed[k]: v for k, v in (data.get("output_changes") or {}).items() if k in renamed}
    planned = data.get("planned_values") or {}
    planned_outputs = {renamed[k]: v for k, v in (planned.get("outputs") or {}).items() if k in renamed}
    prior = ((data.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    calls = ((data.get("configuration") or {}).get("root_module") or {}).get("module_calls") or {}
    configuration = (calls.get(member.key) or {}).get("module") or {}
    deferred = []
    for item in data.get("deferred_changes", []) or []:
        change = dict(item.get("resource_change") or {})
        address = _strip(str(change.get("address", "")), prefix)
        if address:
            deferred.append(dict(item, resource_change=dict(change, address=address)))
    return {
        "format_version": data.get("format_version", "1.2"),
        "terraform_version": data.get("terraform_version"),
        "variables": {k: {"value": v} for k, v in member.variables.items()
                      if k in config.variables and k not in member.unknown},
        "planned_values": {"outputs": planned_outputs,
                           "root_module": _child(planned.get("root_module") or {}, prefix)},
        "resource_changes": changes,
        "output_changes": output_changes,
        "prior_state": {"values": {"root_module": _child(prior, prefix)}},
        "configuration": {"root_module": configuration},
        "deferred_changes": deferred,
        "complete": data.get("complete", True),
        "errored": data.get("errored", False),
    }
