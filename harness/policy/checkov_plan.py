"""A harness ``Plan`` written as Terraform plan JSON, so checkov's plan checks can read it.

Terraform's own shape is kept: ``planned_values`` (values without the unknown ones),
``resource_changes`` (``after`` and ``after_unknown``) and ``configuration`` (an
expression that refers to another resource carries ``references``, which is how checkov
connects a bucket to its versioning or policy resource). Whatever engine made the plan,
the JSON says the same thing: an ``Unknown`` is absent from ``after`` and ``true`` in
``after_unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.plan import Plan, Resource, Unknown

FORMAT_VERSION = "1.2"
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
_MODULE_PART = re.compile(r'^module\.[^.\[]+(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?')
_CALL_NAME = re.compile(r'module\.([^.\[]+)(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?')


def known_part(value: Any) -> Any:
    """``value`` without its unknowns: dropped from mappings, ``None`` inside lists."""
    if isinstance(value, Unknown):
        return None
    if isinstance(value, Mapping):
        return {str(k): known_part(v) for k, v in value.items() if not isinstance(v, Unknown)}
    if isinstance(value, (list, tuple)):
        return [known_part(v) for v in value]
    return value


def unknown_mask(value: Any) -> Any:
    """Terraform's ``after_unknown`` for ``value``: ``true`` where unknown, containers that hold unknowns."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        out = {str(k): unknown_mask(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not False and v != {} and v != []}
    if isinstance(value, (list, tuple)):
        items = [unknown_mask(v) for v in value]
        return items if any(i is not False and i != {} and i != [] for i in items) else []
    return False


def _unknown_refs(value: Any, out: list[str]) -> None:
    if isinstance(value, Unknown):
        if value.ref:
            out.append(value.ref)
    elif isinstance(value, Mapping):
        for v in value.values():
            _unknown_refs(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _unknown_refs(v, out)


def _relative(ref: str, module: str) -> str:
    """A reference as written inside ``module`` (plan JSON configuration is per module)."""
    if module and ref.startswith(module + "."):
        return ref[len(module) + 1:]
    return ref


def _references(ref: str) -> list[str]:
    """Terraform lists a reference and the resource it belongs to: ``[a.b.id, a.b]``."""
    parts = ref.split(".")
    data = parts[0] == "data"
    head = 3 if data else 2
    if len(parts) > head:
        return [ref, ".".join(parts[:head])]
    return [ref]


def _expressions(resource: Resource) -> dict[str, Any]:
    module = resource.module_address or ""
    out: dict[str, Any] = {}
    for key, value in resource.values.items():
        refs: list[str] = []
        _unknown_refs(value, refs)
        refs = [_relative(r, module) for r in refs if not r.startswith(("var.", "local.", "each.", "count."))]
        if refs:
            out[key] = {"references": [x for r in dict.fromkeys(refs) for x in _references(r)]}
        elif not isinstance(value, (Mapping, list, tuple)):
            out[key] = {"constant_value": value}
    return out


def _module_path(resource: Resource) -> list[str]:
    """``module.a["x"].module.b`` -> [``module.a["x"]``, ``module.a["x"].module.b``]."""
    address = resource.module_address or ""
    out: list[str] = []
    rest = address
    current = ""
    while rest:
        match = _MODULE_PART.match(rest)
        if match is None:
            break
        current = f"{current}.{match.group(0)}" if current else match.group(0)
        out.append(current)
        rest = rest[match.end():].lstrip(".")
    return out


def _planned(resource: Resource) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "address": resource.address,
        "mode": resource.mode,
        "type": resource.type,
        "name": resource.name,
        "provider_name": resource.provider or AWS_PROVIDER,
        "schema_version": 0,
        "values": known_part(resource.values),
        "sensitive_values": {},
    }
    if resource.index is not None:
        entry["index"] = resource.index
    return entry


def _change(resource: Resource) -> dict[str, Any]:
    actions = list(resource.raw_actions or resource.actions)
    if actions == ["replace"]:
        actions = ["delete", "create"]
    change: dict[str, Any] = {
        "address": resource.address,
        "mode": resource.mode,
        "type": resource.type,
        "name": resource.name,
        "provider_name": resource.provider or AWS_PROVIDER,
        "change": {
            "actions": actions,
            "before": known_part(resource.before) if resource.before is not None else None,
            "after": None if actions == ["delete"] else known_part(resource.values),
            "after_unknown": unknown_mask(resource.values) or {},
            "before_sensitive": False,
            "after_sensitive": {},
        },
    }
    if resource.module_address:
        change["module_address"] = resource.module_address
    if resource.index is not None:
        change["index"] = resource.index
    return change


def _config_entry(resource: Resource) -> dict[str, Any]:
    prefix = "data." if resource.mode == "data" else ""
    return {"address": f"{prefix}{resource.type}.{resource.name}", "mode": resource.mode, "type": resource.type,
            "name": resource.name, "provider_config_key": "aws", "expressions": _expressions(resource),
            "schema_version": 0}


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as ``terraform show -json`` would print it (the parts policy tools read)."""
    root: dict[str, Any] = {"resources": [], "child_modules": []}
    config_root: dict[str, Any] = {"resources": [], "module_calls": {}}
    modules: dict[str, dict[str, Any]] = {"": root}
    configured: set[tuple[str, str, str, str]] = set()
    changes: list[dict[str, Any]] = []
    for resource in plan.resources():
        path = _module_path(resource)
        parent = root
        for address in path:
            if address not in modules:
                modules[address] = {"address": address, "resources": [], "child_modules": []}
                parent["child_modules"].append(modules[address])
            parent = modules[address]
        if resource.actions != ("delete",):
            parent["resources"].append(_planned(resource))
        changes.append(_change(resource))
        config = config_root
        for call in _CALL_NAME.findall(resource.module_address or ""):
            config = config["module_calls"].setdefault(call, {"source": f"./{call}", "module": {
                "resources": [], "module_calls": {}}})["module"]
        key = (resource.module_address or "", resource.mode, resource.type, resource.name)
        if key not in configured:
            configured.add(key)
            config["resources"].append(_config_entry(resource))
    for module in modules.values():
        if not module["child_modules"]:
            del module["child_modules"]
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": root},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": AWS_PROVIDER}},
                          "root_module": config_root},
    }
