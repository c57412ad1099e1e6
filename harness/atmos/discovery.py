"""Top-level stack manifests from ``stacks.included_paths``/``excluded_paths`` (Atmos doublestar globs)."""

from __future__ import annotations

import functools
from pathlib import Path

from wcmatch import glob

from harness.atmos.config import AtmosConfig
from harness.errors import ConfigError

GLOB_FLAGS = glob.GLOBSTAR | glob.BRACE | glob.DOTGLOB | glob.NODIR
STACK_EXTENSIONS = (".yaml", ".yml", ".yaml.tmpl", ".yml.tmpl")


def has_extension(pattern: str) -> bool:
    name = pattern.rsplit("/", 1)[-1]
    return name.endswith(STACK_EXTENSIONS) or "." in name.replace("*", "").replace("?", "")


def expand(pattern: str, root: Path) -> list[Path]:
    """Files matching one stacks-base-relative pattern; a pattern without extension probes the stack extensions."""
    patterns = [pattern] if has_extension(pattern) else [pattern + ext for ext in STACK_EXTENSIONS]
    found: set[str] = set()
    for p in patterns:
        found.update(glob.glob(p, root_dir=str(root), flags=GLOB_FLAGS))
    return [root / f for f in sorted(found)]


def file_key(path: Path, stacks_base: Path) -> str:
    """Stack file key: stacks-base-relative path without ``.yaml``/``.yml``."""
    rel = path.relative_to(stacks_base).as_posix()
    for ext in (".yaml", ".yml"):
        if rel.endswith(ext):
            return rel[: -len(ext)]
    return rel


@functools.lru_cache(maxsize=256)
def matcher(patterns: tuple[str, ...]) -> glob.WcMatcher[str] | None:
    """One compiled matcher for some globs (None when there are none): compiling is the costly part."""
    return glob.compile(list(patterns), flags=GLOB_FLAGS) if patterns else None


def matches(pattern: str, rel: str) -> bool:
    """Whether a root-relative POSIX path matches one glob (compiled once per pattern)."""
    compiled = matcher((pattern,))
    return compiled is not None and bool(compiled.match(rel))


def is_excluded(path: Path, config: AtmosConfig) -> bool:
    compiled = matcher(tuple(config.excluded_paths))
    return compiled is not None and bool(compiled.match(path.relative_to(config.stacks_base_path).as_posix()))


def stack_files(config: AtmosConfig) -> list[Path]:
    """Every top-level stack manifest, in lexical order of its stacks-base-relative path."""
    root = config.stacks_base_path
    if not root.is_dir():
        raise ConfigError(f"stacks base path '{root}' does not exist", file=config.config_file)
    found: dict[str, Path] = {}
    for pattern in config.included_paths:
        for path in expand(pattern, root):
            if not is_excluded(path, config):
                found[path.relative_to(root).as_posix()] = path
    if not found:
        raise ConfigError(
            f"no stack manifests found in '{root}' for included_paths {list(config.included_paths)}",
            file=config.config_file,
        )
    return [found[k] for k in sorted(found)]


def is_stack_manifest(path: Path, config: AtmosConfig) -> bool:
    """Whether ``path`` is (or would be, if it existed) a top-level manifest under the configuration's globs."""
    root = config.stacks_base_path
    if not path.is_relative_to(root):
        return False
    patterns = tuple(p for pattern in config.included_paths
                     for p in ([pattern] if has_extension(pattern) else [pattern + ext for ext in STACK_EXTENSIONS]))
    compiled = matcher(patterns)
    return compiled is not None and bool(compiled.match(path.relative_to(root).as_posix())) \
        and not is_excluded(path, config)
