"""An instance: one component in one stack, fully resolved. What engines, policies and tests consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Dependency:
    """One component this instance needs first; ``kind`` says how it was declared."""

    component: str
    stack: str
    kind: str  # "dependencies" | "depends_on" | "terraform.output" | "terraform.state"
    output: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"component": self.component, "stack": self.stack, "kind": self.kind}
        if self.output is not None:
            data["output"] = self.output
        return data


@dataclass(frozen=True)
class Instance:
    """A resolved (stack, component) pair, as ``describe component`` shows it."""

    stack: str
    component: str
    folder: str
    component_path: Path
    stack_file: str
    stack_file_path: Path
    section: dict[str, Any] = field(repr=False)
    dependencies: tuple[Dependency, ...] = ()
    imports: tuple[str, ...] = ()

    @cached_property
    def id(self) -> str:
        return f"{self.stack}/{self.component}"

    @property
    def vars(self) -> dict[str, Any]:
        return dict(self.section.get("vars") or {})

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.section.get("settings") or {})

    @property
    def env(self) -> dict[str, Any]:
        return dict(self.section.get("env") or {})

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.section.get("metadata") or {})

    @property
    def backend_type(self) -> str:
        return str(self.section.get("backend_type") or "")

    @property
    def backend(self) -> dict[str, Any]:
        return dict(self.section.get("backend") or {})

    @property
    def workspace(self) -> str:
        return str(self.section.get("workspace") or "")

    @property
    def abstract(self) -> bool:
        return self.metadata.get("type") == "abstract"

    @property
    def enabled(self) -> bool:
        return self.metadata.get("enabled") is not False

    @property
    def locked(self) -> bool:
        return self.metadata.get("locked") is True

    @property
    def deployable(self) -> bool:
        return not self.abstract and self.enabled
