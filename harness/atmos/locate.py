"""Which file of a manifest's import graph holds a key, so a message names that file and line, not the importer.

A manifest's merged map no longer knows where a value came from; the files do. The highest-precedence file
(the manifest itself, then its imports from the last merged back) that holds the key path is the one a
message names, with the import chain that brought it in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.atmos.config import AtmosConfig
from harness.atmos.manifest import Manifest
from harness.atmos.yamlio import line_of, load_file
from harness.errors import ConfigError, HarnessError

#: What :func:`value_at` returns for a key path a file does not set.
ABSENT = object()


def value_at(data: Any, keys: tuple[str, ...]) -> Any:
    """The value at a key path of parsed YAML, or :data:`ABSENT`."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return ABSENT
        data = data[key]
    return data


def where_set(
    manifest: Manifest, keys: tuple[str, ...], accept: Callable[[Any], bool] | None = None
) -> tuple[Path, int | None]:
    """(file, line) of the winning file that sets ``keys`` (and whose value ``accept`` takes); the manifest
    itself when no file can be read or none sets it."""
    for path in reversed(manifest.order or (manifest.path,)):
        try:
            data = load_file(path)
        except HarnessError:
            continue
        value = value_at(data, keys)
        if value is not ABSENT and (accept is None or accept(value)):
            return path, line_of(path, keys)
    return manifest.path, line_of(manifest.path, keys) if manifest.path.is_file() else None


def chain_text(manifest: Manifest, file: Path, config: AtmosConfig) -> str:
    """`` (imported by a.yaml <- stack.yaml)`` for an imported file, "" for the manifest itself."""
    chain = manifest.chain(file)[1:]
    if file == manifest.path or not chain:
        return ""
    return " (imported by " + " <- ".join(config.relative(p) for p in chain) + ")"


def located_error(
    message: str, manifest: Manifest, config: AtmosConfig, keys: tuple[str, ...],
    accept: Callable[[Any], bool] | None = None,
) -> ConfigError:
    """A ConfigError at the file and line that set ``keys``, with the import chain."""
    file, line = where_set(manifest, keys, accept)
    return ConfigError(message + chain_text(manifest, file, config), file=file, line=line)


def where_text(manifest: Manifest, text: str) -> tuple[Path, int | None]:
    """(file, line) of the winning file whose text holds ``text``'s first line (a template or function
    string as written), else the manifest itself."""
    needle = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if needle:
        for path in reversed(manifest.order or (manifest.path,)):
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for number, line in enumerate(lines, start=1):
                if needle in line:
                    return path, number
    return manifest.path, None
