"""Which manifests a component's values came from: Atmos ``deps``/``deps_all``, ``describe component
--provenance`` (each value with the file:line that set it and what it overrode), and the stack vars feeding a
planned resource attribute (for failing plan assertions)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.atmos.discovery import file_key
from harness.atmos.locate import ABSENT, value_at
from harness.atmos.yamlio import line_of, load_file
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.atmos.resolver import Entry, Resolver

SECTIONS = ("vars", "env", "settings", "backend")


def _sub(data: Any, *path: str) -> Mapping[str, Any]:
    for key in path:
        if not isinstance(data, Mapping):
            return {}
        data = data.get(key)
    return data if isinstance(data, Mapping) else {}


def layers_of(data: Mapping[str, Any], component: str, bases: list[str], section: str) -> list[Mapping[str, Any]]:
    """The maps one file contributes to ``section`` of a component, lowest precedence first."""
    tf_components = _sub(data, "components", "terraform")
    layers = [_sub(data, section), _sub(data, "terraform", section)]
    if section == "backend":
        layers = [_sub(data, "terraform", "backend")]
    layers += [_sub(tf_components, base, section) for base in bases]
    layers.append(_sub(tf_components, component, section))
    if section != "backend":
        layers.append(_sub(tf_components, component, "overrides", section))
    return layers


def contributing_files(resolver: Resolver, entry: Entry) -> tuple[list[str], list[str]]:
    """``deps``: files holding the winning value of a top-level key; ``deps_all``: every file that sets one."""
    base = resolver.config.stacks_base_path
    bases = list(reversed(entry.processed.get("inheritance") or []))
    files = [entry.manifest.path, *[p for p in entry.manifest.files if p != entry.manifest.path]]
    ordered = sorted(files, key=lambda p: (p != entry.manifest.path, str(p)))
    winners: set[str] = set()
    everyone: set[str] = {entry.manifest.key}
    for section in SECTIONS:
        final = entry.processed.get(section) or {}
        for key in final:
            best: tuple[int, str] | None = None
            for path in ordered:
                data = load_file(path) or {}
                for rank, layer in enumerate(layers_of(data, entry.component, bases, section)):
                    if key in layer:
                        fk = file_key(path, base)
                        everyone.add(fk)
                        if best is None or rank > best[0]:
                            best = (rank, fk)
            if best is not None:
                winners.add(best[1])
    return sorted(winners), sorted(everyone)


# -- where each value came from (``describe component --provenance``) ------------------------------------------
PROVENANCE_SECTIONS = ("vars", "settings", "env", "backend")


@dataclass(frozen=True)
class Setting:
    """One file's value for one key path: where it is written and what it says (before templates)."""

    file: str
    line: int | None
    value: Any
    layer: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "value": self.value, "layer": self.layer}


def _layer_prefixes(component: str, bases: list[str], section: str) -> list[tuple[str, tuple[str, ...]]]:
    """(label, key prefix in a file) of every layer feeding ``section``, lowest precedence first (spec §6.3)."""
    own = ("components", "terraform", component)
    layers: list[tuple[str, tuple[str, ...]]] = []
    if section == "backend":
        layers.append(("terraform.backend", ("terraform", "backend")))
    else:
        layers += [("global", (section,)), ("terraform", ("terraform", section))]
    layers += [(f"base {b}", ("components", "terraform", b, section)) for b in bases]
    layers.append(("component", (*own, section)))
    if section != "backend":
        layers += [("overrides", ("overrides", section)), ("terraform.overrides", ("terraform", "overrides", section)),
                   ("component overrides", (*own, "overrides", section))]
    return layers


def _leaves(value: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, str(k)))]
    return [(path, value)]


def settings_of(resolver: Resolver, entry: Entry, section: str, leaf: tuple[str, ...]) -> list[Setting]:
    """Every file that writes ``section.leaf`` for this entry, lowest precedence first (the last one wins)."""
    manifest = entry.manifest
    bases = list(reversed(entry.processed.get("inheritance") or []))
    files = manifest.order or (manifest.path,)
    if section == "backend":  # files write backend.<type>.<key>; the described backend is the inner map
        leaf = (str(entry.processed.get("backend_type") or ""), *leaf)
    out: list[Setting] = []
    for label, prefix in _layer_prefixes(entry.component, bases, section):
        for path in files:
            try:
                data = load_file(path)
            except HarnessError:
                continue
            keys = (*prefix, *leaf)
            value = value_at(data, keys)
            if value is ABSENT:
                continue
            out.append(Setting(resolver.config.relative(path), line_of(path, keys), value, label))
    return out


def describe_provenance(resolver: Resolver, component: str, stack: str) -> dict[str, Any]:
    """Each value of vars/settings/env/backend with the file:line that set it and the values it overrode."""
    entry = resolver.find(component, stack)
    described = resolver.describe_component(component, stack)
    values: dict[str, Any] = {}
    for section in PROVENANCE_SECTIONS:
        for leaf, final in _leaves(described.get(section) or {}, ()):
            if not leaf:
                continue
            found = settings_of(resolver, entry, section, leaf)
            item: dict[str, Any] = {"value": final}
            if found:
                item["set_by"] = found[-1].to_json()
                item["overrode"] = [s.to_json() for s in reversed(found[:-1])]
            else:
                item["set_by"] = None  # a default Atmos injected (backend prefix...) or a templated key
            values[".".join((section, *leaf))] = item
    return {"component": component, "stack": entry.display_stack, "stack_file": entry.manifest.key,
            "values": values}


def provenance_text(described: Mapping[str, Any]) -> str:
    """The provenance as lines: ``key = value``, then where it was set and what it overrode."""
    lines = [f"# {described['component']} in {described['stack']} ({described['stack_file']})"]
    for key, item in described["values"].items():
        lines.append(f"{key} = {json.dumps(item['value'], default=str)}")
        set_by = item.get("set_by")
        if set_by is None:
            lines.append("    set by Atmos (no manifest writes it)")
            continue
        lines.append(f"    set in {_where(set_by)} ({set_by['layer']})")
        for old in item.get("overrode") or []:
            lines.append(f"    overrode {_where(old)} ({old['layer']}): {json.dumps(old['value'], default=str)}")
    return "\n".join(lines) + "\n"


def _where(setting: Mapping[str, Any]) -> str:
    return f"{setting['file']}:{setting['line']}" if setting.get("line") else str(setting["file"])


# -- the stack vars behind a planned attribute (for failing plan assertions) ------------------------------------
_VAR_REF = re.compile(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)")
_LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][A-Za-z0-9_-]*)")
_INDEX = re.compile(r"\[[^\]]*\]")


#: How much of a value a failure section shows (a long map or list is cut).
SHOWN_VALUE = 120
SENSITIVE_SHOWN = "(sensitive value)"


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= SHOWN_VALUE else text[:SHOWN_VALUE - 3] + "..."


@dataclass(frozen=True)
class VarSource:
    """A stack var feeding an attribute, the manifest line that set it (None: no manifest sets it, Terraform
    uses the variable's default) and the lower-precedence lines it overrode, nearest first."""

    var: str
    value: Any
    setting: Setting | None
    overrode: tuple[Setting, ...] = ()
    sensitive: bool = False

    def __str__(self) -> str:
        shown = SENSITIVE_SHOWN if self.sensitive else _shown(self.value)
        if self.setting is None:
            return f"var.{self.var} = {shown} (no manifest sets it)"
        text = f"var.{self.var} = {shown} set at {self.setting.where}"
        if self.overrode:
            text += f" (overrides {', '.join(s.where for s in self.overrode)})"
        return text


@dataclass(frozen=True)
class TfBlocks:
    """A component's resources and data sources (``type.name``, ``data.type.name`` -> body, as
    :func:`harness.terraform.hcl.loads` reads it) and its locals."""

    resources: Mapping[str, Any]
    local_values: Mapping[str, Any]


def tf_blocks(component_dir: Path) -> TfBlocks:
    """The resources and locals of a component's ``.tf`` files (a file that cannot be read is skipped)."""
    from harness.terraform.hcl import HclSyntaxError, loads

    resources: dict[str, Any] = {}
    local_values: dict[str, Any] = {}
    for tf in sorted(component_dir.glob("*.tf")):
        try:
            data = loads(tf.read_text(encoding="utf-8"), str(tf))
        except (HclSyntaxError, UnicodeDecodeError):
            continue
        for kind, prefix in (("resource", ""), ("data", "data.")):
            for block in data.get(kind) or []:
                for rtype, named in block.items():
                    for name, body in (named or {}).items():
                        resources[f"{prefix}{rtype}.{name}"] = body
        for block in data.get("locals") or []:
            local_values.update({k: v for k, v in block.items() if not k.startswith("__")})
    return TfBlocks(resources, local_values)


def _expression(body: Mapping[str, Any], attribute: str) -> Any:
    """The part of a resource body that writes ``attribute`` (``tags.Name`` -> the ``Name`` entry of the
    ``tags`` map; as deep as the body spells the path out); None when the body does not write it."""
    from harness.plan.model import split_path

    keys = split_path(attribute)
    if not keys or str(keys[0]) not in body:
        return None
    current: Any = body[str(keys[0])]
    for key in keys[1:]:
        if isinstance(current, Mapping) and str(key) in current:
            current = current[str(key)]
        elif isinstance(current, list) and isinstance(key, int) and 0 <= key < len(current):
            current = current[key]
        else:
            break
    return current


def referenced_vars(component_dir: Path | TfBlocks, address: str, attribute: str) -> list[str]:
    """The ``var.`` names an attribute's expression reads, following ``local.`` references, in order."""
    blocks = component_dir if isinstance(component_dir, TfBlocks) else tf_blocks(component_dir)
    parts = _INDEX.sub("", address).split(".")
    if parts[0] == "module":  # a resource inside a module call: not followed
        return []
    body = blocks.resources.get(".".join(parts))
    if not isinstance(body, Mapping):
        return []
    expression = _expression(body, attribute)
    pending = [] if expression is None else [json.dumps(expression, default=str)]
    seen_locals: set[str] = set()
    found: list[str] = []
    while pending:
        text = pending.pop(0)
        for name in _VAR_REF.findall(text):
            if name not in found:
                found.append(name)
        for name in _LOCAL_REF.findall(text):
            if name not in seen_locals and name in blocks.local_values:
                seen_locals.add(name)
                pending.append(json.dumps(blocks.local_values[name], default=str))
    return found


def _is_sensitive(value: Any) -> bool:
    from harness.plan.sensitive import contains_sensitive

    return contains_sensitive(value)


def attribute_sources(resolver: Resolver, component: str, stack: str, attributes: list[tuple[str, str]], *,
                      sensitive: Collection[str] = ()) -> list[tuple[str, str, list[VarSource]]]:
    """For each (resource address, attribute path), the stack vars its ``.tf`` expression reads (through
    ``var.`` and ``local.``) and the manifest file:line that set each one, with the lines it overrode.
    A var named in ``sensitive`` (or holding a sensitive value) shows as ``(sensitive value)``."""
    entry = resolver.find(component, stack)
    instance = resolver.instance(component, entry.display_stack)
    blocks = tf_blocks(instance.component_path)
    variables = instance.vars
    found: dict[str, VarSource] = {}
    out: list[tuple[str, str, list[VarSource]]] = []
    for address, attribute in attributes:
        sources: list[VarSource] = []
        for name in referenced_vars(blocks, address, attribute):
            if name not in found:
                settings = settings_of(resolver, entry, "vars", (name,))
                value = variables.get(name)
                found[name] = VarSource(name, value, settings[-1] if settings else None,
                                        tuple(reversed(settings[:-1])),
                                        sensitive=name in sensitive or _is_sensitive(value))
            sources.append(found[name])
        out.append((address, attribute, sources))
    return out


def var_sources(resolver: Resolver, component: str, stack: str, address: str, attribute: str, *,
                sensitive: Collection[str] = ()) -> list[VarSource]:
    """For each stack var feeding ``address.attribute`` (through ``var.``/``local.`` in the component's
    ``.tf``), the manifest file:line that set it. What a failing plan assertion names."""
    return attribute_sources(resolver, component, stack, [(address, attribute)], sensitive=sensitive)[0][2]
