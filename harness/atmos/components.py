"""Terraform component sections of one merged manifest: globals, inheritance, overrides, backend (spec §6-7)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.atmos import notices
from harness.atmos.config import AtmosConfig
from harness.atmos.locate import chain_text, located_error, where_set
from harness.atmos.manifest import Manifest
from harness.atmos.merge import STRATEGIES, check_strategy, deep_merge, merge_two
from harness.atmos.yamlio import line_of, load_file
from harness.errors import ConfigError

#: Sections a base component contributes by deep merge.
BASE_MAP_SECTIONS = (
    "vars", "settings", "env", "auth", "providers", "hooks", "generate", "dependencies",
    "locals", "backend", "remote_state_backend", "source", "provision", "retry", "mocks",
)
BASE_SCALARS = ("command", "backend_type", "remote_state_backend_type")
GLOBAL_METADATA_KEYS = ("labels", "tags", "custom", "enabled", "locked", "terraform_workspace_pattern")
OVERRIDABLE = ("vars", "settings", "env", "auth", "providers", "hooks", "generate")
EXTRA_SECTIONS = ("required_providers", "secrets", "test")


@dataclass
class _Base:
    """What the folded base components contribute (Atmos's BaseComponentConfig)."""

    maps: dict[str, dict[str, Any]] = field(default_factory=dict)
    scalars: dict[str, str] = field(default_factory=dict)
    required_version: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    final_base: str | None = None


def _map(value: Any, what: str, file: Path) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"'{what}' must be a map, got {type(value).__name__}", file=file)
    return value


def _strategy_of(section: Mapping[str, Any]) -> str:
    settings = section.get("settings")
    if isinstance(settings, dict):
        value = settings.get("list_merge_strategy")
        if isinstance(value, str) and value:
            return value
    return ""


_MAP_KEYS = frozenset((*BASE_MAP_SECTIONS, "overrides", "metadata"))


def _rs_part(value: Any, rs_type: str) -> dict[str, Any] | None:
    """The ``[remote_state_backend_type]`` body of a remote_state_backend section, if it is a map."""
    if isinstance(value, dict):
        inner = value.get(rs_type)
        return inner if isinstance(inner, dict) else None
    return None


def _last_non_empty(*values: Any) -> str:
    result = ""
    for value in values:
        if isinstance(value, str) and value:
            result = value
    return result


@dataclass(frozen=True)
class Globals:
    """Stack-global sections pre-merged for Terraform components (spec §6.1)."""

    vars: dict[str, Any]
    settings: dict[str, Any]
    env: dict[str, Any]
    auth: dict[str, Any]
    hooks: dict[str, Any]
    generate: dict[str, Any]
    dependencies: dict[str, Any]
    metadata: dict[str, Any]
    terraform: dict[str, Any]
    name: Any


def _has_unknown_metadata(value: Any) -> bool:
    return isinstance(value, dict) and any(k not in GLOBAL_METADATA_KEYS for k in value)


def _stack_metadata(manifest: Manifest, config: AtmosConfig, metadata: dict[str, Any]) -> dict[str, Any]:
    """The stack-level ``metadata`` the targeted Atmos uses: the allow-list (1.225+), or nothing before."""
    rule = "stack-metadata-allow-list"
    target = config.atmos_target
    unknown = sorted(set(metadata) - set(GLOBAL_METADATA_KEYS))
    if target.applies(rule):
        if unknown:
            file, _ = where_set(manifest, ("metadata",), _has_unknown_metadata)
            own = load_file(file).get("metadata") if file.is_file() else None
            first = next((k for k in (own or {}) if k not in GLOBAL_METADATA_KEYS), unknown[0])
            raise ConfigError(
                f"stack-level 'metadata' may only hold {', '.join(GLOBAL_METADATA_KEYS)}; found "
                f"{', '.join(unknown)}{chain_text(manifest, file, config)} {target.hint(rule)}",
                file=file, line=line_of(file, ("metadata", first)),
            )
        return metadata
    if unknown:
        file, _ = where_set(manifest, ("metadata",), _has_unknown_metadata)
        own = load_file(file).get("metadata") if file.is_file() else None
        first = next((k for k in (own or {}) if k not in GLOBAL_METADATA_KEYS), unknown[0])
        notices.warn(f"stack-level 'metadata' holds {', '.join(unknown)}{chain_text(manifest, file, config)}: "
                     f"{target.ignored(rule)}", file=config.relative(file), line=line_of(file, ("metadata", first)))
    return {}


def globals_of(manifest: Manifest, config: AtmosConfig) -> Globals:
    data = manifest.config
    f = manifest.path
    tf = _map(data.get("terraform"), "terraform", f)
    strategy = config.list_merge_strategy
    top_metadata = _map(data.get("metadata"), "metadata", f)
    if top_metadata:
        top_metadata = _stack_metadata(manifest, config, top_metadata)
    for key in ("vars", "settings", "env", "hooks", "generate", "auth", "dependencies", "overrides"):
        if key in data and not isinstance(data[key], dict):
            raise located_error(f"stack section '{key}' must be a map, got {type(data[key]).__name__}",
                                manifest, config, (key,), lambda v: not isinstance(v, dict))
        if key in tf and not isinstance(tf[key], dict):
            raise located_error(f"'terraform.{key}' must be a map, got {type(tf[key]).__name__}",
                                manifest, config, ("terraform", key), lambda v: not isinstance(v, dict))

    def both(key: str) -> dict[str, Any]:
        return deep_merge([data.get(key), tf.get(key)], strategy)

    return Globals(
        vars=both("vars"),
        settings=both("settings"),
        env=deep_merge([dict(config.env), data.get("env"), tf.get("env")], strategy),
        auth=both("auth"),
        hooks=both("hooks"),
        generate=both("generate"),
        dependencies=both("dependencies"),
        metadata=top_metadata,
        terraform=tf,
        name=data.get("name"),
    )


class ComponentProcessor:
    """Builds the processed section of every Terraform component defined in one manifest."""

    def __init__(self, manifest: Manifest, config: AtmosConfig) -> None:
        self.manifest = manifest
        self.config = config
        self.globals = globals_of(manifest, config)
        components = _map(manifest.config.get("components"), "components", manifest.path)
        self.raw = _map(components.get("terraform"), "components.terraform", manifest.path)
        for name, section in self.raw.items():
            if section is not None and not isinstance(section, dict):
                raise located_error(f"component '{name}' must be a map, got {type(section).__name__}", manifest,
                                    config, ("components", "terraform", name), lambda v: not isinstance(v, dict))

        # per-manifest values every process() call reads
        g = self.globals
        self._globals_strategy = _strategy_of({"settings": g.settings})
        self._layer_globals: tuple[tuple[str, Any], ...] = (
            ("vars", g.vars), ("settings", g.settings), ("env", g.env), ("auth", g.auth),
            ("providers", g.terraform.get("providers")), ("hooks", g.hooks), ("generate", g.generate),
        )
        self._github = config.get("integrations", "github")
        self._default_strategy = _last_non_empty(config.list_merge_strategy, self._globals_strategy)
        self._tf_command = _last_non_empty(config.terraform_command, g.terraform.get("command"))
        self._tf_remote_state = g.terraform.get("remote_state_backend")
        self._tf_backend: dict[str, Any] | None = None

    def _terraform_backend(self) -> dict[str, Any]:
        """``terraform.backend``, checked on first use (so a bad one fails where it always did)."""
        if self._tf_backend is None:
            self._tf_backend = _map(self.globals.terraform.get("backend"), "terraform.backend", self.manifest.path)
        return self._tf_backend

    def names(self) -> list[str]:
        return list(self.raw)

    def _error(self, message: str, keys: tuple[str, ...]) -> ConfigError:
        """An error at the file and line (of the manifest's import graph) that hold ``keys``."""
        return located_error(message, self.manifest, self.config, keys)

    def _section(self, name: str) -> dict[str, Any]:
        return self.raw.get(name) or {}

    def _metadata(self, section: Mapping[str, Any], name: str) -> dict[str, Any]:
        return _map(section.get("metadata"), f"components.terraform.{name}.metadata", self.manifest.path)

    def _inherits(self, section: Mapping[str, Any], name: str) -> list[str]:
        inherits = self._metadata(section, name).get("inherits") or []
        if not isinstance(inherits, list) or not all(isinstance(i, str) for i in inherits):
            raise ConfigError(
                f"component '{name}': metadata.inherits must be a list of component names", file=self.manifest.path
            )
        return inherits

    # -- inheritance ----------------------------------------------------------------------------------
    def _fold_order(self, target: str, base: str, path: frozenset[tuple[str, str]], out: list[str],
                    legacy: bool) -> None:
        """Depth-first post-order of the bases, used to find the effective list merge strategy first."""
        if base == target:
            return
        if (target, base) in path:
            raise ConfigError(
                f"circular component inheritance: '{target}' and '{base}' inherit from each other",
                file=self.manifest.path,
            )
        if base not in self.raw:
            if legacy and (self.config.components_base_path / base).is_dir():
                return
            raise self._error(
                f"component '{target}' inherits from '{base}', which is not defined in this stack "
                f"(stack manifest '{self.manifest.key}' and its imports)",
                ("components", "terraform", target, "component" if legacy else "metadata"),
            )
        section = self._section(base)
        nested = path | {(target, base)}
        legacy_base = section.get("component")
        if self._metadata(section, base).get("type") != "abstract" and isinstance(legacy_base, str) and legacy_base:
            self._fold_order(base, legacy_base, nested, out, True)
        for parent in self._inherits(section, base):
            self._fold_order(target, parent, nested, out, False)
        out.append(base)

    def _fold(self, order: list[str], acc: _Base, strategy: str) -> None:
        for base in order:
            section = self._section(base)
            base_strategy = _strategy_of(section) or strategy
            for key in BASE_MAP_SECTIONS:
                value = section.get(key)
                if value is None:
                    continue
                if not isinstance(value, dict):
                    raise self._error(f"component '{base}': '{key}' must be a map, got {type(value).__name__}",
                                      ("components", "terraform", base, key))
                acc.maps[key] = deep_merge([acc.maps.get(key), value], base_strategy)
            for key in BASE_SCALARS:
                value = section.get(key)
                acc.scalars[key] = value if isinstance(value, str) else ""
            version = section.get("required_version")
            if isinstance(version, str) and version:
                acc.required_version = version
            if self.config.inherit_metadata:
                meta = {k: v for k, v in self._metadata(section, base).items() if k not in ("inherits", "type")}
                acc.metadata = deep_merge([acc.metadata, meta], base_strategy)
            if acc.final_base is None:
                acc.final_base = base
            acc.chain = list(dict.fromkeys([base, *acc.chain]))

    # -- one component ----------------------------------------------------------------------------------
    def process(self, name: str) -> dict[str, Any]:
        """The processed component section, before naming, templates and functions (spec §6.3).

        Runs for every instance of a repository, so it avoids per-call allocations where the plain
        version would build empty merges; the order of checks (and so which error is reported) is unchanged.
        """
        section = self._section(name)
        g = self.globals
        tf = g.terraform
        file = self.manifest.path
        own_meta = section.get("metadata")
        if own_meta is None:
            own_meta = {}
        elif not isinstance(own_meta, dict):
            own_meta = self._metadata(section, name)  # raises
        overrides = section.get("overrides")
        if overrides is None:
            overrides = {}
        elif not isinstance(overrides, dict):
            overrides = _map(overrides, f"components.terraform.{name}.overrides", file)  # raises

        legacy_order: list[str] = []
        legacy = section.get("component")
        if isinstance(legacy, str) and legacy:
            self._fold_order(name, legacy, frozenset(), legacy_order, True)
        inherit_order: list[str] = []
        if own_meta.get("inherits"):  # a falsy value means no bases, as in _inherits
            for parent in self._inherits(section, name):
                self._fold_order(name, parent, frozenset(), inherit_order, False)

        # the last non-empty of [atmos.yaml, global settings, bases..., component, overrides] (all strings)
        strategy = _strategy_of(overrides) or _strategy_of(section)
        if not strategy and (legacy_order or inherit_order):
            strategy = _last_non_empty(*(_strategy_of(self._section(b)) for b in (*legacy_order, *inherit_order)))
        strategy = strategy or self._default_strategy
        if strategy not in STRATEGIES:
            check_strategy(strategy, file=str(file))  # raises

        acc = _Base()
        if legacy_order:
            self._fold(legacy_order, acc, strategy)
        legacy_final = acc.final_base
        if inherit_order:
            self._fold(inherit_order, acc, strategy)

        for key, value in section.items():
            if value is not None and key in _MAP_KEYS and not isinstance(value, dict):
                for key in (*BASE_MAP_SECTIONS, "overrides", "metadata"):  # the first in the documented order
                    value = section.get(key)
                    if value is not None and not isinstance(value, dict):
                        raise self._error(f"component '{name}': '{key}' must be a map, got {type(value).__name__}",
                                          ("components", "terraform", name, key))

        maps = acc.maps
        result: dict[str, Any] = {}
        for key, global_value in self._layer_globals:
            base_value = maps.get(key) if maps else None
            own_value = section.get(key)
            override_value = overrides.get(key) if overrides else None
            if base_value or override_value:
                result[key] = deep_merge([global_value, base_value, own_value, override_value], strategy)
            elif own_value:
                result[key] = merge_two(global_value, own_value, strategy) if global_value else dict(own_value)
            else:
                result[key] = dict(global_value) if global_value else {}
        github = self._github
        if isinstance(github, dict) and github:
            settings = dict(result["settings"])
            integrations = dict(settings.get("integrations") or {})
            integrations["github"] = deep_merge([github, integrations.get("github")], strategy)
            settings["integrations"] = integrations
            result["settings"] = settings

        metadata = deep_merge(
            [g.metadata, acc.metadata if self.config.inherit_metadata else None, own_meta], strategy
        )
        base_dependencies, own_dependencies = maps.get("dependencies"), section.get("dependencies")
        dependencies = (
            deep_merge([g.dependencies, base_dependencies, own_dependencies], strategy)
            if g.dependencies or base_dependencies or own_dependencies else {}
        )
        scalars = acc.scalars
        command = _last_non_empty(
            self._tf_command, scalars.get("command"), section.get("command"), overrides.get("command")
        )
        if isinstance(own_meta.get("component"), str) and own_meta["component"]:
            base_component = own_meta["component"]
        elif legacy_final is not None and legacy_final in self.raw:
            base_component = legacy_final
        else:
            base_component = name

        backend_type = _last_non_empty(tf.get("backend_type"), scalars.get("backend_type"), section.get("backend_type"))
        tf_backend, base_backend, own_backend = self._terraform_backend(), maps.get("backend"), section.get("backend")
        # only read below, so the stack's terraform.backend itself serves when nothing is merged onto it
        backend_all = (
            deep_merge([tf_backend, base_backend, own_backend], strategy) if base_backend or own_backend else tf_backend
        )
        backend: dict[str, Any] = {}
        if backend_type:
            if backend_all and backend_type not in backend_all:
                raise self._error(
                    f"component '{name}': backend type mismatch: backend_type is '{backend_type}' but the "
                    f"backend section configures {', '.join(sorted(backend_all))}",
                    ("components", "terraform", name, "backend_type"),
                )
            inner = backend_all.get(backend_type)
            if inner is not None and not isinstance(inner, dict):
                _map(inner, f"backend.{backend_type}", file)  # raises
            backend = dict(inner) if inner else {}
            self._backend_defaults(backend_type, backend, metadata, base_component, tf)
        rs_type = _last_non_empty(
            backend_type, tf.get("remote_state_backend_type"), scalars.get("remote_state_backend_type"),
            section.get("remote_state_backend_type"),
        )
        rs_parts = (self._tf_remote_state, maps.get("remote_state_backend"), section.get("remote_state_backend"))
        remote_state_backend = (
            deep_merge([backend, *(_rs_part(p, rs_type) for p in rs_parts)], strategy)
            if any(p is not None for p in rs_parts) else dict(backend)
        )
        required_version = _last_non_empty(
            tf.get("required_version"), acc.required_version, section.get("required_version"),
            overrides.get("required_version"),
        )
        result["metadata"] = metadata
        result["overrides"] = overrides
        result["command"] = command
        result["component"] = base_component
        result["backend_type"] = backend_type
        result["backend"] = backend
        result["remote_state_backend_type"] = rs_type
        result["remote_state_backend"] = remote_state_backend
        result["inheritance"] = acc.chain
        if dependencies:
            result["dependencies"] = dependencies
        if required_version:
            result["required_version"] = required_version
        for key in ("locals", "source", "provision", "retry", "mocks"):
            base_value, own_value = maps.get(key) if maps else None, section.get(key)
            if base_value or own_value:
                merged = deep_merge([base_value, own_value], strategy)
                if merged:
                    result[key] = merged
        for key in EXTRA_SECTIONS:
            if key in section:
                result[key] = section[key]
        return result

    def _backend_defaults(
        self, backend_type: str, backend: dict[str, Any], metadata: Mapping[str, Any], base_component: str,
        tf: Mapping[str, Any],
    ) -> None:
        sep = self.config.prefix_separator
        name = metadata.get("name") if isinstance(metadata.get("name"), str) and metadata.get("name") else None
        default = (name or base_component).replace("/", sep)
        if backend_type == "s3" and not backend.get("workspace_key_prefix"):
            backend["workspace_key_prefix"] = default
        elif backend_type == "gcs" and not backend.get("prefix"):
            backend["prefix"] = default
        elif backend_type == "azurerm" and not backend.get("key"):
            global_key = ""
            tf_backend = tf.get("backend")
            if isinstance(tf_backend, dict) and isinstance(tf_backend.get("azurerm"), dict):
                global_key = str(tf_backend["azurerm"].get("key") or "")
            stem = f"{default}.terraform.tfstate"
            backend["key"] = f"{global_key}/{stem}" if global_key else stem
