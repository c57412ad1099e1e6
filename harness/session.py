"""One test or CLI session over an Atmos repository: resolver, instance selection, engine, plan cache.

The pytest plugin and the CLI are thin shells over this class, so everything they do is available
from plain Python too.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from harness.atmos import Instance, Resolver, load_config
from harness.errors import ConfigError


@dataclass(frozen=True)
class SessionOptions:
    """What the user chose on the command line."""

    base_path: Path | None = None
    start: Path | None = None
    stacks: str | None = None
    components: str | None = None
    engine: str = "auto"
    plans_dir: Path | None = None
    terraform: str | None = None
    allow_exec: bool = False
    cache: str | None = None


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class HarnessSession:
    """Lazily resolves the repository; nothing is read until a test or command asks for it."""

    def __init__(self, options: SessionOptions) -> None:
        self.options = options
        self.used = False

    @cached_property
    def resolver(self) -> Resolver:
        self.used = True
        base = self.options.base_path
        if base is None and self.options.start is not None:
            from harness.atmos.config import find_config

            found = find_config(self.options.start)
            base = found.parent if found is not None else self.options.start
        config = load_config(base, allow_exec=self.options.allow_exec or None)
        return Resolver(config)

    @cached_property
    def selected(self) -> list[Instance]:
        """Deployable instances matching --stacks and --components."""
        globs = _split(self.options.stacks)
        wanted = set(_split(self.options.components))
        result = []
        for inst in self.resolver.instances():
            if not inst.deployable:
                continue
            if globs and not any(fnmatch.fnmatchcase(inst.stack, g) for g in globs):
                continue
            if wanted and inst.component not in wanted and inst.folder not in wanted:
                continue
            result.append(inst)
        return result

    def instances_of(self, component: str) -> list[Instance]:
        """Selected instances of a component, by Atmos name or Terraform folder."""
        return [i for i in self.selected if component in (i.component, i.folder)]

    def instance(self, instance_id: str) -> Instance:
        stack, _, component = instance_id.partition("/")
        return self.resolver.instance(component, stack)

    def header(self) -> str:
        stacks = {i.stack for i in self.selected}
        engine = self.engine_choice()
        return (f"harness: base={self.resolver.config.base_path} engine={engine} "
                f"stacks={len(stacks)} instances={len(self.selected)}")

    def engine_choice(self) -> str:
        return self.options.engine

    def describe_for_failure(self, instance_id: str) -> str:
        """Where an instance's values came from: the stack manifest and its import chain."""
        inst = self.instance(instance_id)
        cfg = self.resolver.config
        lines = [
            f"instance: {inst.id} (Terraform folder {cfg.relative(inst.component_path)})",
            f"stack manifest: {cfg.relative(inst.stack_file_path)}",
        ]
        if inst.imports:
            lines.append("imports (lowest precedence first in each chain): " + ", ".join(inst.imports))
        entry = self.resolver.find(inst.component, inst.stack)
        deps, _ = self.resolver.provenance_files(entry)
        if deps:
            lines.append("values set by: " + ", ".join(deps))
        return "\n".join(lines)

    def plan(self, instance: Instance) -> Any:
        raise ConfigError("no plan engine configured yet")

    def component(self, instance: Instance) -> Any:
        raise ConfigError("component parsing not available yet")
