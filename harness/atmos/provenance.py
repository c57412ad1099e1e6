"""Which manifests a component's values came from (Atmos ``deps``/``deps_all``), for describe and messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness.atmos.discovery import file_key
from harness.atmos.yamlio import load_file

if TYPE_CHECKING:
    from harness.atmos.resolver import Entry, Resolver

SECTIONS = ("vars", "env", "settings", "backend")


def _sub(data: Any, *path: str) -> Mapping[str, Any]:
    for key in path:
        if not isinstance(data, Mapping):
            return {}
        data = data.get(key)
    return data if isinstance(data, Mapping) else {}


def layers_of(data: Mapping[str, Any], component: str, bases: list[str], section: str) -> list[Mapping[str, Any]]:
    """The maps one file contributes to ``section`` of a component, lowest precedence first."""
    tf_components = _sub(data, "components", "terraform")
    layers = [_sub(data, section), _sub(data, "terraform", section)]
    if section == "backend":
        layers = [_sub(data, "terraform", "backend")]
    layers += [_sub(tf_components, base, section) for base in bases]
    layers.append(_sub(tf_components, component, section))
    if section != "backend":
        layers.append(_sub(tf_components, component, "overrides", section))
    return layers


def contributing_files(resolver: Resolver, entry: Entry) -> tuple[list[str], list[str]]:
    """``deps``: files holding the winning value of a top-level key; ``deps_all``: every file that sets one."""
    base = resolver.config.stacks_base_path
    bases = list(reversed(entry.processed.get("inheritance") or []))
    files = [entry.manifest.path, *[p for p in entry.manifest.files if p != entry.manifest.path]]
    ordered = sorted(files, key=lambda p: (p != entry.manifest.path, str(p)))
    winners: set[str] = set()
    everyone: set[str] = {entry.manifest.key}
    for section in SECTIONS:
        final = entry.processed.get(section) or {}
        for key in final:
            best: tuple[int, str] | None = None
            for path in ordered:
                data = load_file(path) or {}
                for rank, layer in enumerate(layers_of(data, entry.component, bases, section)):
                    if key in layer:
                        fk = file_key(path, base)
                        everyone.add(fk)
                        if best is None or rank > best[0]:
                            best = (rank, fk)
            if best is not None:
                winners.add(best[1])
    return sorted(winners), sorted(everyone)
