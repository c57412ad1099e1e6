"""The contract checks:

- every var a stack passes is declared in the component's ``variables.tf``; every required variable is
  provided; literal values fit the declared type; ``validation`` conditions that can be evaluated offline
  hold;
- every dependency (``settings.depends_on``, ``dependencies.components``, ``!terraform.output``) names a
  component that exists in the referenced stack, and the producer declares the output read;
- the dependency graph across all stacks has no cycle.

Each finding carries a severity that follows Terraform (``harness.thresholds``): ``error`` blocks (the
instance is not planned, ``harness check`` fails), ``warning`` is reported only; ``settings.harness.contracts``
can change either, or switch a check ``off``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness.atmos import Instance, Resolver
from harness.atmos.functions import is_deferred
from harness.atmos.provenance import layers_of
from harness.atmos.yamlio import line_of, load_file
from harness.errors import HarnessError
from harness.terraform import ModuleConfig, load_module
from harness.terraform.expr import EvalError, NotEvaluable, evaluate
from harness.terraform.types import type_errors
from harness.thresholds import contract_severity


@dataclass(frozen=True, order=True)
class ContractFinding:
    """One broken contract; ``file:line`` points at the stack manifest that set the value."""

    check: str
    stack: str
    component: str
    message: str
    file: str = ""
    line: int = 0
    tf_location: str = ""
    severity: str = "error"

    @property
    def blocking(self) -> bool:
        """An error (what Terraform would reject), not a warning."""
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tf = f" [{self.tf_location}]" if self.tf_location else ""
        level = "" if self.blocking else f" ({self.severity})"
        return f"{where}: {self.check}{level}: {self.stack}/{self.component}: {self.message}{tf}"

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check, "stack": self.stack, "component": self.component, "message": self.message,
            "file": self.file, "line": self.line or None, "tf_location": self.tf_location or None,
            "severity": self.severity,
        }


def _locate(resolver: Resolver, inst: Instance, var: str) -> tuple[str, int]:
    """The manifest (and line) that sets ``vars.<var>`` with the highest precedence for this instance."""
    entry = resolver.find(inst.component, inst.stack)
    bases = list(reversed(entry.processed.get("inheritance") or []))
    best: tuple[int, Path, tuple[str, ...]] | None = None
    files = [entry.manifest.path, *[p for p in entry.manifest.files if p != entry.manifest.path]]
    for path in files:
        data = load_file(path) or {}
        for rank, layer in enumerate(layers_of(data, inst.component, bases, "vars")):
            if var in layer and (best is None or rank > best[0] or (rank == best[0] and path == entry.manifest.path)):
                keys = (*_layer_keys(rank, inst.component, bases), var)
                best = (rank, path, keys)
    if best is None:
        return resolver.config.relative(entry.manifest.path), 0
    return resolver.config.relative(best[1]), line_of(best[1], best[2]) or 0


def _layer_keys(rank: int, component: str, bases: list[str]) -> tuple[str, ...]:
    if rank == 0:
        return ("vars",)
    if rank == 1:
        return ("terraform", "vars")
    if rank < 2 + len(bases):
        return ("components", "terraform", bases[rank - 2], "vars")
    if rank == 2 + len(bases):
        return ("components", "terraform", component, "vars")
    return ("components", "terraform", component, "overrides", "vars")


def _variable_checks(resolver: Resolver, inst: Instance, module: ModuleConfig) -> Iterable[ContractFinding]:
    variables = inst.vars
    for name in sorted(variables):
        if name not in module.variables:
            file, line = _locate(resolver, inst, name)
            yield ContractFinding(
                "contract.undeclared-var", inst.stack, inst.component,
                f"var '{name}' is passed by the stack but not declared by component '{inst.folder}'",
                file, line, f"{resolver.config.relative(inst.component_path)}/variables.tf")
    for name, decl in sorted(module.variables.items()):
        where = f"{resolver.config.relative(inst.component_path)}/{decl.location}" if decl.location else ""
        if name not in variables:
            if decl.required:
                yield ContractFinding(
                    "contract.missing-required-var", inst.stack, inst.component,
                    f"required variable '{name}' (no default) is not set by the stack",
                    resolver.config.relative(inst.stack_file_path), 0, where)
            continue
        value = variables[name]
        if is_deferred(value, templates=True):
            continue
        if value is None and not decl.nullable:
            file, line = _locate(resolver, inst, name)
            yield ContractFinding("contract.type-mismatch", inst.stack, inst.component,
                                  f"var '{name}' is null but the variable is not nullable", file, line, where)
            continue
        problems = type_errors(value, decl.type, name)
        if problems:
            file, line = _locate(resolver, inst, name)
            yield ContractFinding("contract.type-mismatch", inst.stack, inst.component,
                                  f"var '{name}' does not fit type {decl.type}: {'; '.join(problems[:3])}",
                                  file, line, where)
            continue
        for validation in decl.validations:
            try:
                ok = evaluate(validation.condition, {**_defaults(module), **variables})
            except (NotEvaluable, EvalError, RecursionError):
                continue
            if ok is False:
                file, line = _locate(resolver, inst, name)
                yield ContractFinding(
                    "contract.validation-failed", inst.stack, inst.component,
                    f"var '{name}' = {value!r} fails validation: {validation.error_message}", file, line, where)


def _defaults(module: ModuleConfig) -> dict[str, Any]:
    return {n: v.default for n, v in module.variables.items() if v.has_default}


def _output_name(expression: str) -> str:
    text = expression.strip().lstrip(".")
    for sep in (".", "[", " ", "|"):
        text = text.split(sep, 1)[0]
    return text


def _locate_text(resolver: Resolver, inst: Instance, needles: Iterable[str]) -> tuple[str, int]:
    """The first manifest of the instance (stack file first) whose text holds one of ``needles``."""
    entry = resolver.find(inst.component, inst.stack)
    for path in [entry.manifest.path, *sorted(p for p in entry.manifest.files if p != entry.manifest.path)]:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, text in enumerate(lines, start=1):
            if any(n in text for n in needles):
                return resolver.config.relative(path), number
    return resolver.config.relative(inst.stack_file_path), 0


def _dependency_checks(resolver: Resolver, inst: Instance) -> Iterable[ContractFinding]:
    index = resolver.index()
    for dep in inst.dependencies:
        needles = [f"!{dep.kind} {dep.component}"] if dep.kind.startswith("terraform.") else [
            f"component: {dep.component}", f"name: {dep.component}"]
        file, line = _locate_text(resolver, inst, needles)
        if dep.stack not in index:
            yield ContractFinding("contract.unknown-dependency", inst.stack, inst.component,
                                  f"depends on '{dep.component}' in stack '{dep.stack}', which does not exist "
                                  f"({dep.kind})", file, line)
            continue
        target = index[dep.stack].get(dep.component)
        if target is None:
            yield ContractFinding("contract.unknown-dependency", inst.stack, inst.component,
                                  f"depends on '{dep.component}', which stack '{dep.stack}' does not define "
                                  f"({dep.kind})", file, line)
            continue
        if dep.output is None:
            continue
        producer = resolver.instance(dep.component, dep.stack)
        try:
            module = load_module(producer.component_path)
        except HarnessError:
            continue
        output = _output_name(dep.output)
        if output and output not in module.outputs:
            declared = ", ".join(sorted(module.outputs)) or "none"
            yield ContractFinding(
                "contract.undeclared-output", inst.stack, inst.component,
                f"!{dep.kind} reads output '{output}' of '{dep.component}' in stack '{dep.stack}', which component "
                f"'{producer.folder}' does not declare (outputs: {declared})",
                file, line, f"{resolver.config.relative(producer.component_path)}/outputs.tf")


def dependency_cycles(instances: Iterable[Instance]) -> list[list[str]]:
    """Every elementary cycle found by a depth-first search, as ``stack/component`` chains."""
    graph: dict[str, list[str]] = {}
    for inst in instances:
        graph.setdefault(inst.id, [])
        for dep in inst.dependencies:
            graph[inst.id].append(f"{dep.stack}/{dep.component}")
    cycles: list[list[str]] = []
    seen_cycles: set[frozenset[str]] = set()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                key = frozenset(cycle)
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    cycles.append(cycle)
            elif state.get(nxt) is None and nxt in graph:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node)
    return cycles


def _with_severity(resolver: Resolver, inst: Instance | None, findings: Iterable[ContractFinding]
                   ) -> Iterable[ContractFinding]:
    """The findings with their configured severity; checks set to ``off`` are dropped."""
    config_settings = resolver.config.get("settings")
    for finding in findings:
        level = contract_severity(finding.check, config_settings=config_settings,
                                  instance_settings=inst.settings if inst is not None else None)
        if level != "off":
            yield replace(finding, severity=level)


def check_contracts(resolver: Resolver, instances: Iterable[Instance] | None = None) -> list[ContractFinding]:
    """All contract findings for the given (default: every deployable) instance, errors and warnings."""
    selected = [i for i in (instances if instances is not None else resolver.instances()) if i.deployable]
    findings: list[ContractFinding] = []
    for inst in selected:
        try:
            module = load_module(inst.component_path)
        except HarnessError as exc:
            findings.extend(_with_severity(resolver, inst, [ContractFinding(
                "contract.component", inst.stack, inst.component, exc.message,
                resolver.config.relative(inst.stack_file_path))]))
            continue
        findings.extend(_with_severity(resolver, inst, _variable_checks(resolver, inst, module)))
        findings.extend(_with_severity(resolver, inst, _dependency_checks(resolver, inst)))
    for cycle in dependency_cycles(resolver.instances()):
        stack, _, component = cycle[0].partition("/")
        findings.extend(_with_severity(resolver, None, [ContractFinding(
            "contract.dependency-cycle", stack, component, "dependency cycle: " + " -> ".join(cycle))]))
    return sorted(set(findings))
