"""Which resource attributes a provider's schema marks sensitive (``aws_db_instance.password``, ...).

Terraform hides those attributes in every plan it prints; the static engine has no provider, so it reads
them from a table made from ``terraform providers schema -json``:

- ``harness/data/aws_sensitive_attributes.json`` ships with the package (the AWS provider, the version it
  came from recorded in the file), so offline runs know them;
- ``generate_tables`` makes tables for any provider Terraform can install here (a plugin folder from
  ``HARNESS_TF_PLUGIN_DIR``, a plugin cache, the registry) and caches them per provider version in the
  user cache folder; ``python -m harness.terraform.sensitive_attrs`` runs it.

A path is dotted; ``*`` stands for every item of a nested block or list (``ingress.*.password``).
When the version a component uses has no table, every known version's paths count: masking one
attribute too many is harmless, one too few is not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.plan.sensitive import expand_paths
from harness.tools.terraform import automation_env

FORMAT = 1
SHIPPED = ("aws_sensitive_attributes.json",)
CACHE_ENV = "HARNESS_SCHEMA_CACHE"
_LOCK_ENTRY = re.compile(r'provider\s+"([^"]+)"\s*\{[^}]*?\bversion\s*=\s*"([^"]+)"', re.S)


@dataclass(frozen=True)
class SensitiveAttributes:
    """One provider version's sensitive attribute paths, per managed resource type and data source type."""

    provider: str
    version: str
    managed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    data: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""

    def paths(self, mode: str, type_: str) -> tuple[str, ...]:
        """The sensitive paths of one type (``mode`` is ``managed`` or ``data``)."""
        return (self.data if mode == "data" else self.managed).get(type_, ())

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "provider": self.provider, "version": self.version, "source": self.source,
                "managed": {k: list(v) for k, v in sorted(self.managed.items())},
                "data": {k: list(v) for k, v in sorted(self.data.items())}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SensitiveAttributes:
        return cls(provider=str(data["provider"]), version=str(data["version"]), source=str(data.get("source", "")),
                   managed={k: tuple(v) for k, v in (data.get("managed") or {}).items()},
                   data={k: tuple(v) for k, v in (data.get("data") or {}).items()})


def _block_paths(block: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, attr in (block.get("attributes") or {}).items():
        if not isinstance(attr, Mapping):
            continue
        if attr.get("sensitive"):
            out.append(prefix + name)
        nested = attr.get("nested_type")
        if isinstance(nested, Mapping):
            out.extend(_block_paths(nested, f"{prefix}{name}.*."))
    for name, nested_block in (block.get("block_types") or {}).items():
        if isinstance(nested_block, Mapping) and isinstance(nested_block.get("block"), Mapping):
            out.extend(_block_paths(nested_block["block"], f"{prefix}{name}.*."))
    return sorted(out)


def tables_from_schema(schema: Mapping[str, Any], versions: Mapping[str, str], *,
                       source: str = "") -> list[SensitiveAttributes]:
    """Tables from one ``terraform providers schema -json`` document (``versions``: provider -> version)."""
    out = []
    for provider, body in sorted((schema.get("provider_schemas") or {}).items()):
        kinds: dict[str, dict[str, tuple[str, ...]]] = {"managed": {}, "data": {}}
        for key, kind in (("resource_schemas", "managed"), ("data_source_schemas", "data")):
            for type_, entry in sorted((body.get(key) or {}).items()):
                paths = _block_paths(entry.get("block") or {})
                if paths:
                    kinds[kind][type_] = tuple(paths)
        out.append(SensitiveAttributes(provider, versions.get(provider, "unknown"), kinds["managed"], kinds["data"],
                                       source))
    return out


def cache_dir() -> Path:
    """Where generated tables are kept: ``$HARNESS_SCHEMA_CACHE``, else the user cache folder."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atmos-harness" / "sensitive-attributes"


def _cache_file(folder: Path, provider: str, version: str) -> Path:
    return folder / f"{provider.replace('/', '_')}-{version}.json"


@lru_cache(maxsize=1)
def shipped_tables() -> tuple[SensitiveAttributes, ...]:
    """The tables that ship with the package."""
    folder = resources.files("harness") / "data"
    return tuple(SensitiveAttributes.from_json(json.loads((folder / name).read_text(encoding="utf-8")))
                 for name in SHIPPED)


def _cached_tables(folder: Path) -> list[SensitiveAttributes]:
    out = []
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                out.append(SensitiveAttributes.from_json(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a broken cache entry is regenerated, never fatal
    return out


@lru_cache(maxsize=8)
def _known(folder: str) -> tuple[SensitiveAttributes, ...]:
    return (*shipped_tables(), *_cached_tables(Path(folder)))


def known_tables(folder: Path | None = None) -> tuple[SensitiveAttributes, ...]:
    """Shipped tables plus the ones generated into the cache folder."""
    return _known(str(folder or cache_dir()))


def provider_address(source: str) -> str:
    """``hashicorp/aws`` -> ``registry.terraform.io/hashicorp/aws``."""
    return source if source.count("/") >= 2 else f"registry.terraform.io/{source}"


def sensitive_attribute_paths(provider: str, mode: str, type_: str, *, version: str | None = None,
                              tables: Iterable[SensitiveAttributes] | None = None) -> tuple[str, ...]:
    """The schema-sensitive paths of one resource type: the table of ``version`` when known, else every version's."""
    address = provider_address(provider)
    mine = [t for t in (known_tables() if tables is None else tables) if t.provider == address]
    exact = [t for t in mine if version is not None and t.version == version]
    found: set[str] = set()
    for table in exact or mine:
        found.update(table.paths(mode, type_))
    return tuple(sorted(found))


def locked_versions(component_dir: Path) -> dict[str, str]:
    """Provider -> version from the component's ``.terraform.lock.hcl`` (empty without one)."""
    try:
        text = (component_dir / ".terraform.lock.hcl").read_text(encoding="utf-8")
    except OSError:
        return {}
    return dict(_LOCK_ENTRY.findall(text))


@lru_cache(maxsize=256)
def _locked(component_dir: str) -> Mapping[str, str]:
    return locked_versions(Path(component_dir))


def schema_sensitive_paths(provider: str, mode: str, type_: str, values: Mapping[str, Any],
                           component_dir: Path | None = None) -> set[str]:
    """The paths of ``values`` that the provider schema marks sensitive (version from the lock file when any)."""
    version = _locked(str(component_dir)).get(provider_address(provider)) if component_dir else None
    return expand_paths(values, sensitive_attribute_paths(provider, mode, type_, version=version))


def _run(binary: str, args: Sequence[str], cwd: str, timeout: float) -> str:
    env = automation_env()
    try:
        proc = subprocess.run([binary, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError(f"{binary} {args[0]}: {exc}") from None
    if proc.returncode != 0:
        detail = " ".join((proc.stderr or proc.stdout).split())[:400]
        raise HarnessError(f"{binary} {args[0]} failed: {detail}")
    return proc.stdout


def generate_tables(sources: Iterable[str] = ("hashicorp/aws",), *, binary: str | None = None,
                    folder: Path | None = None, plugin_dirs: Sequence[Path] | None = None,
                    timeout: float = 300.0) -> list[SensitiveAttributes]:
    """Tables for ``sources`` from a real provider schema, cached per provider version in ``folder``.

    ``terraform init`` runs in a temporary folder; with ``plugin_dirs`` (default: the local mirrors that hold
    the providers, found as the terraform engine finds them) it installs only from there (``-plugin-dir``),
    else as the user's Terraform configuration says (the registry).
    """
    from harness.tools.providers import provider_search
    from harness.tools.terraform import find_terraform

    exe = find_terraform(binary)
    target = folder or cache_dir()
    wanted = {provider_address(s): s for s in sources}
    if plugin_dirs is None:
        mirrors = provider_search().mirrors
        dirs = [m.path for m in mirrors if any(m.versions(s) for s in wanted.values())]
    else:
        dirs = list(plugin_dirs)
    blocks = "".join(f'    p{i} = {{ source = "{source}" }}\n' for i, source in enumerate(wanted.values()))
    with tempfile.TemporaryDirectory(prefix="harness-schema-") as tmp:
        Path(tmp, "main.tf").write_text(f"terraform {{\n  required_providers {{\n{blocks}  }}\n}}\n", encoding="utf-8")
        _run(exe, ["init", "-input=false", "-no-color", "-backend=false", *[f"-plugin-dir={d}" for d in dirs]],
             tmp, timeout)
        about = json.loads(_run(exe, ["version", "-json"], tmp, timeout))
        versions = about.get("provider_selections") or {}
        cached = [t for t in _cached_tables(target) if versions.get(t.provider) == t.version and t.provider in wanted]
        if {t.provider for t in cached} == set(wanted):
            return cached
        schema = json.loads(_run(exe, ["providers", "schema", "-json"], tmp, timeout))
    made_by = f"terraform {about.get('terraform_version', '')} providers schema -json"
    tables = tables_from_schema(schema, versions, source=made_by)
    target.mkdir(parents=True, exist_ok=True)
    for table in tables:
        _cache_file(target, table.provider, table.version).write_text(
            json.dumps(table.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _known.cache_clear()
    return [t for t in tables if t.provider in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (and cache) sensitive-attribute tables; ``--output`` also writes one provider's table to a file."""
    parser = argparse.ArgumentParser(prog="python -m harness.terraform.sensitive_attrs", description=main.__doc__)
    parser.add_argument("providers", nargs="*", default=["hashicorp/aws"], help="provider sources (hashicorp/aws)")
    parser.add_argument("--terraform", default=None, help="Terraform binary (default: found as the engine finds it)")
    parser.add_argument("--plugin-dir", action="append", type=Path, default=None,
                        help="install only from this folder (repeatable; default: local mirrors holding them)")
    parser.add_argument("--output", type=Path, default=None, help="write the first provider's table here too")
    args = parser.parse_args(argv)
    try:
        tables = generate_tables(args.providers, binary=args.terraform, plugin_dirs=args.plugin_dir)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for table in tables:
        count = sum(len(v) for v in (*table.managed.values(), *table.data.values()))
        print(f"{table.provider} {table.version}: {count} sensitive attributes "
              f"in {len(table.managed)} resource and {len(table.data)} data source types", file=sys.stderr)
    if args.output is not None and tables:
        args.output.write_text(json.dumps(tables[0].to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
