"""Selective runs: which instances a change affects (and why), and deterministic sharding.

Affected selection is built on the Atmos engine's ``describe affected`` (changed component sections,
component folders and their local modules, declared file/folder dependencies), plus two rules Atmos
does not have: a changed stack manifest affects every instance whose stack imports it, and dependents
(``settings.depends_on``, ``dependencies.components`` and ``!terraform.output`` consumers) of an affected
instance are affected too. When the answer cannot be decided (no git, base unreachable), the result
says so and callers run everything.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.atmos import AtmosConfig, Instance, Resolver, gitrev
from harness.atmos.affected import affected as describe_affected
from harness.atmos.affected import rebase_config
from harness.atmos.yamlio import load_file
from harness.errors import HarnessError

#: Paths (relative to the repository root) whose change means the harness itself changed.
HARNESS_PATHS = ("harness/", "tests/", "conftest.py", "pyproject.toml", "noxfile.py")


@dataclass
class AffectedResult:
    """Affected instance ids with their reasons; ``decided`` is False when everything must run."""

    decided: bool
    instances: dict[str, list[str]] = field(default_factory=dict)
    changed_files: list[str] = field(default_factory=list)
    harness_changed: bool = False
    stacks_changed: bool = False
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "decided": self.decided,
            "note": self.note,
            "harness_changed": self.harness_changed,
            "changed_files": self.changed_files,
            "instances": [
                {"stack": i.split("/", 1)[0], "component": i.split("/", 1)[1], "reasons": r}
                for i, r in sorted(self.instances.items())
            ],
        }


def _add(result: AffectedResult, instance_id: str, reason: str) -> None:
    reasons = result.instances.setdefault(instance_id, [])
    if reason not in reasons:
        reasons.append(reason)


def affected_instances(config: AtmosConfig, base_ref: str, head_ref: str | None = None,
                       *, allow_exec: bool = False) -> AffectedResult:
    """Instances affected between ``base_ref`` and ``head_ref`` (default: the working tree)."""
    with ExitStack() as scope:
        try:
            repo = gitrev.repo_root(config.base_path)
            gitrev.resolve_commit(repo, base_ref)
            changed = gitrev.changed_files(repo, base_ref, head_ref)
            root, head_config = repo, config
            if head_ref is not None:
                root = scope.enter_context(gitrev.checkout(repo, head_ref))
                head_config = rebase_config(config, repo, root)
            resolver = Resolver(head_config, allow_exec=allow_exec)
            items = describe_affected(config, base_ref=base_ref, head_ref=head_ref, allow_exec=allow_exec,
                                      head_stacks=resolver.describe_stacks() if head_ref is None else None)
        except HarnessError as exc:
            return AffectedResult(decided=False, note=f"cannot decide what is affected, running everything: {exc}")
        result = AffectedResult(decided=True, changed_files=sorted(changed))
        result.harness_changed = any(f.startswith(HARNESS_PATHS) or f in HARNESS_PATHS for f in changed)
        for item in items:
            if item.get("deleted") or item.get("component_type", "terraform") != "terraform":
                continue
            for reason in item.get("affected_all") or [item.get("affected")]:
                _add(result, f"{item['stack']}/{item['component']}", str(reason))
        _manifest_reasons(result, resolver, root, changed)
        return result


def _manifest_reasons(result: AffectedResult, resolver: Resolver, root: Path, changed: list[str]) -> None:
    """A changed manifest affects the instances it contributes to; then dependents of everything affected."""
    instances = [i for i in resolver.instances() if i.deployable]
    stacks_base = resolver.config.stacks_base_path
    stacks_rel = stacks_base.relative_to(root) if stacks_base.is_relative_to(root) else None
    changed_manifests = {root / f for f in changed if stacks_rel is not None and Path(f).is_relative_to(stacks_rel)}
    result.stacks_changed = bool(changed_manifests)
    for inst in instances:
        entry = resolver.find(inst.component, inst.stack)
        names = {inst.component, *(entry.processed.get("inheritance") or [])}
        for path in sorted(changed_manifests & set(entry.manifest.files)):
            if _contributes(path, names):
                _add(result, inst.id, f"manifest {path.relative_to(root).as_posix()}")
    _add_dependents(result, instances)


_GLOBAL_SECTIONS = ("vars", "settings", "env", "terraform", "overrides", "dependencies", "metadata", "name",
                    "hooks", "generate", "auth", "locals")


def _contributes(path: Path, components: set[str]) -> bool:
    """Whether a manifest sets anything an instance of these (base) components reads."""
    try:
        data = load_file(path)
    except HarnessError:
        return True
    if not isinstance(data, dict):
        return True
    if any(data.get(k) for k in _GLOBAL_SECTIONS):
        return True
    tf = (data.get("components") or {}).get("terraform") if isinstance(data.get("components"), dict) else None
    return isinstance(tf, dict) and bool(components & set(tf))


def _add_dependents(result: AffectedResult, instances: list[Instance]) -> None:
    consumers: dict[str, list[str]] = {}
    for inst in instances:
        for dep in inst.dependencies:
            consumers.setdefault(f"{dep.stack}/{dep.component}", []).append(inst.id)
    queue = sorted(result.instances)
    while queue:
        producer = queue.pop(0)
        for consumer in sorted(consumers.get(producer, [])):
            fresh = consumer not in result.instances
            _add(result, consumer, f"dependent of {producer}")
            if fresh:
                queue.append(consumer)


# -- sharding ---------------------------------------------------------------------------------------------
def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); K is 1-based."""
    try:
        k, n = (int(p) for p in text.split("/", 1))
    except ValueError:
        raise HarnessError(f"--shard must look like K/N (e.g. 1/4), got '{text}'") from None
    if n < 1 or not 1 <= k <= n:
        raise HarnessError(f"--shard {text}: K must be between 1 and N")
    return k, n


def _stable(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def load_durations(path: Path | None) -> dict[str, float]:
    """Recorded seconds per key (instance id or test id); missing or unreadable file -> {}."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))} if isinstance(data, dict) else {}


def assign_shards(keys: list[str], n: int, durations: dict[str, float] | None = None) -> dict[str, int]:
    """Key -> shard (1-based), the same on every machine: longest first onto the least loaded shard.

    Without durations every key weighs 1 and the order is a stable hash, so shards stay balanced by count.
    """
    durations = durations or {}
    known = [d for d in durations.values() if d > 0]
    default = sorted(known)[len(known) // 2] if known else 1.0
    weight = {k: durations.get(k, default) for k in keys}
    order = sorted(set(keys), key=lambda k: (-weight[k], _stable(k)))
    load = [0.0] * n
    out: dict[str, int] = {}
    for key in order:
        shard = min(range(n), key=lambda i: (load[i], i))
        out[key] = shard + 1
        load[shard] += weight[key]
    return out
