"""A compact summary of every instance, cached on disk, so ``affected`` need not resolve every stack.

A one-file change touches a few top-level manifests; to know what else it affects, ``affected`` needs only a
handful of facts about every other instance: its stack and component, its folder, whether it is deployable,
its inheritance chain, what it depends on (components, files, folders). Per top-level manifest the index
keeps those facts with the files its imports pulled in (with content digests) and its import probes
(globs, optional imports that found nothing). A record stays valid while none of its files changes, no file
appears where a probe looks, and the repository's ``atmos.yaml`` is the same; stale records are re-resolved
alone. Records of manifests that read the environment (``!env``, ``!exec``) are re-resolved every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from wcmatch import glob

from harness.atmos.affected import file_folder_deps
from harness.atmos.config import AtmosConfig
from harness.atmos.discovery import GLOB_FLAGS, STACK_EXTENSIONS, matches, stack_files
from harness.atmos.manifest import Probe, path_stem
from harness.atmos.resolver import CONTEXT_VARS, ProgressFn, Resolver
from harness.cachedir import CACHE_DIR_NAME, ensure_ignored

INDEX_VERSION = 1
DEFAULT_FILE = Path(CACHE_DIR_NAME) / "stack-index.json"

#: File flags: the file reads the environment (its manifests are always re-resolved), or includes files.
VOLATILE, INCLUDES = 1, 2
_VOLATILE_TAGS = re.compile(rb"!(?:env|exec)\b")
_INCLUDE_TAG = re.compile(rb"!include\b")
#: A file modified this close to the index's writing may share its mtime with the indexed version.
_RACY_NS = 2_000_000_000


class IndexedInstance(NamedTuple):
    """What ``affected`` reads of one instance."""

    stack: str
    component: str
    #: The section's ``component`` (the folder ``describe affected`` checks), or "" for the component name.
    folder: str
    deployable: bool
    inheritance: Sequence[str]
    #: (stack, component) of each instance this one needs first.
    dependencies: Sequence[Sequence[str]]
    #: (kind, path) file/folder dependencies, paths as written.
    file_deps: Sequence[Sequence[str]]
    #: The context vars (namespace, tenant, environment, stage) before templating.
    context: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.stack}/{self.component}"


class _Lazy(Mapping[str, Mapping[str, Mapping[str, Any]]]):
    def __init__(self, compute: Callable[[], dict[str, dict[str, Mapping[str, Any]]]]) -> None:
        self._compute = compute
        self._value: dict[str, dict[str, Mapping[str, Any]]] | None = None

    def _get(self) -> dict[str, dict[str, Mapping[str, Any]]]:
        if self._value is None:
            self._value = self._compute()
        return self._value

    def __getitem__(self, key: str) -> Mapping[str, Mapping[str, Any]]:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


@dataclass(frozen=True)
class ManifestRecord:
    """One top-level manifest: the files and probes it depends on, and its instances."""

    files: tuple[str, ...]
    probes: tuple[Probe, ...]
    instances: tuple[IndexedInstance, ...]
    flags: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"files": list(self.files), "probes": [list(p) for p in self.probes],
                "instances": [list(i) for i in self.instances], "flags": self.flags}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ManifestRecord:
        return cls(
            files=tuple(data["files"]),
            probes=tuple((str(p[0]), str(p[1]), str(p[2])) for p in data["probes"]),
            instances=tuple(IndexedInstance._make(i) for i in data["instances"]),
            flags=int(data.get("flags", 0)),
        )


@dataclass
class StackIndex:
    """Records of every top-level manifest, keyed by their base-relative paths (in manifest order)."""

    config: AtmosConfig
    records: dict[str, ManifestRecord] = field(default_factory=dict)
    #: Manifests resolved to bring the index up to date (the rest came from the cache).
    resolved: list[str] = field(default_factory=list)

    # -- paths -------------------------------------------------------------------------------------------
    def rel(self, path: Path | str) -> str:
        """A base-relative POSIX path, or the absolute path when outside the base path."""
        text = str(path)
        prefix = self._prefix
        return text[len(prefix):] if text.startswith(prefix) else text

    @property
    def _prefix(self) -> str:
        return str(self.config.base_path).rstrip("/") + "/"

    def abs(self, rel: str) -> Path:
        return Path(rel) if rel.startswith("/") else self.config.base_path / rel

    # -- queries -----------------------------------------------------------------------------------------
    @property
    def includes_files(self) -> bool:
        """Whether some manifest uses ``!include`` (whose targets the index does not track)."""
        return any(r.flags & INCLUDES for r in self.records.values())

    def instances(self) -> Iterable[tuple[str, IndexedInstance]]:
        for manifest, record in self.records.items():
            for inst in record.instances:
                yield manifest, inst

    def contexts(self, exclude: AbstractSet[str] = frozenset()) -> dict[str, dict[str, Mapping[str, Any]]]:
        """stack -> component -> context vars, in manifest order (for ``Resolver(known_contexts=...)``)."""
        out: dict[str, dict[str, Mapping[str, Any]]] = {}
        for manifest, inst in self.instances():
            if manifest not in exclude:
                out.setdefault(inst.stack, {}).setdefault(inst.component, inst.context)
        return out

    def lazy_contexts(self, exclude: AbstractSet[str] = frozenset()) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
        """:meth:`contexts`, computed only if a resolver needs it (few stacks look others up by context)."""
        return _Lazy(lambda: self.contexts(exclude))

    def touched(self, changed: Iterable[Path]) -> list[str]:
        """Manifests whose resolution a changed path may alter: in their closure, or where a probe looks."""
        changed_rel = {self.rel(p) for p in changed}
        stems = {path_stem(p) for p in changed_rel}
        changed_abs = [self.abs(p) for p in changed_rel]
        glob_hits: dict[tuple[str, str], bool] = {}

        def probe_hit(probe: Probe) -> bool:
            kind, where, pattern = probe
            if kind == "miss":
                return where in stems
            key = (where, pattern)
            if key not in glob_hits:
                root = self.abs(where)
                glob_hits[key] = any(
                    p.is_relative_to(root) and matches(pattern, p.relative_to(root).as_posix())
                    for p in changed_abs
                )
            return glob_hits[key]

        out: list[str] = []
        for manifest, record in self.records.items():
            if any(f in changed_rel or path_stem(f) in stems for f in record.files) or any(
                probe_hit(p) for p in record.probes
            ):
                out.append(manifest)
        return out

    # -- building ------------------------------------------------------------------------------------------
    def records_from(self, resolver: Resolver, manifests: Sequence[Path], flags: Callable[[str], int]) -> None:
        """Add the records of ``manifests`` (top-level paths) as ``resolver`` resolves them; ``flags`` gives
        a file's flags (base-relative path)."""
        by_manifest: dict[Path, list[IndexedInstance]] = {path: [] for path in manifests}
        index = resolver.index()
        for entry in resolver.entries():
            if entry.stack is None or index[entry.stack].get(entry.component) is not entry:
                continue
            inst = resolver.instance(entry.component, entry.stack)
            section = inst.section
            folder = section.get("component")
            # describe affected checks declared files/folders only when the section has settings
            file_deps = file_folder_deps(section) if isinstance(section.get("settings"), dict) else []
            variables = entry.processed.get("vars") or {}
            by_manifest.setdefault(entry.manifest.path, []).append(IndexedInstance(
                stack=inst.stack,
                component=inst.component,
                folder=folder if isinstance(folder, str) else "",
                deployable=inst.deployable,
                inheritance=[str(b) for b in section.get("inheritance") or []],
                dependencies=[[d.stack, d.component] for d in inst.dependencies],
                file_deps=[list(d) for d in file_deps],
                context={k: variables[k] for k in CONTEXT_VARS
                         if isinstance(variables, dict) and isinstance(variables.get(k), (str, int, float, bool))},
            ))
        for path, instances in by_manifest.items():
            manifest = resolver.manifest(path)
            files = tuple(self.rel(f) for f in manifest.files)
            probes = tuple(sorted((kind, self.rel(where), pattern) for kind, where, pattern in manifest.probes))
            record_flags = 0
            for f in files:
                record_flags |= flags(f)
            self.records[self.rel(path)] = ManifestRecord(files, probes, tuple(instances), record_flags)


# -- the cache file -----------------------------------------------------------------------------------------
def index_key(config: AtmosConfig, *, allow_exec: bool) -> str:
    """What every record depends on besides its files: the configuration and how stacks are processed."""
    from harness import __version__

    material = {
        "version": INDEX_VERSION,
        "harness": __version__,
        "raw": config.raw,
        "paths": [str(config.base_path), str(config.stacks_base_path), str(config.components_base_path)],
        "included": list(config.included_paths),
        "excluded": list(config.excluded_paths),
        "allow_exec": allow_exec,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _flags(data: bytes) -> int:
    return (VOLATILE if _VOLATILE_TAGS.search(data) else 0) | (INCLUDES if _INCLUDE_TAG.search(data) else 0)


class _FileTable:
    """Per file: size, mtime, content digest and flags, as when the index was written; checks what changed."""

    def __init__(self, entries: Mapping[str, Sequence[Any]], written_ns: int, index: StackIndex) -> None:
        self.entries: dict[str, list[Any]] = {k: list(v) for k, v in entries.items()}
        self.written_ns = written_ns
        self.index = index
        self.dirty = False
        self._same: dict[str, bool] = {}

    def unchanged(self, rel: str) -> bool:
        """Whether the file holds what it held when the index was written (stat first, content if unsure)."""
        known = self._same.get(rel)
        if known is not None:
            return known
        entry = self.entries.get(rel)
        same = False
        if entry is not None:
            try:
                st = os.stat(self.index.abs(rel))
            except OSError:
                st = None
            if st is not None:
                if st.st_size == entry[0] and st.st_mtime_ns == entry[1] and \
                        st.st_mtime_ns < self.written_ns - _RACY_NS:
                    same = True
                elif st.st_size == entry[0]:
                    same = self.record(rel) == entry[2]
        self._same[rel] = same
        return same

    def record(self, rel: str) -> str | None:
        """Read the file now and remember its stat, digest and flags; returns the digest."""
        path = self.index.abs(rel)
        try:
            st = os.stat(path)
            data = path.read_bytes()
        except OSError:
            self.entries.pop(rel, None)
            return None
        digest = _digest(data)
        old = self.entries.get(rel)
        new = [st.st_size, st.st_mtime_ns, digest, _flags(data)]
        if old != new:
            self.entries[rel] = new
            self.dirty = True
        return digest

    def flags(self, rel: str) -> int:
        """The file's flags, recording it first when it changed since the index was written."""
        if not self.unchanged(rel):
            self.record(rel)
        entry = self.entries.get(rel)
        return int(entry[3]) if entry is not None else 0


class _Probes:
    """What each import probe finds now (globs run once per pattern, however many manifests share them)."""

    def __init__(self, index: StackIndex) -> None:
        self.index = index
        self._found: dict[Probe, tuple[str, ...] | bool] = {}

    def unchanged(self, probe: Probe, closure: frozenset[str]) -> bool:
        """A glob still matches only files of the closure; an optional import still finds nothing."""
        found = self._found.get(probe)
        if found is None:
            kind, where, pattern = probe
            if kind == "miss":
                base = str(self.index.abs(where))
                found = not any(os.path.isfile(base + ext) for ext in STACK_EXTENSIONS)
            else:
                root = self.index.abs(where)
                found = tuple(self.index.rel(root / m)
                              for m in glob.glob(pattern, root_dir=str(root), flags=GLOB_FLAGS))
            self._found[probe] = found
        if isinstance(found, bool):
            return found
        return all(f in closure for f in found)


def load_index(
    config: AtmosConfig,
    cache_file: Path | None,
    *,
    allow_exec: bool = False,
    env: Mapping[str, str] | None = None,
    progress: ProgressFn | None = None,
) -> StackIndex:
    """The index of every top-level manifest, from ``cache_file`` where still valid (saved back if stale).

    ``cache_file=None`` builds it in memory. A missing, corrupt or foreign cache file is rebuilt.
    ``progress`` hears of each stale manifest resolved (done, total, name).
    """
    index = StackIndex(config)
    key = index_key(config, allow_exec=allow_exec)
    cached: Mapping[str, Any] = {}
    if cache_file is not None:
        try:
            data = json.loads(cache_file.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("key") == key and data.get("version") == INDEX_VERSION:
                cached = data
        except (OSError, ValueError):
            cached = {}
    try:
        table = _FileTable(cached.get("files") or {}, int(cached.get("written_ns") or 0), index)
        old = {k: ManifestRecord.from_json(v) for k, v in (cached.get("manifests") or {}).items()}
    except (KeyError, TypeError, ValueError, IndexError):
        table, old = _FileTable({}, 0, index), {}

    manifests = stack_files(config)
    probes = _Probes(index)
    stale: list[Path] = []
    for path in manifests:
        record = old.get(index.rel(path))
        if (
            record is None
            or record.flags & VOLATILE
            or not all(table.unchanged(f) for f in record.files)
            or not all(probes.unchanged(p, frozenset(record.files)) for p in record.probes)
        ):
            stale.append(path)
        else:
            index.records[index.rel(path)] = record
    if stale:
        # the kept records stand in for the stacks left out; a full rebuild needs none
        known = index.lazy_contexts() if index.records else None
        resolver = Resolver(config, allow_exec=allow_exec, env=env, files=stale, known_contexts=known,
                            progress=progress)
        index.records_from(resolver, stale, table.flags)
        index.records = {index.rel(p): index.records[index.rel(p)] for p in manifests}  # manifest order
        index.resolved = [index.rel(p) for p in stale]
    if cache_file is not None and (stale or table.dirty or old.keys() != index.records.keys()):
        _save(cache_file, key, index, table)
    return index


def _save(cache_file: Path, key: str, index: StackIndex, table: _FileTable) -> None:
    """Write atomically; a cache that cannot be written only costs the next run time."""
    used = {f for r in index.records.values() for f in r.files}
    data = {
        "version": INDEX_VERSION,
        "key": key,
        "written_ns": time.time_ns(),
        "files": {f: e for f, e in table.entries.items() if f in used},
        "manifests": {k: r.to_json() for k, r in index.records.items()},
    }
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        ensure_ignored(cache_file.parent)
        fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".tmp-", suffix=".json")
        # json.dumps, not json.dump: dump streams through the pure-Python encoder (10x slower on a large index)
        text = json.dumps(data, separators=(",", ":"), default=str)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, cache_file)
    except OSError:
        return
