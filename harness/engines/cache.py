"""On-disk plan cache shared by pytest-xdist workers.

A plan is stored under a key hashing every input that can change it: the content of every
file of the component (and of the local modules it calls outside its folder, and of the
installed modules under ``.terraform/modules``), the instance's variables and context
(stack, component, region, account, partition, workspace), the engine name, the binary
version (terraform engine), the harness version and a digest of the harness's own engine and plan-model
code (a development checkout changes that without a new version). Writers hold a per-key file lock and
write atomically (temporary file + ``os.replace``), so a reader never sees half a file and
two workers never plan the same instance twice.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path

from filelock import FileLock

from harness import __version__
from harness.cachedir import CACHE_DIR_NAME, ensure_ignored
from harness.engines._sources import external_dirs, module_tree, plan_input_files
from harness.engines.base import Engine, PlanRequest
from harness.errors import HarnessError
from harness.plan import Plan

DEFAULT_SUBDIR = Path(CACHE_DIR_NAME) / "plans"


_TREE_DIGESTS: dict[tuple[str, str, tuple[tuple[str, tuple[int, int, int]], ...]], bytes] = {}


def _tree_digest(directory: Path, label: str) -> bytes:
    """The digest of a folder's files, remembered while none of them changes (sessions share components)."""
    files = plan_input_files(directory)
    key = (str(directory), label, tuple((rel, stamp) for rel, _, stamp in files))
    found = _TREE_DIGESTS.get(key)
    if found is None:
        digest = hashlib.sha256()
        for rel, path, _ in files:
            digest.update(f"{label}/{rel}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
            digest.update(b"\0")
        found = digest.digest()
        _TREE_DIGESTS[key] = found
    return found


_EXTERNALS: dict[tuple[str, bytes], list[str]] = {}


def _externals(component: Path, component_digest: bytes) -> list[str]:
    """Local module folders outside the component (derived from its files, so remembered by their digest)."""
    key = (str(component), component_digest)
    found = _EXTERNALS.get(key)
    if found is None:
        try:
            found = list(external_dirs(component, module_tree(component)))
        except HarnessError:
            found = []
        _EXTERNALS[key] = found
    return found


_CODE_PACKAGES = ("engines", "plan", "terraform")


@functools.cache
def engine_code_digest() -> str:
    """A digest of the harness modules that turn a configuration into a plan: a plan cached by other code
    is never read as this code's answer."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in _CODE_PACKAGES:
        for path in sorted((root / package).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(request: PlanRequest, engine: str, binary_version: str | None = None,
              memo: dict[tuple[Path, str], bytes] | None = None) -> str:
    """The hash of every input of a plan.

    ``memo`` shares folder digests between the keys of one batch (instances of one component read the
    same files at the same moment); without it every call looks at the files again.
    """
    digest = hashlib.sha256()
    context = {
        "harness": __version__, "code": engine_code_digest(), "engine": engine, "binary": binary_version,
        "stack": request.stack, "component": request.component, "region": request.region,
        "account_id": request.account_id, "partition": request.partition, "workspace": request.workspace,
        "variables": request.variables, "unknown_inputs": request.unknown_inputs,
    }
    digest.update(json.dumps(context, sort_keys=True, default=str).encode())
    memo = {} if memo is None else memo

    def tree(directory: Path, label: str) -> bytes:
        found = memo.get((directory, label))
        if found is None:
            found = memo[(directory, label)] = _tree_digest(directory, label)
        return found

    component = Path(request.component_dir).resolve()
    component_digest = tree(component, ".")
    digest.update(component_digest)
    for ext in _externals(component, component_digest):
        digest.update(tree((component / ext).resolve(), ext))
    return digest.hexdigest()


class PlanCache:
    """Plans on disk under ``root/.harness-cache/plans`` (or an explicit folder)."""

    def __init__(self, root: str | Path = ".", *, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else Path(root) / DEFAULT_SUBDIR
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Plan | None:
        """The cached plan, or None (a corrupt entry counts as absent)."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        try:
            return Plan.from_json(data)
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, key: str, plan: Plan) -> None:
        """Store atomically: a temporary file in the same folder, then ``os.replace``."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        ensure_ignored(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(plan.to_json(reveal=True), fh, sort_keys=True)  # tests compare sensitive values
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def lock(self, key: str) -> FileLock:
        """The per-key lock that serializes planning one instance across processes."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        ensure_ignored(path.parent)
        return FileLock(str(path) + ".lock")

    def get_or_plan(self, request: PlanRequest, engine: Engine, binary_version: str | None = None) -> Plan:
        """The cached plan, or plan it with ``engine`` and store it (one planner per key)."""
        key = cache_key(request, engine.name, binary_version)
        plan = self.get(key)
        if plan is not None:
            self.hits += 1
            return plan
        with self.lock(key):
            plan = self.get(key)
            if plan is not None:
                self.hits += 1
                return plan
            self.misses += 1
            plan = engine.plan(request)
            self.put(key, plan)
            return plan


class CachedEngine:
    """An engine whose plans go through a PlanCache."""

    def __init__(self, engine: Engine, cache: PlanCache, binary_version: str | None = None) -> None:
        self.engine = engine
        self.cache = cache
        self.name = engine.name
        self.binary_version = binary_version if binary_version is not None else getattr(engine, "version", None)

    def plan(self, request: PlanRequest) -> Plan:
        """Cached plan of one instance."""
        return self.cache.get_or_plan(request, self.engine, self.binary_version)
