"""One top-level stack manifest with all its imports deep-merged (Atmos ``ProcessYAMLConfigFile``).

Also carries the file-scoped ``overrides`` algorithm (spec §6.6) and the import graph that describe and
affected detection need. Results of imports that depend on nothing but their own file are memoised:
realistic repositories import the same catalog files from hundreds of stacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wcmatch import glob

from harness.atmos.config import AtmosConfig
from harness.atmos.discovery import GLOB_FLAGS, STACK_EXTENSIONS, file_key
from harness.atmos.merge import deep_merge
from harness.atmos.templates import TemplateError, has_template, render
from harness.atmos.yamlio import APPEND_FILES, load_file, loads, strip_markers
from harness.errors import ConfigError

_GLOB_CHARS = re.compile(r"[*?\[{]")


@dataclass(frozen=True)
class Manifest:
    """The merged raw map of one top-level manifest and the files it pulled in."""

    path: Path
    key: str
    config: dict[str, Any]
    imports: tuple[str, ...]
    files: tuple[Path, ...] = field(default=())


@dataclass(frozen=True)
class _Result:
    config: dict[str, Any]
    inline: dict[str, Any]
    imports_acc: dict[str, Any]
    imports: frozenset[str]
    files: frozenset[Path]
    context_free: bool


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


def _line_of(file: Path, needle: str) -> int | None:
    """Best-effort line of a key or value in a file, for messages only."""
    try:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if needle in line:
                return number
    except OSError:
        return None
    return None


class ManifestLoader:
    """Processes top-level manifests; one instance per resolver so its memo follows one configuration."""

    def __init__(self, config: AtmosConfig) -> None:
        self.config = config
        self._memo: dict[Path, _Result] = {}

    # -- public -------------------------------------------------------------------------------------
    def load(self, path: Path) -> Manifest:
        result = self._process(path, context={}, path_context={}, inline_parent={}, imports_parent={}, chain=())
        config = result.config
        if APPEND_FILES and any(str(f) in APPEND_FILES for f in result.files):
            config = strip_markers(config)
        return Manifest(
            path=path,
            key=file_key(path, self.config.stacks_base_path),
            config=config,
            imports=tuple(sorted(result.imports)),
            files=tuple(sorted(result.files)),
        )

    # -- parsing ------------------------------------------------------------------------------------
    def _read(self, path: Path, context: Mapping[str, Any], external_context: bool) -> dict[str, Any]:
        templated = path.name.endswith(".tmpl") or bool(context)
        if templated and self.config.templates_enabled:
            text = path.read_text(encoding="utf-8")
            try:
                text = render(text, context, ignore_missing=self.config.ignore_missing_template_values)
            except TemplateError as exc:
                if external_context:
                    raise ConfigError(f"failed to render Go template: {exc}", file=path) from None
            data = loads(text, path)
        else:
            data = load_file(path)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ConfigError(f"a stack manifest must be a map, got {type(data).__name__}", file=path)
        return data

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
    def _resolve(self, spec_path: str, importer: Path) -> list[Path]:
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
            return [root / f for f in sorted(glob.glob(pattern, root_dir=str(root), flags=GLOB_FLAGS))]
        candidate = root / pattern
        if pattern.endswith((".yaml", ".yml")):
            tmpl = candidate.with_name(candidate.name + ".tmpl")
            if tmpl.is_file():
                return [tmpl]
            return [candidate] if candidate.is_file() else []
        if pattern.endswith(STACK_EXTENSIONS):
            return [candidate] if candidate.is_file() else []
        for ext in STACK_EXTENSIONS:
            probe = candidate.with_name(candidate.name + ext)
            if probe.is_file():
                return [probe]
        return []

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
        path_context: Mapping[str, Any],
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
        data = self._read(path, context, external_context=bool(context))
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
        context_free = True
        accumulated: dict[str, Any] = {}
        chain = (*chain, path)
        for spec in specs:
            if has_template(spec.path):
                context_free = False
            local_context = deep_merge([path_context, accumulated])
            spec_path, was_template = self._render_import_path(spec, local_context, path)
            targets = self._resolve(spec_path, path)
            if not targets:
                if spec.skip_if_missing or was_template:
                    continue
                raise ConfigError(
                    f"import '{spec_path}' not found (looked in '{self.config.relative(self.config.stacks_base_path)}')",
                    file=path,
                    line=_line_of(path, spec.path),
                )
            child_context = deep_merge([spec.context, dict(context)])
            if spec.context or context:
                context_free = False
            for target in targets:
                if target == path:
                    raise ConfigError("a manifest cannot import itself", file=path, line=_line_of(path, spec.path))
                child = self._process(
                    target,
                    context=child_context,
                    path_context=local_context,
                    inline_parent=inline,
                    imports_parent=imports_acc,
                    chain=chain,
                )
                context_free = context_free and child.context_free
                imports_acc = deep_merge([imports_acc, child.imports_acc, child.inline])
                configs.append(child.config)
                imports.add(file_key(target, self.config.stacks_base_path))
                imports.update(child.imports)
                files.update(child.files)
                accumulated = deep_merge(
                    [accumulated, {k: child.config[k] for k in ("settings", "vars", "env") if k in child.config}]
                )
        own = {k: v for k, v in data.items() if k != "import"}
        final_overrides = deep_merge([imports_acc, inline])
        if final_overrides:
            components = _section(own, "components", path)
            tf_components = _section(components, "terraform", path)
            if tf_components:
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
            context_free=context_free,
        )
        if plain_inputs:
            self._memo[path] = result
        return result
