"""The recorded engine: plans from ``terraform show -json`` files made elsewhere.

Reads every ``format_version`` from 0.1 to 1.x. ``resource_changes`` give the instances
(module_address, index, actions, before/after); ``after_unknown`` marks values known only
after apply, which become ``Unknown``; ``after_sensitive`` gives the sensitive paths.
Data sources read during planning appear only in ``prior_state``: they are added with
action ``read`` (as the static engine shows pure data sources) so that a query for
``data.aws_iam_policy_document.x`` works on every engine. Plan JSON carries no line
numbers: a resource in a local module gets ``SourceLocation(<module dir>, None)``, others
none.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.engines.base import PlanRequest
from harness.errors import EvaluationError
from harness.plan import Plan
from harness.plan.model import Deferred, Resource, SourceLocation, Unknown, normalize_actions

AFTER_APPLY = "known after apply"


def merge_unknown(after: Any, unknown: Any, ref: str) -> Any:
    """Overlay ``after_unknown`` on ``after``: every ``true`` leaf becomes Unknown."""
    if unknown is True:
        return Unknown(AFTER_APPLY, ref)
    if isinstance(unknown, Mapping):
        base = dict(after) if isinstance(after, Mapping) else {}
        for key, sub in unknown.items():
            if sub is True or (isinstance(sub, (Mapping, list)) and sub):
                base[key] = merge_unknown(base.get(key), sub, f"{ref}.{key}")
        return base
    if isinstance(unknown, list):
        items = list(after) if isinstance(after, list) else []
        for i, sub in enumerate(unknown):
            if i < len(items):
                items[i] = merge_unknown(items[i], sub, f"{ref}.{i}")
            elif sub is True or isinstance(sub, (Mapping, list)):
                items.append(merge_unknown(None, sub, f"{ref}.{i}"))
        return items
    return after


_NOT_RESOURCE_ROOTS = ("var", "local", "each", "count", "path", "terraform", "module", "self")


def _config_resources(module: Mapping[str, Any], prefix: str = "") -> dict[str, Mapping[str, Any]]:
    """The configuration's resource blocks by address without instance key (``module.a.aws_x.y``)."""
    out: dict[str, Mapping[str, Any]] = {}
    for res in module.get("resources") or []:
        if isinstance(res, Mapping) and res.get("address"):
            out[f"{prefix}{res['address']}"] = res
    for name, call in (module.get("module_calls") or {}).items():
        inner = call.get("module") if isinstance(call, Mapping) else None
        if isinstance(inner, Mapping):
            out.update(_config_resources(inner, f"{prefix}module.{name}."))
    return out


def _referenced_resource(expression: Any, module: str, blocks: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The one resource attribute an expression in ``module`` refers to (``aws_x.y.id``), else None.

    Plan JSON records each expression's references; an attribute known only after apply then points at
    what it comes from, as the static engine's does, so a policy can link a feature to its detector.
    Several resources, or none, say nothing certain; nor does a keyless reference to a resource with
    ``count``/``for_each`` (which instance is not recorded): the reference is then left to the holder.
    """
    refs = expression.get("references") if isinstance(expression, Mapping) else None
    if not isinstance(refs, list):
        return None
    resources: dict[str, str] = {}
    for ref in refs:
        text = str(ref)
        parts = text.split(".")
        if parts[0] in _NOT_RESOURCE_ROOTS or len(parts) < 2:
            continue
        base = ".".join(parts[:3] if parts[0] == "data" else parts[:2]).split("[", 1)[0]
        if len(text) > len(resources.get(base, "")):
            resources[base] = text
    if len(resources) != 1:
        return None
    (base, text), = resources.items()
    prefix = f"{module}." if module else ""
    block = blocks.get(re.sub(r"\[[^\]]*\]", "", prefix) + base) or {}
    if "[" not in text and ("count_expression" in block or "for_each_expression" in block):
        return None
    return prefix + text


def _point_unknowns_at_references(values: dict[str, Any], address: str, module: str,
                                  blocks: Mapping[str, Mapping[str, Any]]) -> None:
    """Top-level attributes known only after apply take the reference their expression names."""
    block = blocks.get(re.sub(r"\[[^\]]*\]", "", address))
    expressions = block.get("expressions") if block else None
    if not isinstance(expressions, Mapping):
        return
    for key, value in values.items():
        if isinstance(value, Unknown) and value.ref == f"{address}.{key}":
            target = _referenced_resource(expressions.get(key), module, blocks)
            if target is not None:
                values[key] = Unknown(value.reason, target)


def sensitive_paths(mask: Any, prefix: str = "") -> list[str]:
    """Dotted paths whose ``after_sensitive`` leaf is true."""
    if mask is True:
        return [prefix]
    out: list[str] = []
    if isinstance(mask, Mapping):
        for key, sub in mask.items():
            out.extend(sensitive_paths(sub, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(mask, list):
        for i, sub in enumerate(mask):
            out.extend(sensitive_paths(sub, f"{prefix}.{i}" if prefix else str(i)))
    return out


def _module_sources(config: Mapping[str, Any], prefix: str = "", base: str = ".") -> dict[str, str]:
    """Static module path (``module.a.module.b``) -> its directory, from ``configuration``."""
    out: dict[str, str] = {}
    calls = config.get("module_calls") or {}
    if not isinstance(calls, Mapping):
        return out
    for name, call in calls.items():
        if not isinstance(call, Mapping):
            continue
        path = f"{prefix}.module.{name}" if prefix else f"module.{name}"
        source = str(call.get("source", ""))
        if not source.startswith(("./", "../")) or not base:
            continue
        directory = os.path.normpath(os.path.join(base, source))
        out[path] = directory
        module = call.get("module")
        if isinstance(module, Mapping):
            out.update(_module_sources(module, path, directory))
    return out


def _static_module(module_address: str) -> str:
    from harness.engines._addresses import parse

    return parse(module_address + ".x.y").module_static if module_address else ""


def _data_from_state(module: Mapping[str, Any], seen: set[str], out: list[dict[str, Any]]) -> None:
    for res in module.get("resources", []) or []:
        if isinstance(res, Mapping) and res.get("mode") == "data" and res.get("address") not in seen:
            out.append(dict(res))
    for child in module.get("child_modules", []) or []:
        if isinstance(child, Mapping):
            _data_from_state(child, seen, out)


def plan_from_json(data: Any, *, stack: str, component: str, engine: str = "recorded",
                   file: str | Path | None = None) -> Plan:
    """A Plan from the parsed ``terraform show -json`` document."""
    if not isinstance(data, Mapping) or "format_version" not in data:
        raise EvaluationError("not a Terraform plan JSON document (no format_version)", file=file)
    version = str(data["format_version"])
    if version.split(".")[0] not in ("0", "1"):
        raise EvaluationError(f"unsupported plan format_version {version!r} (expected 0.x or 1.x)", file=file)
    if "resource_changes" not in data and "planned_values" not in data:
        raise EvaluationError("not a plan: no resource_changes nor planned_values "
                              "(is this `terraform show -json` of a state?)", file=file)
    config = (data.get("configuration") or {}).get("root_module") or {}
    module_dirs = _module_sources(config)
    blocks = _config_resources(config)
    resources: list[Resource] = []
    seen: set[str] = set()
    for change in data.get("resource_changes", []) or []:
        if not isinstance(change, Mapping) or change.get("deposed"):
            continue
        address = str(change.get("address", ""))
        body = change.get("change") or {}
        raw = tuple(str(a) for a in body.get("actions", []) or [])
        after = body.get("after")
        before = body.get("before")
        values = merge_unknown(after if after is not None else {}, body.get("after_unknown") or {}, address)
        if not isinstance(values, dict):
            values = {}
        if raw == ("delete",) and after is None:
            values = {}
        _point_unknowns_at_references(values, address, str(change.get("module_address") or ""), blocks)
        module_address = change.get("module_address") or None
        seen.add(address)
        resources.append(_resource(change, address, module_address, raw, values,
                                   before if isinstance(before, dict) else None,
                                   sensitive_paths(body.get("after_sensitive"))
                                   + sensitive_paths(body.get("before_sensitive")), module_dirs))
    prior = ((data.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    extra: list[dict[str, Any]] = []
    _data_from_state(prior, seen, extra)
    for res in extra:
        address = str(res.get("address", ""))
        module_address = address.rsplit(".data.", 1)[0] if ".data." in address else None
        values = res.get("values") if isinstance(res.get("values"), dict) else {}
        seen.add(address)
        resources.append(_resource(res, address, module_address, ("read",), dict(values or {}), None,
                                   sensitive_paths(res.get("sensitive_values")), module_dirs))
    outputs, sensitive_outputs = _outputs(data)
    variables = {k: (v.get("value") if isinstance(v, Mapping) else v)
                 for k, v in (data.get("variables") or {}).items()}
    unexpanded = [Deferred(str(d.get("resource_change", {}).get("address", "?")),
                           f"deferred by Terraform: {d.get('reason', 'unknown reason')}")
                  for d in data.get("deferred_changes", []) or [] if isinstance(d, Mapping)]
    errors = ["terraform reported errors while planning"] if data.get("errored") else []
    complete = bool(data.get("complete", True)) and not data.get("errored") and not unexpanded
    return Plan(stack=stack, component=component, engine=engine, complete=complete, resources=resources,
                outputs=outputs, variables=variables, unexpanded=unexpanded, errors=errors,
                output_sensitive=sensitive_outputs, variable_sensitive=_sensitive_variables(config))


def _sensitive_variables(root_module: Mapping[str, Any]) -> list[str]:
    """Root variables the configuration declares ``sensitive = true`` (plan JSON keeps the flag there)."""
    declared = root_module.get("variables") or {}
    return [name for name, var in declared.items() if isinstance(var, Mapping) and var.get("sensitive") is True]


def _resource(item: Mapping[str, Any], address: str, module_address: str | None, raw: tuple[str, ...],
              values: dict[str, Any], before: dict[str, Any] | None, sensitive: list[str],
              module_dirs: Mapping[str, str]) -> Resource:
    static = _static_module(module_address or "")
    directory = module_dirs.get(static)
    source = SourceLocation(directory, None) if directory else None
    index = item.get("index")
    return Resource(
        address=address, module_address=module_address, mode=str(item.get("mode", "managed")),
        type=str(item.get("type", "")), name=str(item.get("name", "")),
        index=index if isinstance(index, (int, str)) and not isinstance(index, bool) else None,
        provider=item.get("provider_name"), actions=normalize_actions(raw) if raw else ("no-op",),
        raw_actions=raw, values=values, before=before, sensitive=frozenset(p for p in sensitive if p),
        source=source,
    )


def _outputs(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    outputs: dict[str, Any] = {}
    sensitive: list[str] = []
    changes = data.get("output_changes")
    if isinstance(changes, Mapping):
        for name, change in changes.items():
            if not isinstance(change, Mapping):
                continue
            unknown = change.get("after_unknown")
            outputs[name] = merge_unknown(change.get("after"), unknown, f"output.{name}")
            if change.get("after_sensitive"):
                sensitive.append(name)
        return outputs, sensitive
    planned = (data.get("planned_values") or {}).get("outputs") or {}
    for name, out in planned.items():
        if not isinstance(out, Mapping):
            continue
        outputs[name] = out["value"] if "value" in out else Unknown(AFTER_APPLY, f"output.{name}")
        if out.get("sensitive"):
            sensitive.append(name)
    return outputs, sensitive


def load_plan_file(path: str | Path, *, stack: str, component: str, engine: str = "recorded") -> Plan:
    """Read one plan JSON file; bad JSON or not a plan -> EvaluationError naming the file (and line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvaluationError(f"cannot read plan file: {exc.strerror or exc}", file=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=path, line=exc.lineno) from None
    return plan_from_json(data, stack=stack, component=component, engine=engine, file=path)


class RecordedEngine:
    """``recorded``: ``DIR/<stack>/<component>.json``, or one file for every request."""

    name = "recorded"

    def __init__(self, plans: str | Path) -> None:
        self.plans = Path(plans)

    def path_for(self, request: PlanRequest) -> Path:
        """Where the plan of this instance is expected."""
        if self.plans.is_file():
            return self.plans
        return self.plans / request.stack / f"{request.component}.json"

    def plan(self, request: PlanRequest) -> Plan:
        """Load the recorded plan of one instance."""
        path = self.path_for(request)
        if not path.exists():
            raise EvaluationError(f"{request.instance_id}: no recorded plan (expected {path})", file=path)
        return load_plan_file(path, stack=request.stack, component=request.component)
