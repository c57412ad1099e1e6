"""``atmos describe dependents``: which (stack, component) instances depend on a given one.

Pure functions over a ``describe stacks`` result (``{stack: {"components": {type: {name: section}}}}``),
so they work on any resolved tree (HEAD, a BASE checkout, hand-built test data) and never touch disk.
The output items are the JSON shape Atmos prints (Go ``schema.Dependent`` through ``encoding/json``):
empty ``omitempty`` strings are dropped, a nil ``dependents``/``settings`` is ``None``.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from harness.errors import HarnessError

CONTEXT_FIELDS = ("namespace", "tenant", "environment", "stage")


class AtmosSettings(Protocol):
    """The part of the loaded ``atmos.yaml`` these functions read (``harness.atmos.AtmosConfig`` fits)."""

    @property
    def raw(self) -> Mapping[str, Any]: ...


class DepSource(Enum):
    """Where a component's dependencies were declared; the two formats match stacks differently."""

    NONE = "none"
    DEPENDENCIES = "dependencies.components"
    LEGACY = "settings.depends_on"


@dataclass(frozen=True)
class ComponentDependency:
    """One declared dependency, normalised from either format (Go ``schema.ComponentDependency``)."""

    component: str = ""
    stack: str = ""
    kind: str = ""
    path: str = ""
    namespace: str = ""
    tenant: str = ""
    environment: str = ""
    stage: str = ""

    @property
    def is_path(self) -> bool:
        """File/folder entries name a path, not a component: they never match a component."""
        return self.kind in ("file", "folder")


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def context_from_vars(vars_section: Any) -> dict[str, str]:
    """The context (``namespace``, ``tenant``, ``environment``, ``stage``, ``region``) from ``vars``.

    Non-string values count as unset, as Atmos's decoding into its ``Context`` struct ignores them here.
    """
    vars_map = vars_section if isinstance(vars_section, Mapping) else {}
    return {key: _str(vars_map.get(key)) for key in (*CONTEXT_FIELDS, "region")}


def iter_components(stacks: Mapping[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """``(stack, component_type, component, section)`` for every component, in a stable order."""
    for stack_name in sorted(stacks):
        stack_section = stacks[stack_name]
        if not isinstance(stack_section, Mapping):
            continue
        components = stack_section.get("components")
        if not isinstance(components, Mapping):
            continue
        for component_type in sorted(components):
            type_section = components[component_type]
            if not isinstance(type_section, Mapping):
                continue
            for name in sorted(type_section):
                section = type_section[name]
                if isinstance(section, dict):
                    yield stack_name, component_type, name, section


def find_component(
    stacks: Mapping[str, Any], stack: str, component: str, component_type: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    """``(component_type, section)`` of one component in one stack (terraform first), or None."""
    stack_section = stacks.get(stack)
    if not isinstance(stack_section, Mapping):
        return None
    components = stack_section.get("components")
    if not isinstance(components, Mapping):
        return None
    types = [component_type] if component_type else ["terraform", "helmfile", *sorted(components)]
    for type_name in types:
        type_section = components.get(type_name)
        if isinstance(type_section, Mapping):
            section = type_section.get(component)
            if isinstance(section, dict):
                return type_name, section
    return None


def is_abstract(section: Mapping[str, Any]) -> bool:
    metadata = section.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get("type") == "abstract"


def is_enabled(section: Mapping[str, Any]) -> bool:
    """``metadata.enabled: false`` disables a component; anything else (or nothing) leaves it on."""
    metadata = section.get("metadata")
    return not (isinstance(metadata, Mapping) and metadata.get("enabled") is False)


def is_locked(section: Mapping[str, Any]) -> bool:
    metadata = section.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get("locked") is True


def _new_format_entries(section: Mapping[str, Any]) -> list[ComponentDependency] | None:
    """Entries of ``dependencies`` (components + files/folders), or None when absent or undecodable.

    Mirrors ``Dependencies.Normalize``: ``name`` is an alias of ``component`` and sibling ``files``/
    ``folders`` become path entries, so a component with only ``dependencies.files`` still counts as
    using the new format (and its legacy ``settings.depends_on`` is then ignored, as in Atmos).
    """
    deps = section.get("dependencies")
    if not isinstance(deps, Mapping) or not any(k in deps for k in ("components", "files", "folders")):
        return None
    raw_components = deps.get("components") or []
    files = deps.get("files") or []
    folders = deps.get("folders") or []
    if not isinstance(raw_components, list) or not isinstance(files, list) or not isinstance(folders, list):
        return None
    entries: list[ComponentDependency] = []
    for index, item in enumerate(raw_components):
        if not isinstance(item, Mapping):
            return None
        component, name = _str(item.get("component")), _str(item.get("name"))
        if component and name and component != name:
            raise HarnessError(
                f"dependencies.components[{index}]: 'name' ({name}) and 'component' ({component}) differ"
            )
        entry = ComponentDependency(
            component=component or name,
            stack=_str(item.get("stack")),
            kind=_str(item.get("kind")),
            path=_str(item.get("path")),
        )
        if entry.is_path and not entry.path:
            raise HarnessError(f"dependencies.components[{index}]: kind '{entry.kind}' needs 'path'")
        entries.append(entry)
    for kind, paths in (("file", files), ("folder", folders)):
        seen = {e.path for e in entries if e.kind == kind}
        for path in paths:
            if isinstance(path, str) and path and path not in seen:
                seen.add(path)
                entries.append(ComponentDependency(kind=kind, path=path))
    return entries


def legacy_depends_on(section: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The entries of ``settings.depends_on`` (a map with arbitrary keys), in key order."""
    settings = section.get("settings")
    if not isinstance(settings, Mapping):
        return []
    depends_on = settings.get("depends_on")
    if not isinstance(depends_on, Mapping):
        return []
    return [v for _, v in sorted(depends_on.items(), key=lambda kv: str(kv[0])) if isinstance(v, Mapping)]


def component_dependencies(section: Mapping[str, Any]) -> tuple[list[ComponentDependency], DepSource]:
    """A component's dependencies: ``dependencies.components`` (preferred) else ``settings.depends_on``."""
    entries = _new_format_entries(section)
    if entries:
        return entries, DepSource.DEPENDENCIES
    legacy = [
        ComponentDependency(
            component=_str(item.get("component")),
            stack=_str(item.get("stack")),
            namespace=_str(item.get("namespace")),
            tenant=_str(item.get("tenant")),
            environment=_str(item.get("environment")),
            stage=_str(item.get("stage")),
        )
        for item in legacy_depends_on(section)
    ]
    if legacy:
        return legacy, DepSource.LEGACY
    return [], DepSource.NONE


def _matches(
    dep: ComponentDependency,
    source: DepSource,
    *,
    provided_stack: str,
    dependent_stack: str,
    provided_ctx: Mapping[str, str],
    dependent_ctx: Mapping[str, str],
) -> bool:
    """Does ``dep`` (declared in ``dependent_stack``) point at the provided component's instance?

    New format: by stack only (``dep.stack`` or, when unset, the declaring stack). Legacy format: an
    explicit ``stack`` must equal it; otherwise each context field the entry sets must equal the
    provided component's, and each field it leaves unset must be shared by both components.
    """
    if dep.stack:
        stack_ok = provided_stack == dep.stack
    elif source is DepSource.DEPENDENCIES or not any(getattr(dep, f) for f in CONTEXT_FIELDS):
        stack_ok = provided_stack == dependent_stack
    else:
        stack_ok = True
    if not stack_ok or source is DepSource.DEPENDENCIES:
        return stack_ok
    for field_name in CONTEXT_FIELDS:
        wanted = getattr(dep, field_name)
        expected = wanted if wanted else dependent_ctx[field_name]
        if provided_ctx[field_name] != expected:
            return False
    return True


def go_path_join(*parts: str) -> str:
    """Go's ``filepath.Join``: skip empty parts, join with ``/`` and clean the result."""
    kept = [p for p in parts if p]
    return posixpath.normpath(posixpath.join(*kept)) if kept else ""


def component_path(
    section: Mapping[str, Any], component_type: str, settings: AtmosSettings | None, fallback: str = ""
) -> str:
    """The component folder as Atmos prints it (relative: ``<base_path>/<type base_path>/<folder>``).

    Prefers the resolver's ``component_info.component_path``; otherwise joins the configured (as
    written, so relative) base paths with the processed ``component`` (or ``fallback``).
    """
    info = section.get("component_info")
    if isinstance(info, Mapping) and isinstance(info.get("component_path"), str) and info["component_path"]:
        return str(info["component_path"])
    folder = _str(section.get("component")) or fallback
    if not folder:
        return ""
    raw: Mapping[str, Any] = settings.raw if settings is not None else {}
    components = raw.get("components") if isinstance(raw.get("components"), Mapping) else {}
    type_cfg = components.get(component_type) if isinstance(components, Mapping) else None
    type_base = _str(type_cfg.get("base_path")) if isinstance(type_cfg, Mapping) else ""
    return go_path_join(_str(raw.get("base_path")), type_base, folder)


def _name_pattern_prefix(pattern: str, ctx: Mapping[str, str]) -> str:
    parts = [ctx[p[1:-1]] for p in pattern.split("-") if p in {f"{{{f}}}" for f in CONTEXT_FIELDS}]
    return "-".join(parts)


def replace_context_tokens(pattern: str, ctx: Mapping[str, str], component: str) -> str:
    """Atmos ``ReplaceContextTokens`` for the tokens a component's vars can supply."""
    out = pattern.replace("{component}", component)
    for key in (*CONTEXT_FIELDS, "region"):
        out = out.replace(f"{{{key}}}", ctx.get(key, ""))
    return out


def spacelift_stack_name(section: Mapping[str, Any], component: str, stack: str, settings: AtmosSettings | None) -> str:
    """``settings.spacelift`` stack name when ``workspace_enabled: true``, else ``""``.

    The context prefix is the stack name (what ``name_template`` renders to for this component), or
    the ``name_pattern`` parts taken from the component's vars when only a pattern is configured.
    """
    settings_section = section.get("settings")
    spacelift = settings_section.get("spacelift") if isinstance(settings_section, Mapping) else None
    if not isinstance(spacelift, Mapping) or spacelift.get("workspace_enabled") is not True:
        return ""
    ctx = context_from_vars(section.get("vars"))
    slug = component.replace("/", "-")
    if isinstance(spacelift.get("stack_name_pattern"), str):
        return replace_context_tokens(spacelift["stack_name_pattern"], ctx, slug)
    if isinstance(spacelift.get("stack_name"), str):
        return str(spacelift["stack_name"])
    raw: Mapping[str, Any] = settings.raw if settings is not None else {}
    stacks_cfg = raw.get("stacks") if isinstance(raw.get("stacks"), Mapping) else {}
    name_template = _str(stacks_cfg.get("name_template")) if isinstance(stacks_cfg, Mapping) else ""
    name_pattern = _str(stacks_cfg.get("name_pattern")) if isinstance(stacks_cfg, Mapping) else ""
    prefix = _name_pattern_prefix(name_pattern, ctx) if name_pattern and not name_template else stack
    return f"{prefix}-{slug}".replace("/", "-")


def atlantis_project_name(section: Mapping[str, Any], component: str, settings: AtmosSettings | None) -> str:
    """``settings.atlantis.project_template[_name]`` project name, else ``""``."""
    settings_section = section.get("settings")
    atlantis = settings_section.get("atlantis") if isinstance(settings_section, Mapping) else None
    if not isinstance(atlantis, Mapping):
        return ""
    template: Any = atlantis.get("project_template")
    if not isinstance(template, Mapping):
        template_name = _str(atlantis.get("project_template_name"))
        raw: Mapping[str, Any] = settings.raw if settings is not None else {}
        templates: Any = raw.get("integrations", {})
        for key in ("atlantis", "project_templates", template_name):
            templates = templates.get(key) if isinstance(templates, Mapping) else None
        template = templates if template_name else None
    if not isinstance(template, Mapping) or not _str(template.get("name")):
        return ""
    ctx = context_from_vars(section.get("vars"))
    return replace_context_tokens(str(template["name"]), ctx, component.replace("/", "-"))


def dependent_item(
    stack: str,
    component_type: str,
    component: str,
    section: Mapping[str, Any],
    *,
    include_settings: bool,
    settings: AtmosSettings | None,
) -> dict[str, Any]:
    """One ``describe dependents`` item in Atmos's JSON shape (``omitempty`` fields dropped)."""
    ctx = context_from_vars(section.get("vars"))
    item: dict[str, Any] = {
        "component": component,
        "component_type": component_type,
        "component_path": component_path(section, component_type, settings),
    }
    item.update({key: ctx[key] for key in CONTEXT_FIELDS if ctx[key]})
    item["stack"] = stack
    item["stack_slug"] = f"{stack}-{component.replace('/', '-')}"
    if component_type == "terraform":
        if spacelift := spacelift_stack_name(section, component, stack, settings):
            item["spacelift_stack"] = spacelift
        if atlantis := atlantis_project_name(section, component, settings):
            item["atlantis_project"] = atlantis
    item["dependents"] = None
    item["included_in_dependents"] = False
    settings_section = section.get("settings")
    item["settings"] = (
        copy.deepcopy(dict(settings_section)) if include_settings and isinstance(settings_section, Mapping) else None
    )
    return item


def sort_dependents(items: list[dict[str, Any]]) -> None:
    """Atmos order: by ``stack_slug``, then component, then stack (nested lists too)."""
    for item in items:
        if isinstance(item.get("dependents"), list):
            sort_dependents(item["dependents"])
    items.sort(key=lambda d: (d["stack_slug"], d["component"], d["stack"]))


def _in_stack(stack_name: str, section: Mapping[str, Any], only_in_stack: str | None) -> bool:
    """The ``describe stacks -s`` filter: the stack name or the manifest's file key."""
    if not only_in_stack:
        return True
    return only_in_stack in (stack_name, section.get("atmos_stack_file"), section.get("atmos_manifest"))


def describe_dependents(
    stacks: Mapping[str, Any],
    component: str,
    stack: str,
    *,
    include_settings: bool = False,
    only_in_stack: str | None = None,
    settings: AtmosSettings | None = None,
) -> list[dict[str, Any]]:
    """Direct dependents of ``component`` in ``stack`` (``atmos describe dependents <c> -s <s>``).

    Every non-abstract, enabled component not itself named ``component`` is checked; each of its
    dependencies naming ``component`` that matches (see ``_matches``) yields one item, so a component
    listing the same dependency twice appears twice, as in Atmos. ``only_in_stack`` limits the
    candidates to one stack (Atmos's ``OnlyInStack``). Raises HarnessError when the component is not
    in the stack.
    """
    found = find_component(stacks, stack, component)
    if found is None:
        raise HarnessError(f"component '{component}' not found in stack '{stack}'")
    provided_vars = found[1].get("vars")
    if not isinstance(provided_vars, Mapping):
        return []
    provided_ctx = context_from_vars(provided_vars)
    items: list[dict[str, Any]] = []
    for stack_name, component_type, name, section in iter_components(stacks):
        if name == component or not _in_stack(stack_name, section, only_in_stack):
            continue
        if is_abstract(section) or not is_enabled(section):
            continue
        if not isinstance(section.get("vars"), Mapping):
            continue
        deps, source = component_dependencies(section)
        dependent_ctx = context_from_vars(section.get("vars"))
        for dep in deps:
            if dep.is_path or dep.component != component:
                continue
            if _matches(
                dep,
                source,
                provided_stack=stack,
                dependent_stack=stack_name,
                provided_ctx=provided_ctx,
                dependent_ctx=dependent_ctx,
            ):
                items.append(
                    dependent_item(
                        stack_name, component_type, name, section, include_settings=include_settings, settings=settings
                    )
                )
    sort_dependents(items)
    return items


def describe_dependents_recursive(
    stacks: Mapping[str, Any],
    component: str,
    stack: str,
    *,
    include_settings: bool = False,
    only_in_stack: str | None = None,
    settings: AtmosSettings | None = None,
    _path: frozenset[tuple[str, str]] = frozenset(),
) -> list[dict[str, Any]]:
    """Dependents with their own dependents filled in (as ``describe affected --include-dependents``).

    A leaf gets ``dependents: []``. Atmos recurses without a guard; here a dependency cycle stops at
    the instance that closes it (its ``dependents`` is ``[]``) instead of recursing forever.
    """
    path = _path | {(component, stack)}
    items = describe_dependents(
        stacks, component, stack, include_settings=include_settings, only_in_stack=only_in_stack, settings=settings
    )
    for item in items:
        key = (item["component"], item["stack"])
        if key in path:
            item["dependents"] = []
            continue
        item["dependents"] = describe_dependents_recursive(
            stacks,
            item["component"],
            item["stack"],
            include_settings=include_settings,
            only_in_stack=only_in_stack,
            settings=settings,
            _path=path,
        )
    return items
