"""A compact summary of every instance, cached on disk, so ``affected`` need not resolve every stack.

A one-file change touches a few top-level manifests; to know what else it affects, ``affected`` needs only a
handful of facts about every other instance: its stack and component, its folder, whether it is deployable,
its inheritance chain, what it depends on (components, files, folders). Per top-level manifest the index
keeps those facts with the files its imports pulled in (with content digests) and its import probes
(globs, optional imports that found nothing). A record stays valid while none of its files changes, no file
appears where a probe looks, and the repository's ``atmos.yaml`` is the same; stale records are re-resolved
alone. Records of manifests that read the environment (``!env``, ``!exec``) are re-resolved every time.

The cache is an SQLite database holding, besides each record, the maps a change is looked up in: file ->
the manifests that import it, probe -> the manifests that made it, stack -> its manifests, component folder
-> its instances, producer -> its consumers, declared file -> its instances. So a run reads only what the
change reaches: loading the index stats the indexed files and the folders of the stacks tree (a folder's
listing is read again only when its mtime moved, which is how files appearing under an import glob, new
manifests and deleted ones are found) and the records of the manifests found stale; answering reads the
rows of what changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import stat
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from wcmatch import glob

from harness.atmos.affected import file_folder_deps
from harness.atmos.config import AtmosConfig
from harness.atmos.discovery import GLOB_FLAGS, STACK_EXTENSIONS, is_stack_manifest, matches, stack_files
from harness.atmos.manifest import Probe, path_stem
from harness.atmos.resolver import CONTEXT_VARS, ProgressFn, Resolver
from harness.cachedir import CACHE_DIR_NAME, ensure_ignored

INDEX_VERSION = 2
DEFAULT_FILE = Path(CACHE_DIR_NAME) / "stack-index.sqlite"

#: File flags: the file reads the environment (its manifests are always re-resolved), or includes files.
VOLATILE, INCLUDES = 1, 2
_VOLATILE_TAGS = re.compile(rb"!(?:env|exec)\b")
_INCLUDE_TAG = re.compile(rb"!include\b")
#: A file (or folder) modified this close to when it was last read may share its mtime with what was read.
_RACY_NS = 2_000_000_000
#: Values bound to one SQL statement at most (SQLite's limit is higher; this keeps statements small).
_CHUNK = 500


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

    def context_groups(self) -> list[list[Any]]:
        """[stack, context, [components]] for runs of instances sharing stack and context, in order."""
        groups: list[list[Any]] = []
        for inst in self.instances:
            context = dict(inst.context)
            if groups and groups[-1][0] == inst.stack and groups[-1][1] == context:
                groups[-1][2].append(inst.component)
            else:
                groups.append([inst.stack, context, [inst.component]])
        return groups


# -- the database ------------------------------------------------------------------------------------------
_TABLES = """
CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE manifests(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, flags INTEGER NOT NULL);
CREATE TABLE records(manifest INTEGER PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE contexts(manifest INTEGER PRIMARY KEY, groups TEXT NOT NULL);
CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, stem TEXT NOT NULL, size INTEGER NOT NULL,
                   mtime_ns INTEGER NOT NULL, digest TEXT NOT NULL, flags INTEGER NOT NULL,
                   seen_ns INTEGER NOT NULL);
CREATE TABLE imports(file INTEGER NOT NULL, manifest INTEGER NOT NULL);
CREATE TABLE probes(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, at TEXT NOT NULL, pattern TEXT NOT NULL,
                    UNIQUE(kind, at, pattern));
CREATE TABLE probe_uses(probe INTEGER NOT NULL, manifest INTEGER NOT NULL);
CREATE TABLE instances(manifest INTEGER NOT NULL, stack TEXT NOT NULL, component TEXT NOT NULL,
                       folder TEXT NOT NULL, deployable INTEGER NOT NULL);
CREATE TABLE deps(producer TEXT NOT NULL, consumer TEXT NOT NULL, manifest INTEGER NOT NULL);
CREATE TABLE file_deps(kind TEXT NOT NULL, path TEXT NOT NULL, consumer TEXT NOT NULL, manifest INTEGER NOT NULL,
                       pos INTEGER NOT NULL);
CREATE TABLE folders(folder TEXT PRIMARY KEY);
CREATE TABLE dirs(path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, seen_ns INTEGER NOT NULL,
                  entries TEXT NOT NULL);
"""
# Created after a full build's rows are in (faster than keeping them up to date row by row).
_INDEXES = """
CREATE INDEX files_stem ON files(stem);
CREATE INDEX imports_file ON imports(file);
CREATE INDEX imports_manifest ON imports(manifest);
CREATE INDEX probes_at ON probes(kind, at);
CREATE INDEX probe_uses_probe ON probe_uses(probe);
CREATE INDEX probe_uses_manifest ON probe_uses(manifest);
CREATE INDEX instances_stack ON instances(stack);
CREATE INDEX instances_folder ON instances(deployable, folder);
CREATE INDEX instances_manifest ON instances(manifest);
CREATE INDEX deps_producer ON deps(producer);
CREATE INDEX deps_manifest ON deps(manifest);
CREATE INDEX file_deps_path ON file_deps(kind, path);
CREATE INDEX file_deps_manifest ON file_deps(manifest);
"""
#: Tables holding rows per manifest (its id in column ``manifest``).
_PER_MANIFEST = ("records", "contexts", "imports", "probe_uses", "instances", "deps", "file_deps")


def _connect(target: str) -> sqlite3.Connection:
    db = sqlite3.connect(target, isolation_level=None, timeout=30, check_same_thread=False)
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def _chunks(values: Collection[Any]) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _ids(db: sqlite3.Connection, manifests: Iterable[str]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(set(manifests)):
        found.update(i for (i,) in db.execute(f"SELECT id FROM manifests WHERE path IN ({_marks(chunk)})", chunk))
    return found


class _Records(Mapping[str, ManifestRecord]):
    """The records of the index, read from the database when asked for (in manifest order)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __getitem__(self, key: str) -> ManifestRecord:
        row = self._db.execute("SELECT r.record FROM manifests m JOIN records r ON r.manifest = m.id "
                               "WHERE m.path = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return ManifestRecord.from_json(json.loads(row[0]))

    def __iter__(self) -> Iterator[str]:
        return iter([p for (p,) in self._db.execute("SELECT path FROM manifests ORDER BY path")])

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM manifests").fetchone()[0])

    def __contains__(self, key: object) -> bool:
        return self._db.execute("SELECT 1 FROM manifests WHERE path = ?", (key,)).fetchone() is not None

    def items_in_order(self) -> Iterator[tuple[str, ManifestRecord]]:
        rows = self._db.execute("SELECT m.path, r.record FROM manifests m JOIN records r ON r.manifest = m.id "
                                "ORDER BY m.path").fetchall()
        for path, text in rows:
            yield path, ManifestRecord.from_json(json.loads(text))


class StackIndex:
    """Records of every top-level manifest, keyed by their base-relative paths (in manifest order).

    The records live in a database (the cache file's, or one in memory); the queries below are what
    ``affected`` asks of them. :meth:`close` releases it (``load_index`` callers use ``with``).
    """

    def __init__(self, config: AtmosConfig, db: sqlite3.Connection) -> None:
        self.config = config
        self._db = db
        #: Manifests resolved to bring the index up to date (the rest came from the cache).
        self.resolved: list[str] = []

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StackIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    def abs_str(self, rel: str) -> str:
        """:meth:`abs` as a string (no path object: the index checks thousands of files per run)."""
        return rel if rel.startswith("/") else self._prefix + rel

    # -- queries -----------------------------------------------------------------------------------------
    @property
    def records(self) -> Mapping[str, ManifestRecord]:
        """Manifest -> record, read when asked for."""
        return _Records(self._db)

    @property
    def includes_files(self) -> bool:
        """Whether some manifest uses ``!include`` (whose targets the index does not track)."""
        return self._db.execute("SELECT 1 FROM manifests WHERE flags & ? LIMIT 1", (INCLUDES,)).fetchone() \
            is not None

    def instances(self) -> Iterable[tuple[str, IndexedInstance]]:
        """Every instance with its manifest, in manifest order (reads every record: for tests and tools)."""
        for manifest, record in _Records(self._db).items_in_order():
            for inst in record.instances:
                yield manifest, inst

    def ids(self, manifests: Iterable[str]) -> set[int]:
        """The database ids of some manifests."""
        return _ids(self._db, manifests)

    def _paths(self, ids: Collection[int]) -> list[str]:
        found: list[str] = []
        for chunk in _chunks(ids):
            found.extend(p for (p,) in self._db.execute(
                f"SELECT path FROM manifests WHERE id IN ({_marks(chunk)})", chunk))
        return sorted(found)

    def contexts(self, exclude: AbstractSet[str] = frozenset()) -> dict[str, dict[str, Mapping[str, Any]]]:
        """stack -> component -> context vars, in manifest order (for ``Resolver(known_contexts=...)``)."""
        out: dict[str, dict[str, Mapping[str, Any]]] = {}
        rows = self._db.execute("SELECT m.path, c.groups FROM manifests m JOIN contexts c ON c.manifest = m.id "
                                "ORDER BY m.path").fetchall()
        for manifest, text in rows:
            if manifest in exclude:
                continue
            for stack, context, components in json.loads(text):
                per_stack = out.setdefault(stack, {})
                for component in components:
                    per_stack.setdefault(component, context)
        return out

    def lazy_contexts(self, exclude: AbstractSet[str] = frozenset()) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
        """:meth:`contexts`, computed only if a resolver needs it (few stacks look others up by context)."""
        return _Lazy(lambda: self.contexts(exclude))

    def touched(self, changed: Iterable[Path]) -> list[str]:
        """Manifests whose resolution a changed path may alter: in their closure, or where a probe looks."""
        changed_rel = {self.rel(p) for p in changed}
        stems = {path_stem(p) for p in changed_rel}
        ids = self._importers_of_stems(stems)
        ids |= self._probe_users(self._probes_hit([self.abs(p) for p in changed_rel], stems))
        return self._paths(ids)

    def _importers_of_stems(self, stems: Collection[str]) -> set[int]:
        ids: set[int] = set()
        for chunk in _chunks(stems):
            ids.update(m for (m,) in self._db.execute(
                f"SELECT DISTINCT i.manifest FROM files f JOIN imports i ON i.file = f.id "
                f"WHERE f.stem IN ({_marks(chunk)})", chunk))
        return ids

    def _probes_hit(self, paths: Sequence[Path], stems: Collection[str]) -> set[int]:
        """Probes whose answer these paths (appearing or disappearing) may change."""
        hit: set[int] = set()
        for chunk in _chunks(stems):
            hit.update(p for (p,) in self._db.execute(
                f"SELECT id FROM probes WHERE kind = 'miss' AND at IN ({_marks(chunk)})", chunk))
        if paths:
            for probe_id, where, pattern in self._db.execute(
                    "SELECT id, at, pattern FROM probes WHERE kind = 'glob'").fetchall():
                root = self.abs(where)
                if any(p.is_relative_to(root) and matches(pattern, p.relative_to(root).as_posix()) for p in paths):
                    hit.add(probe_id)
        return hit

    def _probe_users(self, probes: Collection[int]) -> set[int]:
        ids: set[int] = set()
        for chunk in _chunks(probes):
            ids.update(m for (m,) in self._db.execute(
                f"SELECT DISTINCT manifest FROM probe_uses WHERE probe IN ({_marks(chunk)})", chunk))
        return ids

    def manifests_of_stacks(self, stacks: Collection[str]) -> set[str]:
        """The manifests that produce instances of these stacks."""
        ids: set[int] = set()
        for chunk in _chunks(stacks):
            ids.update(m for (m,) in self._db.execute(
                f"SELECT DISTINCT manifest FROM instances WHERE stack IN ({_marks(chunk)})", chunk))
        return set(self._paths(ids))

    def folders(self) -> list[str]:
        """The component folders of the deployable instances."""
        return [f for (f,) in self._db.execute("SELECT folder FROM folders")]

    def in_folder(self, folder: str, exclude: AbstractSet[int] = frozenset()) -> list[str]:
        """Ids of the deployable instances of a component folder, outside the ``exclude`` manifest ids."""
        return [f"{s}/{c}" for s, c, m in self._db.execute(
            "SELECT stack, component, manifest FROM instances WHERE deployable = 1 AND folder = ?", (folder,))
            if m not in exclude]

    def file_deps(self) -> list[tuple[str, str]]:
        """The distinct (kind, path) file/folder dependencies declared by deployable instances."""
        return [(k, p) for k, p in self._db.execute("SELECT DISTINCT kind, path FROM file_deps")]

    def declaring(self, kind: str, path: str,
                  exclude: AbstractSet[int] = frozenset()) -> dict[str, list[tuple[str, str]]]:
        """Deployable instances declaring this dependency -> all their (kind, path) dependencies, in order."""
        found = {(c, m) for c, m in self._db.execute(
            "SELECT consumer, manifest FROM file_deps WHERE kind = ? AND path = ?", (kind, path)) if m not in exclude}
        out: dict[str, list[tuple[str, str]]] = {}
        for consumer, manifest in sorted(found):
            out[consumer] = [(k, p) for k, p in self._db.execute(
                "SELECT kind, path FROM file_deps WHERE consumer = ? AND manifest = ? ORDER BY pos",
                (consumer, manifest))]
        return out

    def consumers(self, producer: str, exclude: AbstractSet[int] = frozenset()) -> list[str]:
        """Ids of the deployable instances that depend on ``producer`` (an id), outside ``exclude`` manifests."""
        return [c for c, m in self._db.execute("SELECT consumer, manifest FROM deps WHERE producer = ?", (producer,))
                if m not in exclude]


def _build_records(index: StackIndex, resolver: Resolver, manifests: Sequence[Path],
                   flags: Callable[[str], int]) -> dict[str, ManifestRecord]:
    """The records of ``manifests`` (top-level paths) as ``resolver`` resolves them; ``flags`` gives a file's
    flags (base-relative path)."""
    by_manifest: dict[Path, list[IndexedInstance]] = {path: [] for path in manifests}
    resolved = resolver.index()
    for entry in resolver.entries():
        if entry.stack is None or resolved[entry.stack].get(entry.component) is not entry:
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
    out: dict[str, ManifestRecord] = {}
    for path, instances in by_manifest.items():
        manifest = resolver.manifest(path)
        files = tuple(index.rel(f) for f in manifest.files)
        probes = tuple(sorted((kind, index.rel(where), pattern) for kind, where, pattern in manifest.probes))
        record_flags = 0
        for f in files:
            record_flags |= flags(f)
        out[index.rel(path)] = ManifestRecord(files, probes, tuple(instances), record_flags)
    return out


# -- what changed since the index was written ---------------------------------------------------------------
def index_key(config: AtmosConfig, *, allow_exec: bool) -> str:
    """What every record depends on besides its files: the configuration and how stacks are processed."""
    from harness import __version__

    material = {
        "version": INDEX_VERSION,
        "schema": hashlib.sha256((_TABLES + _INDEXES).encode()).hexdigest(),
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
    """Per indexed file: size, mtime, content digest, flags and when it was read; checks what changed."""

    def __init__(self, entries: dict[str, list[Any]], index: StackIndex) -> None:
        #: path -> [size, mtime_ns, digest, flags, seen_ns]
        self.entries = entries
        self.index = index
        self.dirty: set[str] = set()
        self._same: dict[str, bool] = {}

    def unchanged(self, rel: str) -> bool:
        """Whether the file holds what it held when it was read (stat first, content if unsure)."""
        known = self._same.get(rel)
        if known is not None:
            return known
        entry = self.entries.get(rel)
        same = False
        if entry is not None:
            try:
                st = os.stat(self.index.abs_str(rel))
            except OSError:
                st = None
            if st is not None and st.st_size == entry[0]:
                if st.st_mtime_ns == entry[1] and st.st_mtime_ns < entry[4] - _RACY_NS:
                    same = True
                else:
                    same = self.record(rel) == entry[2]
        self._same[rel] = same
        return same

    def record(self, rel: str) -> str | None:
        """Read the file now and remember its stat, digest and flags; returns the digest."""
        path = self.index.abs(rel)
        seen = time.time_ns()
        try:
            st = os.stat(path)
            data = path.read_bytes()
        except OSError:
            if self.entries.pop(rel, None) is not None:
                self.dirty.add(rel)
            return None
        digest = _digest(data)
        old = self.entries.get(rel)
        new: list[Any] = [st.st_size, st.st_mtime_ns, digest, _flags(data), seen]
        # the same file read again: worth writing only once it is no longer racy (then stat alone decides)
        if old is None or old[:4] != new[:4] or (old[1] >= old[4] - _RACY_NS and new[1] < seen - _RACY_NS):
            self.entries[rel] = new
            self.dirty.add(rel)
        return digest

    def flags(self, rel: str) -> int:
        """The file's flags, recording it first when it changed since it was read."""
        if not self.unchanged(rel):
            self.record(rel)
        entry = self.entries.get(rel)
        return int(entry[3]) if entry is not None else 0

    def changed(self) -> list[str]:
        """The indexed files whose content changed (or that are gone)."""
        out: list[str] = []
        prefix, same, racy = self.index._prefix, self._same, _RACY_NS
        for rel, entry in list(self.entries.items()):  # the loop of every run: stat only, nothing slow
            try:
                st = os.stat(rel if rel.startswith("/") else prefix + rel)
            except OSError:
                st = None
            if st is not None and st.st_mtime_ns == entry[1] and st.st_size == entry[0] \
                    and entry[1] < entry[4] - racy:
                same[rel] = True
            elif not self.unchanged(rel):
                out.append(rel)
        return out


class _Tree:
    """The folders of the stacks tree with their mtimes and listings: what appeared or disappeared.

    A folder's mtime moves whenever an entry is created, deleted or renamed in it, so only such folders are
    listed again. A tree holding a symbolic link to a folder cannot be watched this way (what is under the
    link changes without the link's folder knowing): ``watchable`` is False then.
    """

    def __init__(self, index: StackIndex) -> None:
        self.index = index
        #: base-relative folder -> [mtime_ns, seen_ns, entries]; entries are names, folders ending in "/".
        self.rows: dict[str, list[Any]] = {}
        self.dirty: set[str] = set()
        self.gone: set[str] = set()
        #: The rows were listed afresh (nothing of an older listing is kept).
        self.fresh = False
        self.watchable = True
        self.added: set[Path] = set()
        self.removed: set[Path] = set()

    def load(self, rows: Iterable[tuple[str, int, int, str]]) -> None:
        self.rows = {path: [mtime, seen, entries] for path, mtime, seen, entries in rows}

    def _entries(self, key: str) -> list[str]:
        row = self.rows[key]
        if isinstance(row[2], str):
            row[2] = json.loads(row[2])
        entries: list[str] = row[2]
        return entries

    def _list(self, folder: str) -> tuple[int, int, list[str]] | None:
        seen = time.time_ns()
        names: list[str] = []
        try:
            mtime = os.stat(folder).st_mtime_ns
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        names.append(entry.name + "/")
                    else:
                        if entry.is_symlink() and entry.is_dir():
                            self.watchable = False
                        names.append(entry.name)
        except OSError:
            return None
        return mtime, seen, sorted(names)

    def scan(self, folder: str, *, new: bool = False) -> None:
        """Record ``folder`` and everything under it (``new``: its files count as added)."""
        listed = self._list(folder)
        if listed is None:
            return
        key = self.index.rel(folder)
        self.rows[key] = list(listed)
        self.dirty.add(key)
        self.gone.discard(key)
        for name in listed[2]:
            if name.endswith("/"):
                self.scan(f"{folder}/{name[:-1]}", new=new)
            elif new:
                self.added.add(Path(f"{folder}/{name}"))

    def check(self) -> None:
        """Compare every recorded folder with the disk: fills ``added`` and ``removed`` (files)."""
        for key in sorted(self.rows):  # a folder before what is under it
            if key not in self.rows or key in self.dirty:
                continue
            folder = self.index.abs_str(key)
            mtime, seen = self.rows[key][0], self.rows[key][1]
            try:
                st = os.stat(folder, follow_symlinks=False)
            except OSError:
                st = None
            if st is None or not stat.S_ISDIR(st.st_mode):
                self._drop(key)
                continue
            if st.st_mtime_ns == mtime and mtime < seen - _RACY_NS:
                continue
            listed = self._list(folder)
            if listed is None:
                self._drop(key)
                continue
            old = self._entries(key)
            names = listed[2]
            known = set(old)
            for name in names:
                if name not in known:
                    if name.endswith("/"):
                        self.scan(f"{folder}/{name[:-1]}", new=True)
                    else:
                        self.added.add(Path(f"{folder}/{name}"))
            for name in known.difference(names):
                if not name.endswith("/"):  # a folder gone is dropped when its own row comes
                    self.removed.add(Path(f"{folder}/{name}"))
            racy_before, racy_now = mtime >= seen - _RACY_NS, listed[0] >= listed[1] - _RACY_NS
            if names != old or listed[0] != mtime or (racy_before and not racy_now):
                self.rows[key] = list(listed)
                self.dirty.add(key)

    def _drop(self, key: str) -> None:
        """A recorded folder is gone: everything under it counts as removed."""
        if key not in self.rows:
            return
        folder = self.index.abs_str(key)
        entries = self._entries(key)
        del self.rows[key]
        self.dirty.discard(key)
        self.gone.add(key)
        for name in entries:
            if name.endswith("/"):
                self._drop(self.index.rel(f"{folder}/{name[:-1]}"))
            else:
                self.removed.add(Path(f"{folder}/{name}"))


def _probe_stale(index: StackIndex, db: sqlite3.Connection, probe_id: int, kind: str, where: str,
                 pattern: str) -> set[int]:
    """Manifests (ids) whose probe finds something new now: a glob matching a file outside their closure,
    or an optional import finding a file."""
    users = {m for (m,) in db.execute("SELECT manifest FROM probe_uses WHERE probe = ?", (probe_id,))}
    if kind == "miss":
        base = str(index.abs(where))
        return users if any(os.path.isfile(base + ext) for ext in STACK_EXTENSIONS) else set()
    root = index.abs(where)
    stale: set[int] = set()
    for match in glob.glob(pattern, root_dir=str(root), flags=GLOB_FLAGS):
        importers = {m for (m,) in db.execute("SELECT i.manifest FROM files f JOIN imports i ON i.file = f.id "
                                              "WHERE f.path = ?", (index.rel(root / match),))}
        stale |= users - importers
    return stale


# -- loading and saving ------------------------------------------------------------------------------------
def _open(cache_file: Path, key: str) -> sqlite3.Connection | None:
    """The cache database when it is one of this version and key."""
    if not cache_file.is_file():
        return None
    db: sqlite3.Connection | None = None
    try:
        db = _connect(str(cache_file))
        meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("version") == str(INDEX_VERSION) and meta.get("key") == key:
            return db
    except sqlite3.Error:
        pass
    if db is not None:
        db.close()
    return None


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
    ``progress`` hears of each stale manifest resolved (done, total, name). Close the index when done.
    """
    key = index_key(config, allow_exec=allow_exec)
    db = _open(cache_file, key) if cache_file is not None else None
    if db is not None:
        try:
            return _refresh(config, db, allow_exec=allow_exec, env=env, progress=progress)
        except sqlite3.DatabaseError:  # a damaged file: start again
            with contextlib.suppress(sqlite3.Error):
                db.close()
    return _build(config, key, cache_file, allow_exec=allow_exec, env=env, progress=progress)


def _build(config: AtmosConfig, key: str, target: Path | None, *, allow_exec: bool, env: Mapping[str, str] | None,
           progress: ProgressFn | None) -> StackIndex:
    """A new index: every manifest resolved, written to a new database that then replaces ``target``."""
    tmp: str | None = None
    db: sqlite3.Connection | None = None
    if target is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            ensure_ignored(target.parent)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".sqlite")
            os.close(fd)
            db = _connect(tmp)
            db.execute("PRAGMA journal_mode=OFF")  # a new file: nothing to roll back to
        except (OSError, sqlite3.Error):
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            db, tmp = None, None
    if db is None:
        db = _connect(":memory:")
    db.executescript(_TABLES)
    index = StackIndex(config, db)
    tree = _Tree(index)
    tree.fresh = True
    tree.scan(str(config.stacks_base_path))  # before resolving: what changes meanwhile is seen next time
    manifests = stack_files(config)
    table = _FileTable({}, index)
    resolver = Resolver(config, allow_exec=allow_exec, env=env, files=manifests, progress=progress)
    records = _build_records(index, resolver, manifests, table.flags)
    db.execute("BEGIN")
    _write(db, index, records, (), table, tree)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("version", str(INDEX_VERSION)), ("key", key)])
    for statement in filter(str.strip, _INDEXES.split(";")):
        db.execute(statement)
    db.execute("COMMIT")
    index.resolved = [index.rel(p) for p in manifests]
    if tmp is not None and target is not None:
        try:
            db.close()
            os.replace(tmp, target)
            index._db = _connect(str(target))
        except (OSError, sqlite3.Error):  # the next run builds it again
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            rebuilt = _build(config, key, None, allow_exec=allow_exec, env=env, progress=None)
            rebuilt.resolved = index.resolved
            return rebuilt
    return index


def _refresh(config: AtmosConfig, db: sqlite3.Connection, *, allow_exec: bool, env: Mapping[str, str] | None,
             progress: ProgressFn | None) -> StackIndex:
    """The cached index brought up to date: stale records re-resolved, new manifests added, deleted dropped."""
    index = StackIndex(config, db)
    table = _FileTable({p: [size, mtime, digest, flags, seen] for p, size, mtime, digest, flags, seen in db.execute(
        "SELECT path, size, mtime_ns, digest, flags, seen_ns FROM files")}, index)
    stacks_root = config.stacks_base_path
    tree = _Tree(index)
    tree.load(db.execute("SELECT path, mtime_ns, seen_ns, entries FROM dirs"))
    watched = index.rel(stacks_root) in tree.rows
    if watched:
        tree.check()
        watched = tree.watchable and index.rel(stacks_root) in tree.rows

    stale: set[int] = set()
    for chunk in _chunks(table.changed()):
        stale.update(m for (m,) in db.execute(
            f"SELECT DISTINCT i.manifest FROM files f JOIN imports i ON i.file = f.id "
            f"WHERE f.path IN ({_marks(chunk)})", chunk))
    stale.update(m for (m,) in db.execute("SELECT id FROM manifests WHERE flags & ?", (VOLATILE,)))
    probes = db.execute("SELECT id, kind, at, pattern FROM probes").fetchall()
    if watched:
        moved = sorted(tree.added | tree.removed)
        stems = {path_stem(index.rel(p)) for p in moved}
        # files appearing or going: a sibling with the same stem (x.yaml.tmpl beside x.yaml) wins over an
        # imported file, and a probe may find something else now
        stale |= index._importers_of_stems(stems)
        stale |= index._probe_users(index._probes_hit(moved, stems))
        for probe_id, kind, where, pattern in probes:  # probes looking outside the watched tree: asked again
            if not index.abs(where).is_relative_to(stacks_root):
                stale |= _probe_stale(index, db, probe_id, kind, where, pattern)
        new = [p for p in sorted(tree.added) if is_stack_manifest(p, config)]
        removed = index.ids(index.rel(p) for p in tree.removed)
    else:  # every probe asked again, every manifest listed
        for probe_id, kind, where, pattern in probes:
            stale |= _probe_stale(index, db, probe_id, kind, where, pattern)
        known = dict(db.execute("SELECT path, id FROM manifests").fetchall())
        manifests = stack_files(config)
        now = {index.rel(p) for p in manifests}
        new = [p for p in manifests if index.rel(p) not in known]
        removed = {i for p, i in known.items() if p not in now}
        tree = _Tree(index)
        tree.fresh = True
        tree.scan(str(stacks_root))
    stale -= removed
    stale_paths = index._paths(stale)
    removed |= index.ids(p for p in stale_paths if not index.abs(p).is_file())  # gone since (unwatched tree)
    to_resolve = sorted({*(index.abs(p) for p in stale_paths if index.abs(p).is_file()), *new}, key=index.rel)
    records: dict[str, ManifestRecord] = {}
    if to_resolve:
        dropped = stale | removed
        total = int(db.execute("SELECT count(*) FROM manifests").fetchone()[0])
        # the kept records stand in for the stacks left out; a full rebuild needs none
        known_contexts = index.lazy_contexts(exclude=frozenset(index._paths(dropped))) if total > len(dropped) \
            else None
        resolver = Resolver(config, allow_exec=allow_exec, env=env, files=to_resolve, known_contexts=known_contexts,
                            progress=progress)
        records = _build_records(index, resolver, to_resolve, table.flags)
        index.resolved = [index.rel(p) for p in to_resolve]
    if records or removed or table.dirty or (tree.watchable and (tree.dirty or tree.gone)):
        index._db = _save(db, index, records, stale | removed, table, tree)
    return index


def _save(db: sqlite3.Connection, index: StackIndex, records: Mapping[str, ManifestRecord], delete: Collection[int],
          table: _FileTable, tree: _Tree) -> sqlite3.Connection:
    """Write the changes in one transaction; where the file cannot take them, into a copy in memory."""
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            _write(db, index, records, delete, table, tree)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return db
    except sqlite3.OperationalError:  # read-only or locked for too long: this run still needs the answer
        memory = _connect(":memory:")
        db.backup(memory)
        db.close()
        memory.execute("BEGIN")
        _write(memory, index, records, delete, table, tree)
        memory.execute("COMMIT")
        return memory


def _write(db: sqlite3.Connection, index: StackIndex, records: Mapping[str, ManifestRecord], delete: Collection[int],
           table: _FileTable, tree: _Tree) -> None:
    """Rows of ``records`` in, rows of the ``delete`` manifest ids (and of the re-resolved ones) out."""
    replaced = _ids(db, records) | set(delete)
    orphans: set[int] = set()
    for chunk in _chunks(replaced):
        marks = _marks(chunk)
        orphans.update(f for (f,) in db.execute(f"SELECT DISTINCT file FROM imports WHERE manifest IN ({marks})",
                                                chunk))
        for name in _PER_MANIFEST:
            db.execute(f"DELETE FROM {name} WHERE manifest IN ({marks})", chunk)
        db.execute(f"DELETE FROM manifests WHERE id IN ({marks})", chunk)
    # files: what was read this run
    for rel in sorted(table.dirty):
        entry = table.entries.get(rel)
        if entry is None:  # gone: its importers are all replaced
            orphans.update(f for (f,) in db.execute("SELECT id FROM files WHERE path = ?", (rel,)))
            continue
        db.execute("INSERT INTO files(path, stem, size, mtime_ns, digest, flags, seen_ns) VALUES (?,?,?,?,?,?,?) "
                   "ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
                   "digest = excluded.digest, flags = excluded.flags, seen_ns = excluded.seen_ns",
                   (rel, path_stem(rel), *entry))
    file_ids: dict[str, int] = {}
    probe_ids: dict[Probe, int] = {}

    def file_id(rel: str) -> int:
        found = file_ids.get(rel)
        if found is None:
            row = db.execute("SELECT id FROM files WHERE path = ?", (rel,)).fetchone()
            if row is None:  # imported but unreadable now: no digest matches it, so it is stale next time
                db.execute("INSERT INTO files(path, stem, size, mtime_ns, digest, flags, seen_ns) "
                           "VALUES (?, ?, -1, 0, '', 0, 0)", (rel, path_stem(rel)))
                row = db.execute("SELECT id FROM files WHERE path = ?", (rel,)).fetchone()
            found = file_ids[rel] = int(row[0])
        return found

    def probe_id(probe: Probe) -> int:
        found = probe_ids.get(probe)
        if found is None:
            db.execute("INSERT OR IGNORE INTO probes(kind, at, pattern) VALUES (?, ?, ?)", probe)
            row = db.execute("SELECT id FROM probes WHERE kind = ? AND at = ? AND pattern = ?", probe).fetchone()
            found = probe_ids[probe] = int(row[0])
        return found

    imports: list[tuple[int, int]] = []
    uses: list[tuple[int, int]] = []
    instances: list[tuple[int, str, str, str, int]] = []
    deps: list[tuple[str, str, int]] = []
    file_deps: list[tuple[str, str, str, int, int]] = []
    blobs: list[tuple[int, str]] = []
    contexts: list[tuple[int, str]] = []
    for rel, record in records.items():
        cursor = db.execute("INSERT INTO manifests(path, flags) VALUES (?, ?)", (rel, record.flags))
        mid = int(cursor.lastrowid or 0)
        blobs.append((mid, json.dumps(record.to_json(), separators=(",", ":"), default=str)))
        contexts.append((mid, json.dumps(record.context_groups(), separators=(",", ":"), default=str)))
        imports.extend((file_id(f), mid) for f in dict.fromkeys(record.files))
        uses.extend((probe_id(p), mid) for p in dict.fromkeys(record.probes))
        for inst in record.instances:
            instances.append((mid, inst.stack, inst.component, inst.folder or inst.component, int(inst.deployable)))
            if inst.deployable:
                consumer = inst.id
                deps.extend((f"{s}/{c}", consumer, mid) for s, c in inst.dependencies)
                file_deps.extend((str(k), str(p), consumer, mid, pos) for pos, (k, p) in enumerate(inst.file_deps))
    db.executemany("INSERT INTO records VALUES (?, ?)", blobs)
    db.executemany("INSERT INTO contexts VALUES (?, ?)", contexts)
    db.executemany("INSERT INTO imports VALUES (?, ?)", imports)
    db.executemany("INSERT INTO probe_uses VALUES (?, ?)", uses)
    db.executemany("INSERT INTO instances VALUES (?, ?, ?, ?, ?)", instances)
    db.executemany("INSERT INTO deps VALUES (?, ?, ?)", deps)
    db.executemany("INSERT INTO file_deps VALUES (?, ?, ?, ?, ?)", file_deps)
    # files and probes nothing refers to any more
    for chunk in _chunks(orphans):
        db.execute(f"DELETE FROM files WHERE id IN ({_marks(chunk)}) "
                   f"AND NOT EXISTS (SELECT 1 FROM imports WHERE imports.file = files.id)", chunk)
    db.executemany("INSERT OR IGNORE INTO folders VALUES (?)", [(f,) for f in {i[3] for i in instances if i[4]}])
    if replaced:
        db.execute("DELETE FROM probes WHERE NOT EXISTS (SELECT 1 FROM probe_uses WHERE probe_uses.probe = probes.id)")
        db.execute("DELETE FROM folders WHERE NOT EXISTS "
                   "(SELECT 1 FROM instances i WHERE i.deployable = 1 AND i.folder = folders.folder)")
    if tree.fresh or not tree.watchable:
        db.execute("DELETE FROM dirs")
    if tree.watchable:
        for key in tree.gone:
            db.execute("DELETE FROM dirs WHERE path = ?", (key,))
        db.executemany("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?)",
                       [(k, r[0], r[1], json.dumps(r[2])) for k in sorted(tree.dirty) if (r := tree.rows.get(k))])
