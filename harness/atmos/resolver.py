"""The stack resolver: every (stack, component) instance, ``describe stacks`` and ``describe component``.

Pipeline per top-level manifest (as Atmos): imports merged -> component sections processed -> stack name ->
workspace -> describe-time templates -> YAML functions. Everything is computed once per resolver and shared.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.atmos.components import ComponentProcessor, globals_of
from harness.atmos.config import AtmosConfig
from harness.atmos.discovery import file_key, stack_files
from harness.atmos.functions import FunctionContext, TerraformRef, collect_refs, evaluate_tree
from harness.atmos.instance import Dependency, Instance
from harness.atmos.manifest import Manifest, ManifestLoader, scan_dynamic
from harness.atmos.naming import NameUnresolved, pattern_tokens, stack_name
from harness.atmos.overlay import DISK, FileOverlay
from harness.atmos.templates import TemplateError, render, render_tree
from harness.atmos.workspace import terraform_workspace
from harness.errors import ConfigError, HarnessError

CONTEXT_VARS = ("namespace", "tenant", "environment", "stage")

#: Processed sections that only the same-named top-level key of their sources feeds (global ``vars``,
#: component ``vars``...): template or function strings found under those keys can only surface there.
#: Anything else (``terraform``, ``overrides``, ``metadata``, names...) makes the passes walk everything.
_SELF_CONTAINED = frozenset(("vars", "settings", "env"))


@dataclass(frozen=True)
class Entry:
    """One component of one top-level manifest, processed but not yet templated."""

    manifest: Manifest
    component: str
    processed: dict[str, Any]
    stack: str | None
    unresolved_reason: str | None = None

    @property
    def display_stack(self) -> str:
        """The stack name, or the file key when the name vars are missing (as describe stacks does)."""
        return self.stack if self.stack is not None else self.manifest.key


ProgressFn = Callable[[int, int, str], None]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while resolving (reference counting still frees everything).

    Resolution allocates hundreds of thousands of dicts and lists that stay alive, so the collector keeps
    re-traversing them for nothing: that was a quarter of ``describe stacks`` on a 500-stack organization.
    Nothing built here forms reference cycles. On the way out, what was built is moved to the oldest
    generation (``freeze`` then ``unfreeze``: no traversal) rather than scanned once more as young objects,
    unless the process keeps frozen objects of its own. The previous state is restored, also on errors and
    when nested.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


class Resolver:
    """Resolves an Atmos repository; all public methods return plain data (dicts, dataclasses)."""

    def __init__(
        self,
        config: AtmosConfig,
        *,
        process_templates: bool = True,
        process_functions: bool = True,
        allow_exec: bool | None = None,
        env: Mapping[str, str] | None = None,
        progress: ProgressFn | None = None,
        files: Sequence[Path] | None = None,
        overlay: FileOverlay = DISK,
        known_contexts: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
        use_mocks: bool = False,
    ) -> None:
        """``files`` limits resolution to some top-level manifests, read through ``overlay``;
        ``known_contexts`` (stack -> component -> context vars) stands in for the stacks left out when a
        ``settings.depends_on`` entry names its stack by context fields; ``use_mocks`` (Atmos
        ``--use-mocks``) resolves ``!terraform.output``/``!terraform.state`` from the producer's ``mocks``."""
        self.config = config
        self.process_templates = process_templates
        self.process_functions = process_functions
        self.allow_exec = config.allow_exec if allow_exec is None else allow_exec
        self.use_mocks = use_mocks and self._mocks_supported()
        #: With mocks, the references each built section resolved (its dependencies all the same).
        self._resolved_refs: dict[tuple[str, str], list[TerraformRef]] = {}
        self.os_env: Mapping[str, str] = dict(os.environ) if env is None else env
        self.loader = ManifestLoader(config, overlay)
        self.progress = progress
        self._files = list(files) if files is not None else None
        self._known_contexts: Mapping[str, Mapping[str, Mapping[str, Any]]] = (
            known_contexts if known_contexts is not None else {})
        self._entries: list[Entry] | None = None
        self._index: dict[str, dict[str, Entry]] | None = None
        self._described: dict[tuple[str, str], dict[str, Any]] = {}
        self._described_view: dict[tuple[str, str], dict[str, Any]] = {}
        #: Per built section, the top-level keys that may hold YAML function calls (None: any of them).
        self._function_keys: dict[tuple[str, str], AbstractSet[str] | None] = {}
        self._instances: dict[tuple[str, str], Instance] = {}
        self._config_dynamic_flag: bool | None = None
        self._components_base = str(config.get("components", "terraform", "base_path", default="") or "")
        self._relative_paths: dict[Path, str] = {}

    # -- loading --------------------------------------------------------------------------------------
    def stack_files(self) -> list[Path]:
        return list(self._files) if self._files is not None else stack_files(self.config)

    def manifest(self, path: Path) -> Manifest:
        return self.loader.load(path)

    def entries_of(self, path: Path) -> list[Entry]:
        """Process one top-level manifest into its component entries."""
        manifest = self.loader.load(path)
        if not manifest.config.get("components"):
            return []
        processor = ComponentProcessor(manifest, self.config)
        g = processor.globals
        entries: list[Entry] = []
        for name in processor.names():
            processed = processor.process(name)
            try:
                stack = stack_name(
                    manifest_name=g.name,
                    name_template=self.config.name_template,
                    name_pattern=self.config.name_pattern,
                    section=processed,
                    file_key=manifest.key,
                )
                entries.append(Entry(manifest, name, processed, stack))
            except NameUnresolved as exc:
                entries.append(Entry(manifest, name, processed, None, str(exc)))
        return entries

    def entries(self) -> list[Entry]:
        if self._entries is None:
            entries: list[Entry] = []
            with gc_paused():
                files = self.stack_files()
                for i, path in enumerate(files):
                    if self.progress is not None:
                        self.progress(i + 1, len(files), self.config.relative(path))
                    entries.extend(self.entries_of(path))
            self._entries = entries
        return self._entries

    def index(self) -> dict[str, dict[str, Entry]]:
        """stack name -> component -> entry; raises on a component two manifests define differently."""
        if self._index is None:
            index: dict[str, dict[str, Entry]] = {}
            for entry in self.entries():
                if entry.stack is None:
                    continue
                slot = index.setdefault(entry.stack, {})
                other = slot.get(entry.component)
                if other is None:
                    slot[entry.component] = entry
                elif other.processed != entry.processed:
                    raise ConfigError(
                        f"duplicate config: component '{entry.component}' in stack '{entry.stack}' is defined "
                        f"differently in '{self.config.relative(other.manifest.path)}' and "
                        f"'{self.config.relative(entry.manifest.path)}': both manifests produce stack "
                        f"'{entry.stack}' ({self._name_origin(other)}; {self._name_origin(entry)}). Give each "
                        f"manifest its own name, or define the component in one of them",
                        file=entry.manifest.path,
                    )
            self._index = index
        return self._index

    def _name_origin(self, entry: Entry) -> str:
        """What produced an entry's stack name: a ``name:`` (and the file that set it), the template, the
        pattern, or the file key."""
        manifest = entry.manifest
        rel = self.config.relative(manifest.path)
        name = manifest.config.get("name")
        if isinstance(name, str) and name:
            from harness.atmos.locate import chain_text, where_set

            file, line = where_set(manifest, ("name",))
            where = f"{self.config.relative(file)}:{line}" if line else self.config.relative(file)
            return f"{rel}: 'name: {name}' set in {where}{chain_text(manifest, file, self.config)}"
        if self.config.name_template:
            return f"{rel}: stacks.name_template '{self.config.name_template}'"
        if self.config.name_pattern and pattern_tokens(self.config.name_pattern):
            return f"{rel}: stacks.name_pattern '{self.config.name_pattern}'"
        return f"{rel}: its file name"

    def stack_names(self) -> list[str]:
        return sorted(self.index())

    # -- describe --------------------------------------------------------------------------------------
    def _folder(self, entry: Entry) -> str:
        meta_component = (entry.processed.get("metadata") or {}).get("component")
        if isinstance(meta_component, str) and meta_component:
            return meta_component
        return str(entry.processed.get("component") or entry.component)

    def component_path(self, entry: Entry) -> Path:
        return self.config.components_base_path / self._folder(entry)

    def _relative_component_path(self, entry: Entry) -> str:
        base = self._components_base
        folder = self._folder(entry)
        prefix = (entry.processed.get("metadata") or {}).get("component_folder_prefix")
        if isinstance(prefix, str) and prefix:
            folder = f"{prefix}/{folder}"
        return f"{base.rstrip('/')}/{folder}" if base else folder

    def _where(self, entry: Entry, stack: str) -> str:
        path = entry.manifest.path
        relative = self._relative_paths.get(path)
        if relative is None:
            relative = self._relative_paths[path] = self.config.relative(path)
        return f" (component '{entry.component}' in stack '{stack}', {relative})"

    def _build(self, entry: Entry, stack: str, *, stacks_view: bool = False) -> dict[str, Any]:
        """The described section; ``stacks_view``: as ``describe stacks`` shows it (its workspace quirk)."""
        key = (stack, entry.component)
        cache = self._described_view if stacks_view else self._described
        cached = cache.get(key)
        if cached is not None and cached.get("atmos_stack_file") == entry.manifest.key:
            return cached
        section: dict[str, Any] = {
            "atmos_component": entry.component,
            "atmos_stack": stack,
            "atmos_stack_file": entry.manifest.key,
            "atmos_manifest": entry.manifest.key,
            "stack": stack,
            "component_type": "terraform",
            **entry.processed,
        }
        section["workspace"] = terraform_workspace(self.config, entry, stack, section)
        if stacks_view:
            view_workspace = terraform_workspace(self.config, entry, stack, section, stacks_view=True)
            if view_workspace == section["workspace"]:
                built = self._build(entry, stack)
                cache[key] = built
                return built
            section["workspace"] = view_workspace
        templates, functions = self._dynamic_keys(entry, section)  # None: every key
        if not (self.process_templates and self.config.templates_enabled):
            templates = frozenset()
        if templates is None or templates:
            try:
                context = section
                section = _walk_keys(
                    lambda v: render_tree(v, context, ignore_missing=self.config.ignore_missing_template_values,
                                          env=self.os_env),
                    section, templates,
                )
            except TemplateError as exc:
                raise self._template_error(exc, entry, stack) from None
        # rendering may have produced function strings, but only under the keys it walked
        keys = None if functions is None or templates is None else functions | templates
        self._function_keys[key] = keys
        if self.process_functions and (keys is None or keys):
            ctx = FunctionContext(
                component_env=section.get("env") or {},
                os_env=self.os_env,
                allow_exec=self.allow_exec,
                cwd=self.config.cwd,
                repo_root=self.config.base_path,
                where=self._where(entry, stack),
                refs=[],
                mocks=(lambda ref: self._mocks_for(ref, stack)) if self.use_mocks else None,
            )
            try:
                section = _walk_keys(lambda v: evaluate_tree(v, ctx), section, keys)
                if self.use_mocks:
                    self._resolved_refs[key] = ctx.refs
            except HarnessError as exc:
                if exc.file is None:
                    exc.file = str(entry.manifest.path)
                raise
        section["component_info"] = {
            "component_path": self._relative_component_path(entry),
            "component_type": "terraform",
        }
        cache[key] = section
        return section

    def _template_error(self, exc: TemplateError, entry: Entry, stack: str) -> ConfigError:
        """The error at the file and line holding the failing template (the imported file, with its chain)."""
        from harness.atmos.locate import chain_text, where_text

        file, line = where_text(entry.manifest, exc.source or "")
        what = f"template function '{exc.function}'" if exc.function else "template"
        return ConfigError(f"{what} error{self._where(entry, stack)}: {exc}"
                           f"{chain_text(entry.manifest, file, self.config)}", file=file, line=line)

    def _mocks_supported(self) -> bool:
        """Atmos 1.224 brought component mocks; for an older target references stay deferred, with a warning."""
        from harness.atmos import notices

        target = self.config.atmos_target
        if target.applies("component-mocks"):
            return True
        notices.warn(f"--use-mocks ignored: {target.ignored('component-mocks')}", file="atmos.yaml")
        return False

    def _mocks_for(self, ref: TerraformRef, stack: str) -> tuple[Mapping[str, Any], str]:
        """The producer's processed ``mocks`` map (no templates or functions in it, as Atmos), fail-closed."""
        ref_stack = ref.ref_stack or stack
        if "{{" in ref_stack:
            raise ConfigError(f"{ref}: the stack name '{ref_stack}' was not rendered")
        producer = self.find(ref.ref_component, ref_stack)
        mocks = producer.processed.get("mocks")
        what = f"the 'mocks' of component '{ref.ref_component}' in stack '{ref_stack}'"
        if not isinstance(mocks, dict):
            raise ConfigError(f"--use-mocks: component '{ref.ref_component}' in stack '{ref_stack}' declares no "
                              f"'mocks' section, which {ref} needs", file=producer.manifest.path)
        return mocks, what

    def _dynamic_keys(
        self, entry: Entry, section: Mapping[str, Any]
    ) -> tuple[AbstractSet[str] | None, AbstractSet[str] | None]:
        """Top-level keys of ``section`` the template / function passes must walk (None: all of them).

        Its strings come from the manifest's stack-global sections and its own and its bases' component
        sections (tracked per file and top-level key by :class:`~harness.atmos.manifest.Dynamic`), a few
        atmos.yaml values, and names derived from those (stack, file key, workspace), checked directly.
        """
        dynamic = entry.manifest.dynamic
        if dynamic is None or self._config_dynamic():
            return None, None
        bases = entry.processed.get("inheritance")
        if not isinstance(bases, list):
            return None, None
        templates, functions = dynamic.global_templates, dynamic.global_functions
        if dynamic.templates or dynamic.functions:
            for name in (entry.component, *bases):
                if name in dynamic.templates:
                    templates = templates | dynamic.templates[name]
                if name in dynamic.functions:
                    functions = functions | dynamic.functions[name]
        for derived in (section.get("atmos_stack"), section.get("atmos_stack_file"), section.get("workspace")):
            if not isinstance(derived, str):
                found = [False, False]
                scan_dynamic(derived, found)
                if found[0] or found[1]:
                    return None, None
            elif "{{" in derived or derived.startswith("!"):
                return None, None
        return (
            templates if templates <= _SELF_CONTAINED else None,
            functions if functions <= _SELF_CONTAINED else None,
        )

    def _config_dynamic(self) -> bool:
        """atmos.yaml values that reach component sections (command, env, GitHub integration, separator)."""
        if self._config_dynamic_flag is None:
            found = [False, False]
            for value in (self.config.terraform_command, self.config.env, self.config.get("integrations", "github"),
                          self.config.prefix_separator):
                scan_dynamic(value, found)
            self._config_dynamic_flag = found[0] or found[1]
        return self._config_dynamic_flag

    def describe_stacks(
        self,
        stacks: Sequence[str] | None = None,
        components: Sequence[str] | None = None,
        *,
        include_empty: bool = False,
    ) -> dict[str, Any]:
        """Atmos-shaped ``{stack: {"components": {"terraform": {component: section}}}}``."""
        with gc_paused():
            return self._describe_stacks(stacks, components, include_empty)

    def _describe_stacks(
        self, stacks: Sequence[str] | None, components: Sequence[str] | None, include_empty: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.index()  # duplicate check first
        for entry in self.entries():
            stack = entry.display_stack
            if stacks and stack not in stacks and entry.manifest.key not in stacks:
                continue
            if components and entry.component not in components and entry.processed.get("component") not in components:
                continue
            if entry.stack is not None and self.index()[entry.stack].get(entry.component) is not entry:
                continue
            described = out.get(stack)
            if described is None:
                described = out[stack] = {"components": {"terraform": {}}}
            described["components"]["terraform"][entry.component] = self._build(entry, stack, stacks_view=True)
        if include_empty:
            for path in self.stack_files():
                key = file_key(path, self.config.stacks_base_path)
                if stacks and key not in stacks:
                    continue
                if not any(e.manifest.key == key for e in self.entries()):
                    out.setdefault(key, {"components": {"terraform": {}}})
        return out

    def find(self, component: str, stack: str) -> Entry:
        """The entry for ``component`` in ``stack`` (a stack name, or a file key when it has no name)."""
        index = self.index()
        entry = index.get(stack, {}).get(component)
        if entry is not None:
            return entry
        for candidate in self.entries():
            if candidate.stack is None and candidate.manifest.key == stack and candidate.component == component:
                return candidate
        if stack in index:
            known = ", ".join(sorted(index[stack])) or "none"
            raise ConfigError(f"component '{component}' is not defined in stack '{stack}' (components: {known})")
        by_key = sorted({e.stack for e in self.entries() if e.manifest.key == stack and e.stack})
        hint = f"; that manifest defines stack '{by_key[0]}'" if by_key else ""
        names = ", ".join(self.stack_names()[:20])
        raise ConfigError(f"stack '{stack}' not found{hint} (stacks: {names})")

    def describe_component(self, component: str, stack: str) -> dict[str, Any]:
        """Atmos ``describe component`` (full form) plus ``imports``, ``deps`` and ``deps_all``."""
        entry = self.find(component, stack)
        section = dict(self._build(entry, entry.display_stack))
        section["imports"] = list(entry.manifest.imports)
        deps, deps_all = self.provenance_files(entry)
        section["deps"] = deps
        section["deps_all"] = deps_all
        dependencies = self.instance(component, entry.display_stack).dependencies
        section["component_dependencies"] = [d.to_json() for d in dependencies]
        return section

    # -- provenance ----------------------------------------------------------------------------------------
    def provenance_files(self, entry: Entry) -> tuple[list[str], list[str]]:
        """(deps, deps_all): files that win a vars/env/settings/backend key, and every contributing file."""
        from harness.atmos.provenance import contributing_files

        return contributing_files(self, entry)

    # -- instances -------------------------------------------------------------------------------------------
    def instance(self, component: str, stack: str) -> Instance:
        key = (stack, component)
        cached = self._instances.get(key)
        if cached is not None:
            return cached
        entry = self.find(component, stack)
        section = self._build(entry, entry.display_stack)
        inst = Instance(
            stack=entry.display_stack,
            component=component,
            folder=self._folder(entry),
            component_path=self.component_path(entry),
            stack_file=entry.manifest.key,
            stack_file_path=entry.manifest.path,
            section=section,
            dependencies=tuple(self._dependencies(entry, section)),
            imports=entry.manifest.imports,
        )
        self._instances[key] = inst
        return inst

    def instances(self, *, include_abstract: bool = False) -> list[Instance]:
        """Every instance with a stack name, sorted by (stack, component)."""
        result: list[Instance] = []
        with gc_paused():
            for stack in self.stack_names():
                for component in sorted(self.index()[stack]):
                    inst = self.instance(component, stack)
                    if include_abstract or not inst.abstract:
                        result.append(inst)
        return result

    def _dependencies(self, entry: Entry, section: Mapping[str, Any]) -> Iterable[Dependency]:
        stack = entry.display_stack
        seen: set[Dependency] = set()
        deps = section.get("dependencies")
        components = deps.get("components") if isinstance(deps, dict) else None
        if isinstance(components, list) and components:
            for item in components:
                if not isinstance(item, dict):
                    raise ConfigError(f"dependencies.components entries must be maps{self._where(entry, stack)}",
                                      file=entry.manifest.path)
                name, alias = item.get("name"), item.get("component")
                if name and alias and name != alias:
                    raise ConfigError(
                        f"dependencies.components entry sets both name '{name}' and component '{alias}'"
                        f"{self._where(entry, stack)}", file=entry.manifest.path)
                target = name or alias
                if item.get("kind") in ("file", "folder") or not isinstance(target, str):
                    continue
                dep = Dependency(str(target), str(item.get("stack") or stack), "dependencies")
                if dep not in seen:
                    seen.add(dep)
                    yield dep
        else:
            legacy = (section.get("settings") or {}).get("depends_on")
            if isinstance(legacy, dict):
                for item in legacy.values():
                    if not isinstance(item, dict) or not isinstance(item.get("component"), str):
                        continue
                    dep = Dependency(item["component"], self._legacy_stack(item, section, stack), "depends_on")
                    if dep not in seen:
                        seen.add(dep)
                        yield dep
        refs: list[TerraformRef] = list(self._resolved_refs.get((stack, entry.component), ()))
        keys = self._function_keys.get((stack, entry.component))
        if keys is None:
            collect_refs(section, refs)
        else:  # only where function calls can be (the same result, without walking every value)
            for name, value in section.items():
                if name in keys:
                    collect_refs(value, refs)
        for ref in refs:
            ref_stack = ref.ref_stack or stack
            if "{{" in ref_stack:
                with suppress(TemplateError):
                    ref_stack = render(ref_stack, section)
            dep = Dependency(ref.ref_component, ref_stack, f"terraform.{ref.kind}", ref.expression)
            if dep not in seen:
                seen.add(dep)
                yield dep

    def _legacy_stack(self, item: Mapping[str, Any], section: Mapping[str, Any], stack: str) -> str:
        if isinstance(item.get("stack"), str) and item["stack"]:
            return str(item["stack"])
        fields = {k: item[k] for k in CONTEXT_VARS if isinstance(item.get(k), str) and item[k]}
        if not fields:
            return stack
        own = section.get("vars") or {}
        wanted = {k: fields.get(k, own.get(k)) for k in CONTEXT_VARS}
        index = self.index()
        component = str(item["component"])
        known = self._known_contexts
        # the full repository's order (manifest file order) when the caller knows the stacks left out
        order = [*known, *(s for s in index if s not in known)] if known else list(index)
        for candidate in order:
            entry = index.get(candidate, {}).get(component)
            if entry is not None:
                variables = entry.processed.get("vars") or {}
            else:
                variables = known.get(candidate, {}).get(component)
                if variables is None:
                    continue
            if all(variables.get(k) == v for k, v in wanted.items() if v is not None):
                return candidate
        return "-".join(str(wanted[k]) for k in CONTEXT_VARS if wanted.get(k))


def _walk_keys(walk: Callable[[Any], Any], section: dict[str, Any], keys: AbstractSet[str] | None) -> dict[str, Any]:
    """``walk(section)`` when keys is None, else ``walk`` applied to those top-level map values only.

    Both passes return unchanged values as the same objects, so skipping values without template or
    function strings gives the same result as walking them.
    """
    if keys is None:
        result: dict[str, Any] = walk(section)
        return result
    out: dict[str, Any] | None = None
    for key in [k for k in section if k in keys]:  # section order: the first failing value is the same one
        value = section[key]
        if not isinstance(value, dict):
            result = walk(section)  # not a map (a pass could drop it): walk everything, as always
            return result
        new = walk(value)
        if new is not value:
            if out is None:
                out = dict(section)
            out[key] = new
    return section if out is None else out


def manifest_globals(resolver: Resolver, path: Path) -> dict[str, Any]:
    """The stack-global sections of one manifest (for tools that inspect stacks without components)."""
    g = globals_of(resolver.manifest(path), resolver.config)
    return {"vars": g.vars, "settings": g.settings, "env": g.env}
