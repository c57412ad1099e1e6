"""``harness validate stacks``: every problem in the stack configuration, each with its file and line.

Runs YAML parsing on every manifest, the harness's manifest schema (plus ``schemas.atmos.manifest`` when
atmos.yaml names one), full stack processing per top-level manifest, duplicate-definition checks, reference
checks (component folders, dependencies, ``!terraform.output`` targets) and ``settings.validation``
JSON Schemas. Problems are collected, never raised, so one run lists them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from harness.atmos.discovery import GLOB_FLAGS
from harness.atmos.resolver import Resolver
from harness.atmos.yamlio import line_of, load_file
from harness.errors import HarnessError


@dataclass(frozen=True, order=True)
class Problem:
    """One configuration problem; ``str()`` gives ``file:line: message``."""

    file: str
    line: int
    message: str
    kind: str = "stack"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}" if self.file else self.message

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line or None, "message": self.message, "kind": self.kind}


def manifest_schema() -> dict[str, Any]:
    text = resources.files("harness").joinpath("schemas/stack-manifest.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _problem(resolver: Resolver, exc: HarnessError, kind: str) -> Problem:
    file = resolver.config.relative(Path(exc.file)) if exc.file else ""
    return Problem(file, exc.line or 0, exc.message, kind)


def _schemas(resolver: Resolver) -> list[tuple[str, Any]]:
    schemas: list[tuple[str, Any]] = [("harness manifest schema", jsonschema.Draft202012Validator(manifest_schema()))]
    custom = resolver.config.get("schemas", "atmos", "manifest")
    if isinstance(custom, str) and custom and not custom.startswith(("http://", "https://")):
        path = Path(custom)
        path = path if path.is_absolute() else resolver.config.base_path / path
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas.append((f"schema {custom}", jsonschema.Draft202012Validator(schema)))
    return schemas


def _yaml_files(resolver: Resolver) -> list[Path]:
    from wcmatch import glob

    root = resolver.config.stacks_base_path
    names = glob.glob("**/*.{yaml,yml}", root_dir=str(root), flags=GLOB_FLAGS)
    return [root / n for n in sorted(names)]


def validate_stacks(resolver: Resolver) -> list[Problem]:
    problems: list[Problem] = []
    cfg = resolver.config
    try:
        schemas = _schemas(resolver)
    except (OSError, ValueError) as exc:
        return [Problem(cfg.relative(cfg.config_file) if cfg.config_file else "", 0, f"schema: {exc}", "schema")]
    for path in _yaml_files(resolver):
        try:
            data = load_file(path)
        except HarnessError as exc:
            problems.append(_problem(resolver, exc, "yaml"))
            continue
        for label, validator in schemas:
            for error in validator.iter_errors(data):
                keys = tuple(error.absolute_path)
                where = ".".join(str(k) for k in keys) or "(top level)"
                problems.append(
                    Problem(cfg.relative(path), line_of(path, keys) or 0, f"{where}: {error.message} ({label})",
                            "schema")
                )
    broken_files: set[str] = {p.file for p in problems if p.kind == "yaml"}
    try:
        files = resolver.stack_files()
    except HarnessError as exc:
        return sorted({*problems, _problem(resolver, exc, "stack")})
    ok = True
    for path in files:
        if cfg.relative(path) in broken_files:
            ok = False
            continue
        try:
            resolver.entries_of(path)
        except HarnessError as exc:
            ok = False
            problems.append(_problem(resolver, exc, "stack"))
    if ok:
        problems.extend(_reference_problems(resolver))
    return sorted(set(problems))


def _reference_problems(resolver: Resolver) -> list[Problem]:
    problems: list[Problem] = []
    cfg = resolver.config
    try:
        index = resolver.index()
        instances = resolver.instances()
    except HarnessError as exc:
        return [_problem(resolver, exc, "stack")]
    for inst in instances:
        if not inst.enabled:
            continue
        file = cfg.relative(inst.stack_file_path)
        if not inst.component_path.is_dir():
            problems.append(Problem(
                file, line_of(inst.stack_file_path, ("components", "terraform", inst.component)) or 0,
                f"component '{inst.component}' in stack '{inst.stack}': folder "
                f"'{cfg.relative(inst.component_path)}' does not exist in the components base path", "reference"))
        for dep in inst.dependencies:
            if dep.stack not in index:
                problems.append(Problem(file, 0, f"component '{inst.component}' in stack '{inst.stack}' depends on "
                                        f"'{dep.component}' in stack '{dep.stack}', which does not exist "
                                        f"({dep.kind})", "reference"))
            elif dep.component not in index[dep.stack]:
                problems.append(Problem(file, 0, f"component '{inst.component}' in stack '{inst.stack}' depends on "
                                        f"'{dep.component}', which stack '{dep.stack}' does not define "
                                        f"({dep.kind})", "reference"))
        problems.extend(_component_schemas(resolver, inst.section, file))
    return problems


def _component_schemas(resolver: Resolver, section: dict[str, Any], file: str) -> list[Problem]:
    """``settings.validation`` entries of type jsonschema, run on the describe-component document."""
    problems: list[Problem] = []
    validation = (section.get("settings") or {}).get("validation")
    if not isinstance(validation, dict):
        return problems
    base = resolver.config.get("schemas", "jsonschema", "base_path", default="") or ""
    for name, item in validation.items():
        if not isinstance(item, dict) or item.get("disabled") or item.get("schema_type") != "jsonschema":
            continue
        rel = str(item.get("schema_path") or "")
        path = Path(rel)
        if not path.is_absolute() and not (resolver.config.base_path / path).is_file():
            path = resolver.config.base_path / base / rel
        elif not path.is_absolute():
            path = resolver.config.base_path / path
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(Problem(file, 0, f"settings.validation.{name}: cannot read schema '{rel}': {exc}",
                                    "schema"))
            continue
        document = json.loads(json.dumps(section, default=str))
        for error in jsonschema.Draft202012Validator(schema).iter_errors(document):
            where = ".".join(str(k) for k in error.absolute_path) or "(component)"
            problems.append(Problem(file, 0, f"component '{section.get('atmos_component')}' in stack "
                                    f"'{section.get('atmos_stack')}': {where}: {error.message} "
                                    f"(settings.validation.{name})", "schema"))
    return problems
