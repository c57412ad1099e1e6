"""atmos.yaml discovery and the settings that stack processing reads (Atmos ``pkg/config``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.atmos.merge import check_strategy, deep_merge
from harness.atmos.versions import Target, target_of
from harness.atmos.yamlio import loads
from harness.errors import ConfigError

CONFIG_NAMES = ("atmos.yaml", ".atmos.yaml")

#: Atmos's built-in configuration, used only when no atmos.yaml exists at all.
BUILTIN: dict[str, Any] = {
    "base_path": ".",
    "stacks": {
        "base_path": "stacks",
        "included_paths": ["orgs/**/*"],
        "excluded_paths": ["**/_defaults.yaml"],
        "name_pattern": "{tenant}-{environment}-{stage}",
    },
    "components": {"terraform": {"base_path": "components/terraform"}},
    "settings": {"list_merge_strategy": "replace"},
    "schemas": {"jsonschema": {"base_path": "stacks/schemas/jsonschema"}},
    "templates": {"settings": {"enabled": True}},
}

_ENV_KEYS = {
    "ATMOS_STACKS_BASE_PATH": ("stacks", "base_path"),
    "ATMOS_STACKS_NAME_PATTERN": ("stacks", "name_pattern"),
    "ATMOS_STACKS_NAME_TEMPLATE": ("stacks", "name_template"),
    "ATMOS_COMPONENTS_TERRAFORM_BASE_PATH": ("components", "terraform", "base_path"),
    "ATMOS_COMPONENTS_TERRAFORM_COMMAND": ("components", "terraform", "command"),
    "ATMOS_SETTINGS_LIST_MERGE_STRATEGY": ("settings", "list_merge_strategy"),
}
_ENV_LISTS = {
    "ATMOS_STACKS_INCLUDED_PATHS": ("stacks", "included_paths"),
    "ATMOS_STACKS_EXCLUDED_PATHS": ("stacks", "excluded_paths"),
}


def _get(data: Mapping[str, Any], *path: str, default: Any = None) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return default if value is None else value


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
        node[key] = dict(child)
        node = node[key]
    node[path[-1]] = value


def _truthy(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass(frozen=True)
class AtmosConfig:
    """The resolved atmos.yaml: absolute paths and the keys stack processing reads."""

    raw: dict[str, Any]
    config_file: Path | None
    base_path: Path
    stacks_base_path: Path
    components_base_path: Path
    included_paths: tuple[str, ...]
    excluded_paths: tuple[str, ...]
    name_pattern: str = ""
    name_template: str = ""
    list_merge_strategy: str = "replace"
    inherit_metadata: bool = True
    workspaces_enabled: bool = True
    prefix_separator: str = "-"
    terraform_command: str = "terraform"
    templates_enabled: bool = True
    ignore_missing_template_values: bool = False
    allow_exec: bool = False
    env: Mapping[str, Any] = field(default_factory=dict)
    cwd: Path = field(default_factory=Path.cwd)
    #: The Atmos version the repository targets (harness.atmos.versions).
    atmos_target: Target = field(default_factory=lambda: Target(None))

    def get(self, *path: str, default: Any = None) -> Any:
        return _get(self.raw, *path, default=default)

    def relative(self, path: Path) -> str:
        """A path relative to the base path when inside it (for messages and reports)."""
        try:
            return str(path.relative_to(self.base_path))
        except ValueError:
            return str(path)


def find_config(start: Path) -> Path | None:
    """The nearest atmos.yaml from ``start`` upward."""
    for directory in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None


def _resolve_base(value: str, config_dir: Path, cwd: Path) -> Path:
    if not value:
        return config_dir
    path = Path(value)
    if path.is_absolute():
        return path.resolve()
    return (config_dir / path).resolve()


def load_config(
    base_path: str | Path | None = None,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    override: Mapping[str, Any] | None = None,
    allow_exec: bool | None = None,
) -> AtmosConfig:
    """Find and load atmos.yaml the way Atmos does, with ``ATMOS_*`` environment overrides.

    ``base_path`` (the CLI's ``--base-path``) names the repository: atmos.yaml is looked for there
    first, and it anchors relative paths.
    """
    environ = dict(os.environ if env is None else env)
    cwd = (cwd or Path.cwd()).resolve()
    explicit_base = Path(base_path).resolve() if base_path not in (None, "") else None
    if explicit_base is not None and not explicit_base.is_dir():
        raise ConfigError(f"base path '{base_path}' is not a directory")

    config_file: Path | None = None
    cli_config_path = environ.get("ATMOS_CLI_CONFIG_PATH", "")
    if cli_config_path:
        directory = Path(cli_config_path)
        directory = directory if directory.is_absolute() else cwd / directory
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                config_file = (directory / name).resolve()
                break
        if config_file is None:
            raise ConfigError(f"ATMOS_CLI_CONFIG_PATH: no atmos.yaml in '{directory}'")
    else:
        config_file = find_config(explicit_base or cwd)

    if config_file is not None:
        raw_data = loads(config_file.read_text(encoding="utf-8"), config_file) or {}
        if not isinstance(raw_data, dict):
            raise ConfigError("atmos.yaml must be a map", file=config_file)
        config_dir = config_file.parent
    else:
        raw_data = dict(BUILTIN)
        config_dir = explicit_base or cwd
    raw: dict[str, Any] = deep_merge([raw_data, dict(override or {})])

    for key, path in _ENV_KEYS.items():
        if environ.get(key):
            _set(raw, path, environ[key])
    for key, path in _ENV_LISTS.items():
        if environ.get(key):
            _set(raw, path, [p.strip() for p in environ[key].split(",") if p.strip()])

    env_base = environ.get("ATMOS_BASE_PATH", "")
    if explicit_base is not None:
        base = explicit_base if config_file is None or config_file.parent == explicit_base else _resolve_base(
            str(_get(raw, "base_path", default="")), config_dir, cwd
        )
    elif env_base:
        base = (cwd / env_base).resolve()
    else:
        base = _resolve_base(str(_get(raw, "base_path", default="")), config_dir, cwd)

    stacks_rel = str(_get(raw, "stacks", "base_path", default=""))
    included = _get(raw, "stacks", "included_paths", default=[])
    if config_file is not None and (not stacks_rel or not included):
        raise ConfigError(
            "atmos.yaml must set stacks.base_path and stacks.included_paths", file=config_file
        )
    if not isinstance(included, list) or not all(isinstance(p, str) for p in included):
        raise ConfigError("stacks.included_paths must be a list of globs", file=config_file)
    excluded = _get(raw, "stacks", "excluded_paths", default=[])
    if not isinstance(excluded, list) or not all(isinstance(p, str) for p in excluded):
        raise ConfigError("stacks.excluded_paths must be a list of globs", file=config_file)
    components_rel = str(_get(raw, "components", "terraform", "base_path", default=""))
    strategy = str(_get(raw, "settings", "list_merge_strategy", default="") or "replace")
    check_strategy(strategy, file=str(config_file) if config_file else None)
    global_env = _get(raw, "env", default={})
    if not isinstance(global_env, dict):
        raise ConfigError("atmos.yaml 'env' must be a map", file=config_file)
    exec_allowed = allow_exec
    if exec_allowed is None:
        exec_allowed = _truthy(environ.get("HARNESS_ALLOW_EXEC"), False) or _truthy(
            _get(raw, "settings", "harness", "allow_exec"), False
        )
    return AtmosConfig(
        raw=raw,
        config_file=config_file,
        base_path=base,
        stacks_base_path=(base / stacks_rel).resolve(),
        components_base_path=(base / components_rel).resolve() if components_rel else base,
        included_paths=tuple(included),
        excluded_paths=tuple(excluded),
        name_pattern=str(_get(raw, "stacks", "name_pattern", default="")),
        name_template=str(_get(raw, "stacks", "name_template", default="")),
        list_merge_strategy=strategy,
        inherit_metadata=_truthy(
            environ.get("ATMOS_STACKS_INHERIT_METADATA", _get(raw, "stacks", "inherit", "metadata")), True
        ),
        workspaces_enabled=_truthy(_get(raw, "components", "terraform", "workspaces_enabled"), True),
        prefix_separator=str(
            _get(raw, "components", "terraform", "workspace", "prefix_separator", default="-") or "-"
        ),
        terraform_command=str(_get(raw, "components", "terraform", "command", default="terraform")),
        templates_enabled=_truthy(_get(raw, "templates", "settings", "enabled"), config_file is None),
        ignore_missing_template_values=_truthy(
            _get(raw, "templates", "settings", "ignore_missing_template_values"), False
        ),
        allow_exec=bool(exec_allowed),
        env=global_env,
        cwd=cwd,
        atmos_target=target_of(raw, file=str(config_file) if config_file else None),
    )
