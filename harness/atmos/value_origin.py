"""Where the winning value of one of an instance's vars is written: the manifest, the line, its raw form.

The raw form is what the manifest holds before Atmos processes it: a YAML function (``!store ...``,
``!terraform.output ...``) reads as its tag and arguments, a template keeps its ``{{ ... }}``. That is what
tells a plain literal from a value fetched from a store.

Precedence follows Atmos's layering inside a file (global ``vars`` < ``terraform.vars`` < base components
in inheritance order < the component < its ``overrides``) and between files (an imported file < the files
imported after it < the stack manifest itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.atmos.instance import Instance
from harness.atmos.yamlio import line_of, load_file

MANIFEST_SUFFIXES = (".yaml", ".yml", ".yaml.tmpl", ".yml.tmpl")


@dataclass(frozen=True)
class ValueOrigin:
    """One var's winning value as written: ``file`` (absolute), 1-based ``line``, the raw value."""

    file: Path
    line: int | None
    keys: tuple[str, ...]
    raw: Any


def _key_paths(component: str, bases: list[str], section: str) -> list[tuple[str, ...]]:
    """Where a file can set ``section`` for ``component``, lowest precedence first."""
    return [(section,), ("terraform", section),
            *[("components", "terraform", base, section) for base in bases],
            ("components", "terraform", component, section),
            ("components", "terraform", component, "overrides", section)]


def _get(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def stacks_root(instance: Instance) -> Path:
    """The stacks base path, from the manifest's path and its file key (``orgs/acme/dev`` -> ``.../stacks``)."""
    depth = len(Path(instance.stack_file).parts)
    return instance.stack_file_path.parents[depth - 1] if depth else instance.stack_file_path.parent


def manifest_files(instance: Instance) -> list[Path]:
    """The instance's manifest files, lowest precedence first: its imports, then the stack manifest."""
    root = stacks_root(instance)
    files: list[Path] = []
    for key in instance.imports:
        found = next((root / f"{key}{s}" for s in MANIFEST_SUFFIXES if (root / f"{key}{s}").is_file()), None)
        if found is not None and found != instance.stack_file_path:
            files.append(found)
    return [*files, instance.stack_file_path]


def var_origin(instance: Instance, name: str, section: str = "vars") -> ValueOrigin | None:
    """Where ``section.name`` of ``instance`` is set with the highest precedence; None when no manifest sets it."""
    component = instance.component
    bases = [str(b) for b in reversed(instance.section.get("inheritance") or [])]
    best: tuple[int, int, Path, tuple[str, ...], Any] | None = None
    for order, path in enumerate(manifest_files(instance)):
        data = load_file(path) or {}
        for rank, keys in enumerate(_key_paths(component, bases, section)):
            layer = _get(data, keys)
            if isinstance(layer, Mapping) and name in layer:
                candidate = (rank, order, path, (*keys, name), layer[name])
                if best is None or (rank, order) >= (best[0], best[1]):
                    best = candidate
    if best is None:
        return None
    _, _, path, keys, raw = best
    return ValueOrigin(path, line_of(path, keys), keys, raw)
