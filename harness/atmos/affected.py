"""``atmos describe affected``: which (stack, component) instances differ between two revisions.

``describe_affected`` is a pure function over the two ``describe stacks`` results (HEAD and BASE)
and a list of changed files, so it can be tested with hand-built dicts. ``affected`` is the git
front end: it exports the BASE revision with ``git archive``, resolves both sides and compares.
Items are the JSON shape Atmos prints (Go ``schema.Affected`` through ``encoding/json``).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from harness.atmos import gitrev
from harness.atmos.dependents import (
    CONTEXT_FIELDS,
    atlantis_project_name,
    component_path,
    context_from_vars,
    describe_dependents_recursive,
    is_abstract,
    is_enabled,
    is_locked,
    iter_components,
    legacy_depends_on,
    spacelift_stack_name,
)
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.atmos.config import AtmosConfig

# Sections compared verbatim, in reporting order (the first difference is the headline reason).
# `metadata` and `settings` have their own steps; `hooks`, `overrides`, `inheritance`, `locals` and
# `retry` are not compared unless `describe.affected.sections` in atmos.yaml lists them.
SECTION_CHECKS: tuple[tuple[str, str], ...] = (
    ("vars", "stack.vars"),
    ("env", "stack.env"),
    ("providers", "stack.providers"),
    ("required_providers", "stack.required_providers"),
    ("required_version", "stack.required_version"),
    ("generate", "stack.generate"),
    ("backend", "stack.backend"),
    ("backend_type", "stack.backend_type"),
    ("remote_state_backend", "stack.remote_state_backend"),
    ("remote_state_backend_type", "stack.remote_state_backend_type"),
    ("auth", "stack.auth"),
    ("command", "stack.command"),
    ("dependencies", "stack.dependencies"),
    ("source", "stack.source"),
    ("provision", "stack.provision"),
)

_LOCAL_MODULE_SOURCE = re.compile(r"""\bsource\s*=\s*"(\.\.?/[^"]*)\"""")


class AffectedConfig(Protocol):
    """What ``describe_affected`` reads from the loaded ``atmos.yaml`` (``AtmosConfig`` fits)."""

    @property
    def raw(self) -> Mapping[str, Any]: ...

    @property
    def base_path(self) -> Path: ...

    @property
    def components_base_path(self) -> Path: ...


_SCALARS = frozenset({str, int, float, bool, type(None)})


def go_equal(a: Any, b: Any) -> bool:
    """Deep equality with Go's types kept apart: ``1``, ``1.0``, ``True`` and ``"1"`` all differ."""
    kind = type(a)
    if kind is type(b):  # the common case first, without the (slow) abstract type checks
        if kind is dict:
            return bool(a.keys() == b.keys() and all(go_equal(a[k], b[k]) for k in a))
        if kind is list:
            return len(a) == len(b) and all(go_equal(x, y) for x, y in zip(a, b, strict=True))
        if kind in _SCALARS:
            return bool(a == b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(go_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(go_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (Mapping, list)) or isinstance(b, (Mapping, list)):
        return False
    if type(a) is not type(b):
        return False
    return bool(a == b)


def _remote_section(
    base: Mapping[str, Any], stack: str, component_type: str, component: str
) -> Mapping[str, Any] | None:
    stack_section = base.get(stack)
    components = stack_section.get("components") if isinstance(stack_section, Mapping) else None
    type_section = components.get(component_type) if isinstance(components, Mapping) else None
    section = type_section.get(component) if isinstance(type_section, Mapping) else None
    return section if isinstance(section, Mapping) else None


def _map_equal(local: Mapping[str, Any], remote: Mapping[str, Any] | None, name: str) -> bool:
    """Atmos ``isEqual``: a missing remote component, or a remote section that is not a map, differs."""
    if remote is None or not isinstance(remote.get(name), Mapping):
        return False
    return go_equal(local, remote[name])


def _section_checks(config: AffectedConfig | None) -> tuple[tuple[str, str], ...]:
    """``describe.affected.sections`` replaces the default list; unknown names report ``stack.<name>``."""
    raw = config.raw if config is not None else {}
    describe = raw.get("describe")
    affected_cfg = describe.get("affected") if isinstance(describe, Mapping) else None
    names = affected_cfg.get("sections") if isinstance(affected_cfg, Mapping) else None
    if not isinstance(names, list) or not names:
        return SECTION_CHECKS
    reasons = dict(SECTION_CHECKS)
    return tuple((str(n), reasons.get(str(n), f"stack.{n}")) for n in names)


def _is_under(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _type_base_dir(config: AffectedConfig | None, component_type: str) -> Path | None:
    if config is None:
        return None
    if component_type == "terraform":
        return config.components_base_path
    components = config.raw.get("components")
    type_cfg = components.get(component_type) if isinstance(components, Mapping) else None
    rel = type_cfg.get("base_path") if isinstance(type_cfg, Mapping) else None
    return (config.base_path / rel).resolve() if isinstance(rel, str) and rel else None


def local_module_dirs(component_dir: Path) -> list[Path]:
    """Local module folders (``source = "./..."`` or ``"../..."``) called from a component's ``.tf`` files."""
    dirs: list[Path] = []
    if not component_dir.is_dir():
        return dirs
    for tf_file in sorted(component_dir.glob("*.tf")):
        try:
            text = tf_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in _LOCAL_MODULE_SOURCE.finditer(text):
            dirs.append((tf_file.parent / match.group(1)).resolve())
    return dirs


def file_folder_deps(section: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(kind, path)`` file/folder dependencies: ``dependencies`` first, else ``settings.depends_on``."""
    deps = section.get("dependencies")
    found: list[tuple[str, str]] = []
    if isinstance(deps, Mapping):
        for entry in deps.get("components") or []:
            if (
                isinstance(entry, Mapping)
                and entry.get("kind") in ("file", "folder")
                and isinstance(entry.get("path"), str)
                and entry["path"]
            ):
                found.append((str(entry["kind"]), entry["path"]))
        for kind, key in (("file", "files"), ("folder", "folders")):
            for path in deps.get(key) or []:
                if isinstance(path, str) and path and (kind, path) not in found:
                    found.append((kind, path))
    if found:
        return found
    for item in legacy_depends_on(section):
        for kind in ("file", "folder"):
            if isinstance(item.get(kind), str) and item[kind]:
                found.append((kind, item[kind]))
    return found


def changed_dependency(deps: Iterable[tuple[str, str]], changed: Sequence[Path], cwd: Path) -> tuple[str, str] | None:
    """The first declared file/folder dependency (paths from ``cwd``) that a changed path hits."""
    for kind, raw_path in deps:
        target = (cwd / raw_path).resolve()
        for path in changed:
            if (kind == "file" and path == target) or (kind == "folder" and _is_under(path, target)):
                return kind, raw_path
    return None


def component_dir_reasons(
    component_dir: Path, component_type: str, changed: Sequence[Path], module_cache: dict[Path, list[Path]]
) -> list[str]:
    """``component.module`` and ``component``: a changed path in a local module or in the component folder."""
    reasons: list[str] = []
    if component_type == "terraform":
        if component_dir not in module_cache:
            module_cache[component_dir] = local_module_dirs(component_dir)
        if any(_is_under(p, m) for m in module_cache[component_dir] for p in changed):
            reasons.append("component.module")
    if any(_is_under(p, component_dir) for p in changed):
        reasons.append("component")
    return reasons


class _Collector:
    """Affected items keyed by (type, stack, component): the first reason heads, all go to ``affected_all``."""

    def __init__(self, config: AffectedConfig | None, include_settings: bool) -> None:
        self.config = config
        self.include_settings = include_settings
        self.items: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(
        self,
        stack: str,
        component_type: str,
        component: str,
        section: Mapping[str, Any],
        reason: str,
        *,
        file: str = "",
        folder: str = "",
    ) -> None:
        key = (component_type, stack, component)
        if key in self.items:
            self.items[key]["affected_all"].append(reason)
            return
        item: dict[str, Any] = {
            "component": component,
            "component_type": component_type,
            "component_path": component_path(section, component_type, self.config, component),
            "stack": stack,
            "stack_slug": f"{stack}-{component.replace('/', '-')}",
        }
        if component_type == "terraform":
            if spacelift := spacelift_stack_name(section, component, stack, self.config):
                item["spacelift_stack"] = spacelift
            if atlantis := atlantis_project_name(section, component, self.config):
                item["atlantis_project"] = atlantis
        item["affected"] = reason
        item["affected_all"] = [reason]
        if file:
            item["file"] = file
        if folder:
            item["folder"] = folder
        item["dependents"] = None
        item["included_in_dependents"] = False
        settings = section.get("settings")
        item["settings"] = (
            copy.deepcopy(dict(settings)) if self.include_settings and isinstance(settings, Mapping) else None
        )
        self.items[key] = item


def _check_component(
    out: _Collector,
    base: Mapping[str, Any],
    stack: str,
    component_type: str,
    name: str,
    section: Mapping[str, Any],
    *,
    changed: Sequence[Path],
    cwd: Path,
    checks: tuple[tuple[str, str], ...],
    module_cache: dict[Path, list[Path]],
) -> None:
    remote = _remote_section(base, stack, component_type, name)
    metadata = section.get("metadata")
    if isinstance(metadata, Mapping) and not _map_equal(metadata, remote, "metadata"):
        out.add(stack, component_type, name, section, "stack.metadata")

    base_dir = _type_base_dir(out.config, component_type)
    folder = section.get("component") if isinstance(section.get("component"), str) else ""
    if base_dir is not None and changed:
        for reason in component_dir_reasons((base_dir / (folder or name)).resolve(), component_type, changed,
                                            module_cache):
            out.add(stack, component_type, name, section, reason)

    for section_name, reason in checks:
        if section_name not in section:
            continue
        if remote is None or not go_equal(section[section_name], remote.get(section_name)):
            out.add(stack, component_type, name, section, reason)

    settings = section.get("settings")
    if isinstance(settings, Mapping):
        if not _map_equal(settings, remote, "settings"):
            out.add(stack, component_type, name, section, "stack.settings")
        hit = changed_dependency(file_folder_deps(section), changed, cwd) if changed else None
        if hit is not None:
            kind, path = hit
            out.add(stack, component_type, name, section, kind, **{kind: path})


def _deleted_items(
    head: Mapping[str, Any], base: Mapping[str, Any], config: AffectedConfig | None, stack_filter: str | None
) -> list[dict[str, Any]]:
    """Components in BASE but not in HEAD (``deleted``), or whose whole stack is gone (``deleted.stack``)."""
    items: list[dict[str, Any]] = []
    for stack, component_type, name, section in iter_components(base):
        if (stack_filter and stack != stack_filter) or is_abstract(section):
            continue
        head_stack = head.get(stack)
        if head_stack is None:
            reason, deletion_type = "deleted.stack", "stack"
        else:
            head_components = head_stack.get("components") if isinstance(head_stack, Mapping) else None
            head_type = head_components.get(component_type) if isinstance(head_components, Mapping) else None
            if isinstance(head_type, Mapping) and name in head_type:
                continue
            reason, deletion_type = "deleted", "component"
        ctx = context_from_vars(section.get("vars"))
        item: dict[str, Any] = {
            "component": name,
            "component_type": component_type,
            "component_path": component_path(section, component_type, config, name),
        }
        if isinstance(section.get("vars"), Mapping):
            item.update({key: ctx[key] for key in CONTEXT_FIELDS if ctx[key]})
        item["stack"] = stack
        item["stack_slug"] = f"{stack}-{name.replace('/', '-')}"
        if component_type == "terraform" and isinstance(section.get("vars"), Mapping):
            if spacelift := spacelift_stack_name(section, name, stack, config):
                item["spacelift_stack"] = spacelift
            if atlantis := atlantis_project_name(section, name, config):
                item["atlantis_project"] = atlantis
        item.update(
            affected=reason,
            affected_all=[reason],
            dependents=None,
            included_in_dependents=False,
            settings=None,
            deleted=True,
            deletion_type=deletion_type,
        )
        items.append(item)
    return items


def _contains_slug(dependents: Any, slug: str, skip: int = -1) -> bool:
    if not isinstance(dependents, list):
        return False
    for index, dep in enumerate(dependents):
        if index == skip:
            continue
        if dep["stack_slug"] == slug or _contains_slug(dep.get("dependents"), slug):
            return True
    return False


def _mark_peers(dependents: Any) -> None:
    if not isinstance(dependents, list):
        return
    for index, dep in enumerate(dependents):
        dep["included_in_dependents"] = _contains_slug(dependents, dep["stack_slug"], skip=index)
        _mark_peers(dep.get("dependents"))


def mark_included_in_dependents(items: list[dict[str, Any]]) -> None:
    """Atmos ``processIncludedInDependencies``: flag items (and peer dependents) found in another tree.

    An affected item is ``included_in_dependents`` when its ``stack_slug`` appears anywhere in another
    item's dependents tree; only for items that are not, each dependents list is marked the same way
    among its siblings (recursively).
    """
    for index, item in enumerate(items):
        item["included_in_dependents"] = any(
            _contains_slug(other.get("dependents"), item["stack_slug"]) for i, other in enumerate(items) if i != index
        )
        if not item["included_in_dependents"]:
            _mark_peers(item.get("dependents"))


def describe_affected(
    head: Mapping[str, Any],
    base: Mapping[str, Any],
    *,
    changed_files: Sequence[str | Path] = (),
    config: AffectedConfig | None = None,
    repo_root: Path | None = None,
    cwd: Path | None = None,
    include_settings: bool = False,
    include_dependents: bool = False,
    exclude_locked: bool = False,
    dependents_only_in_stack: str | None = None,
    stack: str | None = None,
    module_cache: dict[Path, list[Path]] | None = None,
) -> list[dict[str, Any]]:
    """Affected instances of HEAD relative to BASE, in Atmos's order of reasons.

    Per HEAD component (abstract, ``enabled: false`` and, with ``exclude_locked``, locked ones are
    skipped): ``stack.metadata``, ``component.module``, ``component``, the section compares
    (``stack.vars``, ``stack.env``, …), ``stack.settings``, then ``file``/``folder`` dependencies.
    Components and stacks only in BASE follow as ``deleted``/``deleted.stack``. ``changed_files``
    relative paths are taken from ``repo_root`` (default: the config's base path); file/folder
    dependency paths from ``cwd`` (default: the config's cwd). ``stack`` limits the whole result to
    one stack; ``dependents_only_in_stack`` only limits the dependents (as Atmos's API does).
    ``module_cache`` (component folder -> its local module folders) is filled as components are checked, for a
    caller that checks the same folders again.
    """
    root = repo_root or (config.base_path if config is not None else Path.cwd())
    changed = [(root / p).resolve() if not Path(p).is_absolute() else Path(p).resolve() for p in changed_files]
    work_dir = cwd or getattr(config, "cwd", None) or Path.cwd()
    out = _Collector(config, include_settings)
    checks = _section_checks(config)
    module_cache = {} if module_cache is None else module_cache
    for stack_name, component_type, name, section in iter_components(head):
        if stack and stack_name != stack:
            continue
        if is_abstract(section) or not is_enabled(section) or (exclude_locked and is_locked(section)):
            continue
        _check_component(
            out,
            base,
            stack_name,
            component_type,
            name,
            section,
            changed=changed,
            cwd=work_dir,
            checks=checks,
            module_cache=module_cache,
        )
    items = list(out.items.values()) + _deleted_items(head, base, config, stack)
    if include_dependents:
        for item in items:
            if item.get("deleted"):
                item["dependents"] = []
                continue
            if dependents_only_in_stack and item["stack"] != dependents_only_in_stack:
                continue
            item["dependents"] = describe_dependents_recursive(
                head,
                item["component"],
                item["stack"],
                include_settings=include_settings,
                only_in_stack=dependents_only_in_stack,
                settings=config,
            )
        mark_included_in_dependents(items)
    return items


_C = TypeVar("_C")


def rebase_config(config: _C, old_root: Path, new_root: Path) -> _C:
    """A copy of a loaded config whose paths inside ``old_root`` point into ``new_root`` instead.

    This is how Atmos reads the BASE side: HEAD's ``atmos.yaml`` with the base, stacks and components
    paths re-pointed at the other tree. Paths outside ``old_root`` are kept.
    """
    old_root, new_root = old_root.resolve(), new_root.resolve()

    def move(path: Path) -> Path:
        return new_root / path.relative_to(old_root) if _is_under(path, old_root) else path

    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError("rebase_config needs a dataclass config (harness.atmos.AtmosConfig)")
    changes = {
        name: move(getattr(config, name))
        for name in ("base_path", "stacks_base_path", "components_base_path")
        if isinstance(getattr(config, name, None), Path)
    }
    result: _C = dataclasses.replace(cast(Any, config), **changes)
    return result


def _describe_side(
    config: AtmosConfig, *, process_templates: bool, process_functions: bool, allow_exec: bool
) -> dict[str, Any]:
    from harness.atmos import Resolver

    if not config.stacks_base_path.is_dir():
        return {}
    resolver = Resolver(
        config, process_templates=process_templates, process_functions=process_functions, allow_exec=allow_exec
    )
    return dict(resolver.describe_stacks())


def affected(
    config: AtmosConfig,
    *,
    base_ref: str,
    head_ref: str | None = None,
    process_templates: bool = True,
    process_functions: bool = True,
    allow_exec: bool = False,
    include_settings: bool = False,
    include_dependents: bool = False,
    exclude_locked: bool = False,
    dependents_only_in_stack: str | None = None,
    stack: str | None = None,
    head_stacks: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """``atmos describe affected --ref BASE``: compare the repository holding ``config`` with ``base_ref``.

    HEAD is the working tree (committed, uncommitted and untracked changes) unless ``head_ref`` names
    a revision. Each revision is exported with ``git archive`` to a temporary directory and resolved
    with HEAD's ``atmos.yaml`` (paths re-pointed), as Atmos does; a BASE without a stacks folder counts
    as empty, so everything is affected. Raises HarnessError when a ref is not reachable.
    """
    repo = gitrev.repo_root(config.base_path)
    if not _is_under(config.base_path.resolve(), repo):
        raise HarnessError(f"base path {config.base_path} is outside the git repository {repo}")
    options = {"process_templates": process_templates, "process_functions": process_functions, "allow_exec": allow_exec}
    with ExitStack() as scope:
        gitrev.resolve_commit(repo, base_ref)
        if head_ref is None:
            head_cfg, head_root = config, repo
        else:
            head_root = scope.enter_context(gitrev.checkout(repo, head_ref))
            head_cfg = rebase_config(config, repo, head_root)
        base_root = scope.enter_context(gitrev.checkout(repo, base_ref))
        base_cfg = rebase_config(config, repo, base_root)
        changed = gitrev.changed_files(repo, base_ref, head_ref)
        if head_stacks is None or head_ref is not None:
            head_stacks = _describe_side(head_cfg, **options)
        base_stacks = _describe_side(base_cfg, **options)
        return describe_affected(
            head_stacks,
            base_stacks,
            changed_files=changed,
            config=head_cfg,
            repo_root=head_root,
            # Atmos resolves file/folder dependencies from the working directory; outside the
            # repository that means nothing, so the repository's base path stands in for it.
            cwd=head_root / (config.cwd if _is_under(config.cwd, repo) else config.base_path).relative_to(repo),
            include_settings=include_settings,
            include_dependents=include_dependents,
            exclude_locked=exclude_locked,
            dependents_only_in_stack=dependents_only_in_stack,
            stack=stack,
        )
