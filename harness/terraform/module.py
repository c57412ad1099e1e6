"""A component's Terraform configuration as data, parsed offline (:mod:`harness.terraform.hcl`).

Used by the ``component`` fixture, the contracts (stack vars against ``variables.tf``, outputs against
consumers) and messages that point at a ``.tf`` file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.terraform.hcl import HclSyntaxError, loads

_HEADER = re.compile(r'^\s*(variable|output|resource|data|module|provider)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{', re.M)


@dataclass(frozen=True)
class Location:
    """A ``.tf`` file (relative to the component folder) and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Validation:
    condition: str
    error_message: str


@dataclass(frozen=True)
class Variable:
    name: str
    type: str | None
    description: str | None
    default: Any
    has_default: bool
    nullable: bool
    sensitive: bool
    validations: tuple[Validation, ...]
    location: Location | None

    @property
    def required(self) -> bool:
        return not self.has_default


@dataclass(frozen=True)
class Output:
    name: str
    value: str
    description: str | None
    sensitive: bool
    location: Location | None


@dataclass(frozen=True)
class ResourceBlock:
    mode: str  # "managed" | "data"
    type: str
    name: str
    body: dict[str, Any] = field(repr=False)
    location: Location | None = None

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}" if self.mode == "managed" else f"data.{self.type}.{self.name}"


@dataclass(frozen=True)
class ModuleCall:
    name: str
    source: str
    version: str | None
    location: Location | None

    @property
    def is_local(self) -> bool:
        return self.source.startswith(("./", "../"))


@dataclass(frozen=True)
class ModuleConfig:
    """Everything declared in one Terraform root module (a component folder)."""

    path: Path
    variables: dict[str, Variable]
    outputs: dict[str, Output]
    resources: dict[str, ResourceBlock]
    modules: dict[str, ModuleCall]
    providers: tuple[str, ...]
    required_version: str | None
    required_providers: dict[str, Any]
    locals: dict[str, Any]

    @property
    def data_sources(self) -> dict[str, ResourceBlock]:
        return {a: r for a, r in self.resources.items() if r.mode == "data"}

    @property
    def managed(self) -> dict[str, ResourceBlock]:
        return {a: r for a, r in self.resources.items() if r.mode == "managed"}


def _expr(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1]
    return text


def _blocks(items: Any) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _strip_meta(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_meta(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_strip_meta(v) for v in value]
    return value


def _parse(path: Path) -> dict[str, Any]:
    try:
        return loads(path.read_text(encoding="utf-8"), str(path))
    except HclSyntaxError as exc:
        raise ConfigError(f"HCL syntax error: {str(exc).split(': ', 1)[-1]}", file=path, line=exc.line) from None


def _headers(path: Path, rel: str) -> dict[tuple[str, str, str], Location]:
    text = path.read_text(encoding="utf-8")
    found: dict[tuple[str, str, str], Location] = {}
    for match in _HEADER.finditer(text):
        key = (match.group(1), match.group(2), match.group(3) or "")
        found.setdefault(key, Location(rel, text.count("\n", 0, match.start(1)) + 1))
    return found


_CACHE: dict[tuple[str, tuple[tuple[str, float, int], ...]], ModuleConfig] = {}


def load_module(path: Path) -> ModuleConfig:
    """Parse every ``*.tf`` in a folder (not ``*.tf.json``-only modules' JSON bodies: those are read too)."""
    if not path.is_dir():
        raise ConfigError(f"Terraform folder '{path}' does not exist")
    files = sorted(p for p in path.iterdir() if p.suffix == ".tf" and p.is_file())
    stamp = tuple((p.name, p.stat().st_mtime, p.stat().st_size) for p in files)
    cached = _CACHE.get((str(path), stamp))
    if cached is not None:
        return cached
    variables: dict[str, Variable] = {}
    outputs: dict[str, Output] = {}
    resources: dict[str, ResourceBlock] = {}
    modules: dict[str, ModuleCall] = {}
    providers: list[str] = []
    required_version: str | None = None
    required_providers: dict[str, Any] = {}
    local_values: dict[str, Any] = {}
    for file in files:
        data = _parse(file)
        where = _headers(file, file.name)
        for block in _blocks(data.get("variable")):
            for name, body in block.items():
                validations = tuple(
                    Validation(str(_expr(v.get("condition")) or ""), str(v.get("error_message") or ""))
                    for v in _blocks(body.get("validation"))
                )
                variables[name] = Variable(
                    name=name,
                    type=_expr(body.get("type")),
                    description=body.get("description"),
                    default=_strip_meta(body.get("default")),
                    has_default="default" in body,
                    nullable=body.get("nullable", True) is not False,
                    sensitive=body.get("sensitive") is True,
                    validations=validations,
                    location=where.get(("variable", name, "")),
                )
        for block in _blocks(data.get("output")):
            for name, body in block.items():
                outputs[name] = Output(name, str(_expr(body.get("value")) or ""), body.get("description"),
                                       body.get("sensitive") is True, where.get(("output", name, "")))
        for kind, mode in (("resource", "managed"), ("data", "data")):
            for block in _blocks(data.get(kind)):
                for rtype, named in block.items():
                    for rname, body in (named or {}).items():
                        res = ResourceBlock(mode, rtype, rname, _strip_meta(body), where.get((kind, rtype, rname)))
                        resources[res.address] = res
        for block in _blocks(data.get("module")):
            for name, body in block.items():
                modules[name] = ModuleCall(name, str(body.get("source") or ""), body.get("version"),
                                           where.get(("module", name, "")))
        for block in _blocks(data.get("provider")):
            providers.extend(block.keys())
        for block in _blocks(data.get("terraform")):
            if block.get("required_version"):
                required_version = str(block["required_version"])
            for req in _blocks(block.get("required_providers")):
                required_providers.update(_strip_meta(req))
        for block in _blocks(data.get("locals")):
            local_values.update(_strip_meta(block))
    config = ModuleConfig(
        path=path,
        variables=variables,
        outputs=outputs,
        resources=resources,
        modules=modules,
        providers=tuple(sorted(set(providers))),
        required_version=required_version,
        required_providers=required_providers,
        locals=local_values,
    )
    _CACHE[(str(path), stamp)] = config
    return config
