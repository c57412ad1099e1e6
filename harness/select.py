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
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.atmos import AtmosConfig, Instance, Resolver, gitrev
from harness.atmos.affected import affected as describe_affected
from harness.atmos.affected import changed_dependency, component_dir_reasons, rebase_config
from harness.atmos.affected import describe_affected as describe_affected_sections
from harness.atmos.discovery import STACK_EXTENSIONS, is_stack_manifest, matches
from harness.atmos.overlay import FileOverlay
from harness.atmos.resolver import ProgressFn
from harness.atmos.stackindex import DEFAULT_FILE as DEFAULT_INDEX_FILE
from harness.atmos.stackindex import StackIndex, load_index
from harness.atmos.yamlio import line_of, load_file
from harness.cachedir import CACHE_DIR_NAME, ensure_ignored, is_cache_path
from harness.errors import ConfigError, HarnessError

#: What makes "the harness changed" unless ``settings.harness.affected.harness_paths`` in atmos.yaml says
#: otherwise: the repository's own test and configuration files, relative to the folder holding atmos.yaml
#: (a trailing ``/`` names a folder, other entries are files or globs).
DEFAULT_HARNESS_PATHS = ("tests/", "conftest.py", "pyproject.toml", "noxfile.py", "pytest.ini", "atmos.yaml")
#: Where the version of the harness that last answered is recorded (in the cache folder of the base path).
SELECTION_FILE = Path(CACHE_DIR_NAME) / "selection.json"


@dataclass
class AffectedResult:
    """Affected instance ids with their reasons; ``decided`` is False when everything must run."""

    decided: bool
    instances: dict[str, list[str]] = field(default_factory=dict)
    changed_files: list[str] = field(default_factory=list)
    harness_changed: bool = False
    #: Why the harness counts as changed: the matching paths, or the installed harness's new version.
    harness_changes: list[str] = field(default_factory=list)
    stacks_changed: bool = False
    note: str = ""
    #: "full" (both revisions resolved) or "incremental" (the stack index plus the touched manifests).
    method: str = ""
    #: Manifests resolved to answer (both revisions counted).
    resolved_manifests: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "decided": self.decided,
            "note": self.note,
            "method": self.method,
            "harness_changed": self.harness_changed,
            "harness_changes": self.harness_changes,
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
                       *, allow_exec: bool = False, index: Path | str | None = None,
                       progress: ProgressFn | None = None) -> AffectedResult:
    """Instances affected between ``base_ref`` and ``head_ref`` (default: the working tree).

    Against the working tree the answer is incremental: a stack index cached in ``index`` (default
    ``<base>/.harness-cache/stack-index.sqlite``) stands in for the stacks a change cannot reach, and only the
    manifests it touches are resolved, at both revisions. ``index="off"``, a ``head_ref``, or manifests that
    use ``!include`` resolve both revisions in full; both ways give the same answer. ``progress`` hears of
    each HEAD manifest resolved (done, total, name) when that is most of the work.
    """
    harness_paths(config)  # a bad setting is the user's error, not an undecided answer
    with ExitStack() as scope:
        try:
            repo = gitrev.repo_root(config.base_path)
            base_commit = gitrev.resolve_commit(repo, base_ref)
            head_commit = gitrev.resolve_commit(repo, head_ref) if head_ref is not None else None
            changed = [f for f in gitrev.changed_between(repo, base_commit, head_commit) if not is_cache_path(f)]
            version_change = _version_change(config, record=str(index) != "off")
            if head_ref is None and str(index) != "off":
                cache_file = config.base_path / DEFAULT_INDEX_FILE if index is None else Path(index)
                result = _incremental(config, repo, base_commit, changed, cache_file, allow_exec, progress)
                if result is not None:
                    return _harness_changes(result, config, repo, version_change)
            root, head_config = repo, config
            if head_ref is not None:
                root = scope.enter_context(gitrev.checkout(repo, head_ref))
                head_config = rebase_config(config, repo, root)
            resolver = Resolver(head_config, allow_exec=allow_exec, progress=progress)
            items = describe_affected(config, base_ref=base_ref, head_ref=head_ref, allow_exec=allow_exec,
                                      head_stacks=resolver.describe_stacks() if head_ref is None else None)
        except HarnessError as exc:
            return AffectedResult(decided=False, note=f"cannot decide what is affected, running everything: {exc}")
        result = _new_result(changed, "full")
        _item_reasons(result, items)
        instances = [i for i in resolver.instances() if i.deployable]
        _manifest_reasons(result, resolver, instances, root, changed)
        _add_dependents(result, _instance_consumers(instances))
        return _harness_changes(result, config, repo, version_change)


def _new_result(changed: list[str], method: str) -> AffectedResult:
    return AffectedResult(decided=True, changed_files=sorted(changed), method=method)


def harness_paths(config: AtmosConfig) -> tuple[str, ...]:
    """``settings.harness.affected.harness_paths`` of atmos.yaml, else ``DEFAULT_HARNESS_PATHS``."""
    value = config.get("settings", "harness", "affected", "harness_paths")
    if value is None:
        return DEFAULT_HARNESS_PATHS
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        keys = ("settings", "harness", "affected", "harness_paths")
        file = config.config_file
        raise ConfigError("settings.harness.affected.harness_paths must be a list of paths (folders end in /)",
                          file=file, line=line_of(file, keys) if file is not None else None)
    return tuple(v.strip() for v in value)


def _matches_harness_path(rel: str, entry: str) -> bool:
    if entry.endswith("/"):
        return rel.startswith(entry)
    return rel == entry or rel.startswith(entry + "/") or matches(entry, rel)


def changed_harness_paths(config: AtmosConfig, repo: Path, changed: Iterable[str]) -> list[str]:
    """The changed repository-relative files that are the repository's harness paths (its tests and config)."""
    home = (config.config_file.parent if config.config_file is not None else config.base_path).resolve()
    prefix = home.relative_to(repo).as_posix() if home.is_relative_to(repo) and home != repo else ""
    entries = harness_paths(config)
    hits = []
    for path in changed:
        if prefix and not path.startswith(prefix + "/"):
            continue
        rel = path[len(prefix) + 1:] if prefix else path
        if any(_matches_harness_path(rel, e) for e in entries):
            hits.append(path)
    return hits


def _version_change(config: AtmosConfig, *, record: bool) -> str | None:
    """"harness X -> Y" when another harness version answered last in this checkout (recorded if ``record``).

    The harness's own code is not in the user's repository, so its version stands for it: upgrading the
    installed harness makes every test count as changed once.
    """
    from harness import __version__

    path = config.base_path / SELECTION_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        previous = data.get("harness") if isinstance(data, dict) else None
    except (OSError, ValueError):
        previous = None
    if record and previous != __version__:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            ensure_ignored(path)
            path.write_text(json.dumps({"harness": __version__}) + "\n", encoding="utf-8")
        except OSError:
            pass
    if isinstance(previous, str) and previous != __version__:
        return f"harness {previous} -> {__version__}"
    return None


def _harness_changes(result: AffectedResult, config: AtmosConfig, repo: Path,
                     version_change: str | None) -> AffectedResult:
    result.harness_changes = changed_harness_paths(config, repo, result.changed_files)
    if version_change is not None:
        result.harness_changes.insert(0, version_change)
    result.harness_changed = bool(result.harness_changes)
    return result


def _item_reasons(result: AffectedResult, items: list[dict[str, Any]]) -> None:
    for item in items:
        if item.get("deleted") or item.get("component_type", "terraform") != "terraform":
            continue
        for reason in item.get("affected_all") or [item.get("affected")]:
            _add(result, f"{item['stack']}/{item['component']}", str(reason))


def _incremental(config: AtmosConfig, repo: Path, base_commit: str, changed: list[str], cache_file: Path,
                 allow_exec: bool, progress: ProgressFn | None) -> AffectedResult | None:
    """The answer from the stack index plus the touched manifests resolved at both revisions (None: go full)."""
    with load_index(config, cache_file, allow_exec=allow_exec, progress=progress) as index:
        if index.includes_files:
            return None  # what !include reads is not tracked
        changed_abs = [repo / f for f in changed]
        stacks_base = config.stacks_base_path
        # only manifests can change a resolution (what !include reads sent us to the full comparison above)
        in_stacks = [f for f, p in zip(changed, changed_abs, strict=True)
                     if p.is_relative_to(stacks_base) and f.endswith(STACK_EXTENSIONS)]
        overlay = FileOverlay({repo / f: _text(repo / f, blob)
                               for f, blob in gitrev.read_blobs_at(repo, base_commit, in_stacks).items()})
        deleted_manifests = [repo / f for f in in_stacks
                             if overlay.files[repo / f] is not None and not (repo / f).exists()
                             and is_stack_manifest(repo / f, config)]
        touched, head, head_stacks, base_stacks, resolved = _compare_touched(
            config, index, set(index.touched(changed_abs)), overlay, deleted_manifests, allow_exec)
        cwd = config.cwd if config.cwd.is_relative_to(repo) else config.base_path
        modules: dict[Path, list[Path]] = {}
        items = describe_affected_sections(head_stacks, base_stacks, changed_files=changed, config=config,
                                           repo_root=repo, cwd=cwd, module_cache=modules)
        result = _new_result(changed, "incremental")
        result.resolved_manifests = len(index.resolved) + resolved
        _item_reasons(result, items)
        touched_ids = index.ids(touched)
        _untouched_reasons(result, index, touched_ids, [p.resolve() for p in changed_abs], cwd, modules)
        instances = [i for i in head.instances() if i.deployable]
        _manifest_reasons(result, head, instances, repo, changed)
        head_consumers = _instance_consumers(instances)

        def consumers(producer: str) -> list[str]:
            return index.consumers(producer, touched_ids) + head_consumers.get(producer, [])

        _add_dependents(result, consumers)
        return result


def _compare_touched(
    config: AtmosConfig, index: StackIndex, touched: set[str], overlay: FileOverlay, deleted: list[Path],
    allow_exec: bool,
) -> tuple[set[str], Resolver, dict[str, Any], dict[str, Any], int]:
    """The touched manifests resolved at HEAD (the working tree) and at BASE (through the overlay).

    A stack that untouched manifests also produce must be compared whole, so their manifests join the
    touched ones and both sides are resolved again. Returns the final touched set, the HEAD resolver, both
    ``describe stacks`` results and how many manifests were resolved.
    """
    while True:
        head_files = [index.abs(m) for m in sorted(touched)]  # manifest order
        base_files = [p for p in head_files if overlay.is_file(p)] + deleted
        known = index.lazy_contexts(exclude=frozenset(touched))
        head = Resolver(config, files=head_files, known_contexts=known, allow_exec=allow_exec)
        base = Resolver(config, files=base_files, overlay=overlay, known_contexts=known, allow_exec=allow_exec)
        head_stacks = head.describe_stacks() if head_files else {}
        base_stacks = base.describe_stacks() if base_files else {}
        more = index.manifests_of_stacks(head_stacks.keys() | base_stacks.keys()) - touched
        if not more:
            return touched, head, head_stacks, base_stacks, len(head_files) + len(base_files)
        touched |= more


def _text(path: Path, blob: bytes | None) -> str | None:
    if blob is None:
        return None
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text at the base revision: {exc.reason}", file=path) from None


def _untouched_reasons(result: AffectedResult, index: StackIndex, touched: AbstractSet[int], changed: list[Path],
                       cwd: Path, modules: dict[Path, list[Path]]) -> None:
    """Instances of manifests the change does not reach: only paths can affect them (folders, declared files).

    ``touched`` holds the index ids of the manifests resolved instead; ``modules`` caches each component
    folder's local modules.
    """
    if not changed:
        return
    base_dir = index.config.components_base_path
    for folder in index.folders():
        reasons = component_dir_reasons((base_dir / folder).resolve(), "terraform", changed, modules)
        if reasons:
            for instance_id in index.in_folder(folder, touched):
                for reason in reasons:
                    _add(result, instance_id, reason)
    first_hits: dict[str, str] = {}
    for kind, path in index.file_deps():
        if changed_dependency([(kind, path)], changed, cwd) is None:
            continue
        for instance_id, deps in index.declaring(kind, path, touched).items():
            if instance_id not in first_hits:
                hit = changed_dependency(deps, changed, cwd)
                if hit is not None:
                    first_hits[instance_id] = hit[0]
    for instance_id, reason in first_hits.items():
        _add(result, instance_id, reason)


def _manifest_reasons(result: AffectedResult, resolver: Resolver, instances: list[Instance], root: Path,
                      changed: list[str]) -> None:
    """A changed manifest affects the instances it contributes to."""
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


def _consumers(pairs: Iterable[tuple[str, Iterable[Sequence[str]]]]) -> dict[str, list[str]]:
    """Producer id -> ids of the instances that depend on it (from (id, [(stack, component), ...]) pairs)."""
    consumers: dict[str, list[str]] = {}
    for instance_id, dependencies in pairs:
        for stack, component in dependencies:
            consumers.setdefault(f"{stack}/{component}", []).append(instance_id)
    return consumers


def _instance_consumers(instances: Iterable[Instance]) -> dict[str, list[str]]:
    return _consumers((i.id, [(d.stack, d.component) for d in i.dependencies]) for i in instances)


def _add_dependents(result: AffectedResult,
                    consumers: Mapping[str, list[str]] | Callable[[str], list[str]]) -> None:
    """Every dependent of an affected instance is affected (``consumers``: producer id -> consumer ids)."""
    consumers_of = consumers if callable(consumers) else (lambda producer: consumers.get(producer, []))
    queue = deque(sorted(result.instances))
    while queue:
        producer = queue.popleft()
        for consumer in sorted(consumers_of(producer)):
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
