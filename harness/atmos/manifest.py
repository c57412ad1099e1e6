"""One top-level stack manifest with all its imports deep-merged (Atmos ``ProcessYAMLConfigFile``).

Also carries the file-scoped ``overrides`` algorithm (spec §6.6) and the import graph that describe and
affected detection need. Results of imports that depend on nothing but their own file are memoised:
realistic repositories import the same catalog files from hundreds of stacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.atmos.config import AtmosConfig
from harness.atmos.discovery import STACK_EXTENSIONS, file_key
from harness.atmos.merge import deep_merge
from harness.atmos.overlay import DISK, FileOverlay
from harness.atmos.templates import TemplateError, has_template, render
from harness.atmos.yamlio import APPEND_FILES, load_file, loads, may_be_dynamic, may_be_dynamic_text, strip_markers
from harness.errors import ConfigError

_GLOB_CHARS = re.compile(r"[*?\[{]")

#: An import probe: ``("glob", root, pattern)`` for a glob import, ``("miss", stem, "")`` for an optional
#: import that found no file (``stem``: the candidate path without extension). A file added or removed
#: where a probe looks can change what a manifest imports without any imported file changing.
Probe = tuple[str, str, str]


def path_stem(path: Path | str) -> str:
    """The path without its stack-manifest extension (``.yaml``, ``.yml``, ``.yaml.tmpl``...)."""
    text = str(path)
    for ext in STACK_EXTENSIONS:
        if text.endswith(ext):
            return text[: -len(ext)]
    return text


#: Key recorded when a name itself holds such a string: nothing can be skipped then.
ANY_KEY = "*"


@dataclass(frozen=True)
class Dynamic:
    """Where a manifest may hold template (``{{``) or YAML function (``!tag``) strings, by top-level key.

    The describe-time template and function passes walk every value of every instance; an instance whose
    sources (stack-global sections, its own and its bases' component sections) hold no such string can skip
    them, and one whose such strings all sit in, say, ``vars`` only needs ``vars`` walked: the passes return
    every other value unchanged. ``global_*`` hold top-level keys of the files (``vars``, ``terraform``...),
    ``templates``/``functions`` map a component name to the top-level keys of its section.
    """

    global_templates: frozenset[str] = frozenset()
    global_functions: frozenset[str] = frozenset()
    templates: Mapping[str, frozenset[str]] = field(default_factory=dict)
    functions: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def union(self, other: Dynamic) -> Dynamic:
        if other is _CLEAN or other is self:
            return self
        if self is _CLEAN:
            return other
        return Dynamic(
            self.global_templates | other.global_templates,
            self.global_functions | other.global_functions,
            _union_keys(self.templates, other.templates),
            _union_keys(self.functions, other.functions),
        )


def _union_keys(a: Mapping[str, frozenset[str]], b: Mapping[str, frozenset[str]]) -> Mapping[str, frozenset[str]]:
    if not b:
        return a
    if not a:
        return b
    out = dict(a)
    for name, keys in b.items():
        out[name] = out[name] | keys if name in out else keys
    return out


_CLEAN = Dynamic()


def scan_dynamic(value: Any, found: list[bool]) -> None:
    """Set found[0] if a string holds ``{{`` and found[1] if one starts with ``!`` (what the passes look for)."""
    if isinstance(value, str):
        if "{{" in value:
            found[0] = True
        if value.startswith("!"):
            found[1] = True
    elif isinstance(value, dict):
        for v in value.values():
            scan_dynamic(v, found)
    elif isinstance(value, list):
        for v in value:
            scan_dynamic(v, found)


def _keys_of(mapping: Mapping[str, Any], templates: set[str], functions: set[str]) -> None:
    """Record the top-level keys of ``mapping`` whose values hold template / function strings."""
    for key, value in mapping.items():
        found = [False, False]
        scan_dynamic(key, found)
        if found[0] or found[1]:
            templates.add(ANY_KEY)
            functions.add(ANY_KEY)
        found = [False, False]
        scan_dynamic(value, found)
        if found[0]:
            templates.add(key)
        if found[1]:
            functions.add(key)


def file_dynamic(data: Mapping[str, Any]) -> Dynamic:
    """The :class:`Dynamic` of one parsed file (its ``import`` list never reaches a component)."""
    global_templates: set[str] = set()
    global_functions: set[str] = set()
    templates: dict[str, frozenset[str]] = {}
    functions: dict[str, frozenset[str]] = {}
    components = data.get("components")
    terraform = components.get("terraform") if isinstance(components, dict) else None
    if isinstance(components, dict) and isinstance(terraform, dict):
        rest = {k: v for k, v in data.items() if k not in ("import", "components")}
        rest["components"] = {k: v for k, v in components.items() if k != "terraform"}
        for name, section in terraform.items():
            found = [False, False]
            scan_dynamic(name, found)
            t_keys: set[str] = {ANY_KEY} if found[0] or found[1] else set()
            f_keys = set(t_keys)
            if isinstance(section, dict):
                _keys_of(section, t_keys, f_keys)
            else:
                scan_dynamic(section, found)
                if found[0] or found[1]:
                    t_keys.add(ANY_KEY)
                    f_keys.add(ANY_KEY)
            if t_keys:
                templates[name] = frozenset(t_keys)
            if f_keys:
                functions[name] = frozenset(f_keys)
    else:
        rest = {k: v for k, v in data.items() if k != "import"}
    _keys_of(rest, global_templates, global_functions)
    if not (global_templates or global_functions or templates or functions):
        return _CLEAN
    return Dynamic(frozenset(global_templates), frozenset(global_functions), templates, functions)


@dataclass(frozen=True)
class Manifest:
    """The merged raw map of one top-level manifest and the files it pulled in."""

    path: Path
    key: str
    config: dict[str, Any]
    imports: tuple[str, ...]
    files: tuple[Path, ...] = field(default=())
    probes: frozenset[Probe] = frozenset()
    #: None when unknown: every instance then goes through the template and function passes.
    dynamic: Dynamic | None = None
    #: Each imported file -> the file that first imported it (for the import chain in messages).
    parents: Mapping[Path, Path] = field(default_factory=dict)
    #: Every file in merge order, lowest precedence first (the manifest itself last).
    order: tuple[Path, ...] = ()

    def chain(self, file: Path) -> list[Path]:
        """The import chain that brought ``file`` in: ``[file, its importer, ..., this manifest]``."""
        out = [file]
        while out[-1] in self.parents and len(out) <= len(self.parents):
            out.append(self.parents[out[-1]])
        return out


@dataclass(frozen=True)
class _Result:
    config: dict[str, Any]
    inline: dict[str, Any]
    imports_acc: dict[str, Any]
    imports: frozenset[str]
    files: frozenset[Path]
    probes: frozenset[Probe]
    context_free: bool
    dynamic: Dynamic
    parents: Mapping[Path, Path]
    order: tuple[Path, ...]


class _Lazy:
    """A template context computed only if a templated import path needs it (most repositories have none)."""

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], Mapping[str, Any]]) -> None:
        self._compute = compute
        self._value: Mapping[str, Any] | None = None

    def get(self) -> Mapping[str, Any]:
        if self._value is None:
            self._value = self._compute()
        return self._value


_EMPTY_CONTEXT = _Lazy(dict)


@dataclass(frozen=True)
class _ImportSpec:
    path: str
    context: dict[str, Any]
    skip_templates: bool
    ignore_missing: bool
    skip_if_missing: bool


def _section(data: Mapping[str, Any], key: str, file: Path) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"'{key}' must be a map, got {type(value).__name__}", file=file, line=_line_of(file, key))
    return value


def _pick(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: config[k] for k in ("settings", "vars", "env") if k in config}


def _line_of(file: Path, needle: str) -> int | None:
    """Best-effort line of a key or value in a file, for messages only."""
    try:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return number
    except OSError:
        return None
    return None


def _last_occurrences(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    """Each path once, where it last appears (a file imported twice takes effect at its later position)."""
    if len(set(paths)) == len(paths):
        return paths
    return tuple(reversed(dict.fromkeys(reversed(paths))))


class ManifestLoader:
    """Processes top-level manifests; one instance per resolver so its memo follows one configuration."""

    def __init__(self, config: AtmosConfig, overlay: FileOverlay = DISK) -> None:
        self.config = config
        self.overlay = overlay
        self._memo: dict[Path, _Result] = {}
        # Import resolution and file keys only depend on the file system, which a resolver treats as fixed.
        self._resolved: dict[tuple[str, Path | None], tuple[tuple[Path, ...], Probe | None]] = {}
        self._keys: dict[Path, str] = {}

    # -- public -------------------------------------------------------------------------------------
    def load(self, path: Path) -> Manifest:
        result = self._process(
            path, context={}, path_context=_EMPTY_CONTEXT, inline_parent={}, imports_parent={}, chain=()
        )
        config = result.config
        if APPEND_FILES and any(str(f) in APPEND_FILES for f in result.files):
            config = strip_markers(config)
        return Manifest(
            path=path,
            key=self._file_key(path),
            config=config,
            imports=tuple(sorted(result.imports)),
            files=tuple(sorted(result.files)),
            probes=result.probes,
            dynamic=result.dynamic,
            parents=result.parents,
            order=result.order,
        )

    def _file_key(self, path: Path) -> str:
        key = self._keys.get(path)
        if key is None:
            key = self._keys[path] = file_key(path, self.config.stacks_base_path)
        return key

    # -- parsing ------------------------------------------------------------------------------------
    def _read(self, path: Path, context: Mapping[str, Any], external_context: bool) -> tuple[dict[str, Any], bool]:
        """The parsed file, and whether it may hold template or function strings (see :class:`Dynamic`)."""
        render_it = (path.name.endswith(".tmpl") or bool(context)) and self.config.templates_enabled
        if render_it or path in self.overlay:
            text = self._text(path)
            if render_it:
                try:
                    text = render(text, context, ignore_missing=self.config.ignore_missing_template_values)
                except TemplateError as exc:
                    if external_context:
                        raise ConfigError(f"failed to render Go template: {exc}", file=path) from None
            data = loads(text, path)
            dynamic = may_be_dynamic_text(text)
        else:
            data = load_file(path)
            dynamic = may_be_dynamic(path)
        if data is None:
            return {}, False
        if not isinstance(data, dict):
            raise ConfigError(f"a stack manifest must be a map, got {type(data).__name__}", file=path)
        return data, dynamic

    def _text(self, path: Path) -> str:
        if path not in self.overlay:
            return path.read_text(encoding="utf-8")
        text = self.overlay.text(path)
        if text is None:
            raise ConfigError("file not found", file=path)
        return text

    def _import_specs(self, data: Mapping[str, Any], path: Path) -> list[_ImportSpec]:
        raw = data.get("import")
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise ConfigError("'import' must be a list", file=path, line=_line_of(path, "import:"))
        specs: list[_ImportSpec] = []
        for entry in raw:
            if isinstance(entry, str) and entry.strip():
                specs.append(_ImportSpec(entry.strip(), {}, False, False, False))
            elif isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry["path"].strip():
                context = entry.get("context") or {}
                if not isinstance(context, dict):
                    raise ConfigError("import 'context' must be a map", file=path, line=_line_of(path, "context"))
                specs.append(
                    _ImportSpec(
                        entry["path"].strip(),
                        context,
                        bool(entry.get("skip_templates_processing")),
                        bool(entry.get("ignore_missing_template_values")),
                        bool(entry.get("skip_if_missing")),
                    )
                )
            else:
                raise ConfigError(f"invalid import entry {entry!r}", file=path, line=_line_of(path, "import:"))
        return specs

    # -- import resolution --------------------------------------------------------------------------
    def _resolve(self, spec_path: str, importer: Path) -> tuple[tuple[Path, ...], Probe | None]:
        """The files an import names, and the probe to record (globs and imports that found nothing)."""
        relative = spec_path in (".", "..") or spec_path.startswith(("./", "../"))  # first segment . or ..
        key = (spec_path, importer.parent if relative else None)
        found = self._resolved.get(key)
        if found is None:
            probe: list[Probe] = []
            paths = tuple(self._resolve_uncached(spec_path, importer, probe))
            found = self._resolved[key] = (paths, probe[0] if probe else None)
        return found

    def _resolve_uncached(self, spec_path: str, importer: Path, probe: list[Probe]) -> list[Path]:
        base = self.config.stacks_base_path
        first = spec_path.split("/", 1)[0]
        if first in (".", ".."):
            target = (importer.parent / spec_path).resolve()
            try:
                rel = target.relative_to(base).as_posix()
            except ValueError:
                rel = None
            root, pattern = (base, rel) if rel is not None else (target.parent, target.name)
        else:
            root, pattern = base, spec_path.lstrip("/")
        if _GLOB_CHARS.search(pattern):
            if not pattern.endswith(STACK_EXTENSIONS):
                pattern += ".yaml"
            probe.append(("glob", str(root), pattern))
            return [root / f for f in self.overlay.glob(pattern, root)]
        candidate = root / pattern
        is_file = self.overlay.is_file
        found: list[Path] = []
        if pattern.endswith((".yaml", ".yml")):
            tmpl = candidate.with_name(candidate.name + ".tmpl")
            if is_file(tmpl):
                found = [tmpl]
            elif is_file(candidate):
                found = [candidate]
        elif pattern.endswith(STACK_EXTENSIONS):
            found = [candidate] if is_file(candidate) else []
        else:
            for ext in STACK_EXTENSIONS:
                with_ext = candidate.with_name(candidate.name + ext)
                if is_file(with_ext):
                    found = [with_ext]
                    break
        if not found:
            probe.append(("miss", path_stem(candidate), ""))
        return found

    def _render_import_path(
        self, spec: _ImportSpec, path_context: Mapping[str, Any], importer: Path
    ) -> tuple[str, bool]:
        """Render a templated import path; returns (path, was_template)."""
        if not has_template(spec.path):
            return spec.path, False
        if spec.skip_templates or not self.config.templates_enabled:
            return spec.path, True
        context = deep_merge([path_context, spec.context])
        try:
            rendered = render(
                spec.path,
                context,
                ignore_missing=spec.ignore_missing or self.config.ignore_missing_template_values,
            )
        except TemplateError as exc:
            raise ConfigError(
                f"failed to render Go template in import path: import path '{spec.path}' in file "
                f"'{self.config.relative(importer)}': {exc}",
                file=importer,
                line=_line_of(importer, spec.path),
            ) from None
        return rendered, True

    # -- the recursive processor --------------------------------------------------------------------
    def _process(
        self,
        path: Path,
        *,
        context: Mapping[str, Any],
        path_context: _Lazy,
        inline_parent: Mapping[str, Any],
        imports_parent: Mapping[str, Any],
        chain: tuple[Path, ...],
    ) -> _Result:
        plain_inputs = not context and not inline_parent and not imports_parent
        if plain_inputs:
            cached = self._memo.get(path)
            if cached is not None and cached.context_free:
                return cached
        if path in chain:
            cycle = " -> ".join(self.config.relative(p) for p in (*chain[chain.index(path):], path))
            raise ConfigError(f"import cycle: {cycle}", file=chain[-1], line=_line_of(chain[-1], path.stem))
        data, maybe_dynamic = self._read(path, context, external_context=bool(context))
        dynamic = file_dynamic(data) if maybe_dynamic else _CLEAN
        specs = self._import_specs(data, path)
        terraform = _section(data, "terraform", path)
        strategy = self.config.list_merge_strategy
        inline = deep_merge(
            [_section(data, "overrides", path), _section(terraform, "overrides", path), dict(inline_parent)],
        )
        imports_acc: dict[str, Any] = dict(imports_parent)
        configs: list[dict[str, Any]] = []
        imports: set[str] = set()
        files: set[Path] = {path}
        probes: set[Probe] = set()
        parents: dict[Path, Path] = {}
        order: list[Path] = []
        context_free = True

        def context_after(n: int) -> _Lazy:
            """settings/vars/env of the first n imports: what a later templated import path renders against."""
            return _Lazy(lambda: deep_merge([path_context.get(), deep_merge([_pick(c) for c in configs[:n]])]))

        chain = (*chain, path)
        for spec in specs:
            local_context = context_after(len(configs))
            if has_template(spec.path):
                context_free = False
                spec_path, was_template = self._render_import_path(spec, local_context.get(), path)
            else:
                spec_path, was_template = spec.path, False
            targets, probe = self._resolve(spec_path, path)
            if probe is not None:
                probes.add(probe)
            if not targets:
                if spec.skip_if_missing or was_template:
                    continue
                looked_in = self.config.relative(self.config.stacks_base_path)
                raise ConfigError(
                    f"import '{spec_path}' not found (looked in '{looked_in}')",
                    file=path,
                    line=_line_of(path, spec.path),
                )
            child_context = deep_merge([spec.context, context]) if spec.context or context else {}
            if spec.context or context:
                context_free = False
            for target in targets:
                if target == path:
                    raise ConfigError("a manifest cannot import itself", file=path, line=_line_of(path, spec.path))
                child = None
                if not child_context and not inline and not imports_acc:  # _process's memo, without the call
                    child = self._memo.get(target)
                    if child is not None and not child.context_free:
                        child = None
                if child is None:
                    child = self._process(
                        target,
                        context=child_context,
                        path_context=local_context,
                        inline_parent=inline,
                        imports_parent=imports_acc,
                        chain=chain,
                    )
                context_free = context_free and child.context_free
                if child.imports_acc or child.inline:
                    imports_acc = deep_merge([imports_acc, child.imports_acc, child.inline])
                configs.append(child.config)
                imports.add(self._file_key(target))
                imports.update(child.imports)
                files.update(child.files)
                probes.update(child.probes)
                parents.setdefault(target, path)
                for imported, importer in child.parents.items():
                    parents.setdefault(imported, importer)
                order.extend(child.order)
                if child.dynamic is not _CLEAN:
                    dynamic = dynamic.union(child.dynamic)
        own = {k: v for k, v in data.items() if k != "import"}
        final_overrides = deep_merge([imports_acc, inline])
        if final_overrides:
            components = _section(own, "components", path)
            tf_components = _section(components, "terraform", path)
            if tf_components:
                for name, section in tf_components.items():
                    if section is not None and not isinstance(section, dict):
                        raise ConfigError(f"component '{name}' must be a map, got {type(section).__name__}",
                                          file=path, line=_line_of(path, f"{name}:"))
                own = dict(own)
                own["components"] = dict(components)
                own["components"]["terraform"] = {
                    name: {**(section or {}), "overrides": final_overrides}
                    for name, section in tf_components.items()
                }
        configs.append(own)
        result = _Result(
            config=deep_merge(configs, strategy),
            inline=inline,
            imports_acc=imports_acc,
            imports=frozenset(imports),
            files=frozenset(files),
            probes=frozenset(probes),
            context_free=context_free,
            dynamic=dynamic,
            parents=parents,
            order=_last_occurrences((*order, path)),
        )
        if plain_inputs:
            self._memo[path] = result
        return result
