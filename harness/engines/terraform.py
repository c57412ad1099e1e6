"""The terraform engine: a real ``terraform plan`` + ``show -json`` per instance, with no cloud and no hand setup.

The component is copied to a temporary folder (the source tree is never touched), the backend replaced
by local state and the AWS provider pointed at the embedded emulator; ``init`` runs once per component
folder (its provider lock shared by every instance), with providers from the run's CLI config
(:mod:`harness.tools.providers`); instances then plan in parallel, up to the cores. Works with terraform
and tofu.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from harness.deploy.providers import provider_use
from harness.engines._sources import iter_nodes, module_tree
from harness.engines._tf_batch import BatchMember
from harness.engines._tf_workdir import ComponentCopy
from harness.engines.base import PlanRequest
from harness.engines.recorded import plan_from_json
from harness.errors import EvaluationError, HarnessError
from harness.plan import Plan
from harness.terraform import load_module
from harness.tools.providers import ProviderSearch, provider_address, provider_env, provider_search
from harness.tools.terraform import find_terraform, satisfies, terraform_binary

if TYPE_CHECKING:
    from harness.aws.emulator import Emulator


def find_binary(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """:func:`harness.tools.terraform.find_terraform`, or None when there is no usable binary (``auto``
    then stays static)."""
    try:
        return find_terraform(explicit)
    except HarnessError:
        return None


def binary_version(binary: str) -> str:
    """``terraform version`` as a string like ``terraform 1.0.3`` (cached per binary path)."""
    try:
        found = terraform_binary(binary)
    except HarnessError as exc:
        raise EvaluationError(str(exc)) from None
    return f"{found.name} {found.version}"


def required_providers(component_dir: Path) -> set[str]:
    """Provider source addresses (``hashicorp/aws``) the component and its local modules need."""
    tree = module_tree(Path(component_dir))
    out: set[str] = set()
    for node in iter_nodes(tree):
        source = node.source
        if source is None:
            continue
        named = dict(source.providers)
        for type_, _ in list(source.resources) + list(source.data):
            local = type_.split("_", 1)[0]
            if type_ == "terraform_data" or local == "terraform":
                continue
            out.add(named.get(local, f"hashicorp/{local}"))
        out.update(named.values())
    return {p if p.count("/") >= 2 else f"registry.terraform.io/{p}" for p in out}


def component_requirements(component_dir: Path) -> tuple[str, dict[str, str]]:
    """The component's ``required_version`` and its providers (address -> version constraint, may be empty)."""
    config = load_module(Path(component_dir))
    constraints: dict[str, str] = {}
    for name, spec in config.required_providers.items():
        source = spec.get("source") if isinstance(spec, dict) else None
        version = spec.get("version") if isinstance(spec, dict) else spec if isinstance(spec, str) else None
        constraints[provider_address(str(source or f"hashicorp/{name}"))] = str(version or "")
    for address in required_providers(Path(component_dir)):
        constraints.setdefault(address, "")
    return config.required_version or "", constraints


def terraform_usable(binary: str | None, component_dir: str | Path,
                     search: ProviderSearch | None = None) -> tuple[bool, str]:
    """Can ``binary`` plan this component here without downloading anything? (answer, reason)."""
    if not binary:
        return False, "no terraform or tofu binary (set HARNESS_TERRAFORM or put one on PATH)"
    try:
        found = terraform_binary(binary)
    except HarnessError as exc:
        return False, str(exc)
    version = f"{found.name} {found.version}"
    try:
        required, providers = component_requirements(Path(component_dir))
    except HarnessError as exc:
        return False, f"cannot read the component: {exc}"
    if required and not satisfies(found.version, required):
        return False, f"{version} does not meet required_version {required!r}"
    search = search or provider_search(Path(component_dir))
    missing = []
    for address, constraint in sorted(providers.items()):
        installed = Path(component_dir) / ".terraform" / "providers" / address
        if installed.is_dir():
            continue
        ok, why = search.describe(address, constraint)
        if not ok:
            missing.append(why)
    if missing:
        return False, f"{version} found, but " + "; ".join(missing)
    return True, f"{version}, providers available offline ({len(providers)})"


def _batch_size() -> int:
    named = os.environ.get("HARNESS_TF_BATCH", "")
    return max(1, int(named)) if named.isdigit() else 6


def _jobs() -> int:
    named = os.environ.get("HARNESS_TF_JOBS", "")
    return max(1, int(named)) if named.isdigit() else max(1, os.cpu_count() or 1)


class TerraformEngine:
    """``terraform``: real ``plan`` + ``show -json`` in temporary copies, parsed by the recorded loader.

    AWS components plan against the embedded emulator (moto, started on first need; or the ``emulator``
    given) with its dummy credentials, endpoints and skip flags, so no cloud account is touched.
    """

    name = "terraform"

    def __init__(self, binary: str | os.PathLike[str] | None = None, *, workdir: Path | None = None,
                 required: Sequence[str] = (), emulator: Emulator | None = None, jobs: int | None = None,
                 timeout: float = 900.0, plugin_cache: Path | None = None, batch_size: int | None = None) -> None:
        try:
            found = terraform_binary(binary) if binary else terraform_binary(find_terraform(required=required))
        except HarnessError as exc:
            raise EvaluationError(str(exc)) from None
        self.binary = found.path
        self.version = f"{found.name} {found.version}"
        self.jobs = jobs or _jobs()
        self.timeout = timeout
        self._tmp = Path(tempfile.mkdtemp(prefix="harness-terraform-", dir=workdir))
        self._emulator = emulator
        self._own_emulator: Emulator | None = None
        self._finalizer = weakref.finalize(self, _cleanup, str(self._tmp), [None])
        self._env = provider_env(self._tmp)
        if plugin_cache is not None:
            plugin_cache.mkdir(parents=True, exist_ok=True)
            self._env["TF_PLUGIN_CACHE_DIR"] = str(plugin_cache)
        self.batch_size = batch_size or _batch_size()
        self._copies: dict[str, ComponentCopy] = {}
        self._init_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._counter = 0
        #: Seconds per instance id of the last plans (a batch's time shared by its instances).
        self.timings: dict[str, float] = {}

    def close(self) -> None:
        """Remove the temporary copies and stop the emulator this engine started."""
        if self._own_emulator is not None:
            self._own_emulator.stop()
            self._own_emulator = None
        self._finalizer()

    def __enter__(self) -> TerraformEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def emulator(self) -> Emulator:
        """The emulator AWS plans run against (started once, on first need)."""
        with self._lock:
            if self._emulator is None:
                from harness.aws.emulator import Emulator

                self._own_emulator = self._emulator = Emulator("moto").start()
            return self._emulator

    def _copy(self, request: PlanRequest) -> ComponentCopy:
        component = Path(request.component_dir).resolve()
        key = str(component)
        with self._lock:
            copy = self._copies.get(key)
            if copy is not None:
                return copy
            lock = self._init_locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                copy = self._copies.get(key)
            if copy is not None:
                return copy
            emulator = self.emulator() if provider_use(component).uses_aws else None
            with self._lock:
                target = self._tmp / f"c{list(self._init_locks).index(key)}-{component.name}"
            copy = ComponentCopy(component, target, self.binary, self._env, emulator, self.timeout)
            with self._lock:
                self._copies[key] = copy
            return copy

    def plan(self, request: PlanRequest) -> Plan:
        """The plan of one instance (its component folder's copy and root are made once and reused)."""
        result = self._plan_batch([request])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def _plan_batch(self, requests: Sequence[PlanRequest]) -> list[Plan | Exception]:
        """Instances of one component folder (and one environment) in one terraform plan; when that fails,
        each alone, so that every instance gets its own answer."""
        first = requests[0]
        what = (first.instance_id if len(requests) == 1
                else f"{Path(first.component_dir).name} ({len(requests)} instances)")
        try:
            copy = self._copy(first)
            members = [BatchMember(f"i{n}", r.variables, frozenset(r.unknown_inputs)) for n, r in enumerate(requests)]
            started = time.perf_counter()
            datas = copy.plan(members, what, env=first.env)
            took = (time.perf_counter() - started) / len(requests)
        except HarnessError as exc:
            if len(requests) > 1:
                return [self._plan_batch([r])[0] for r in requests]
            return [exc if isinstance(exc, EvaluationError) else EvaluationError(str(exc))]
        out: list[Plan | Exception] = []
        for request, data in zip(requests, datas, strict=True):
            self.timings[request.instance_id] = took
            try:
                out.append(plan_from_json(data, stack=request.stack, component=request.component,
                                          engine="terraform", file=request.component_dir))
            except HarnessError as exc:
                out.append(exc)
        return out

    def plan_many(self, requests: Sequence[PlanRequest]) -> list[Plan | Exception]:
        """Every request: batches of one component folder, up to ``jobs`` batches at a time; failures are
        returned, not raised."""
        groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[int]] = {}
        for n, request in enumerate(requests):
            key = (str(Path(request.component_dir).resolve()), tuple(sorted(request.env.items())))
            groups.setdefault(key, []).append(n)
        batches: list[list[int]] = []
        for indexes in groups.values():
            batches += [indexes[i:i + self.batch_size] for i in range(0, len(indexes), self.batch_size)]
        batches.sort(key=len, reverse=True)
        results: list[Plan | Exception | None] = [None] * len(requests)

        def run(batch: list[int]) -> None:
            for n, result in zip(batch, self._plan_batch([requests[i] for i in batch]), strict=True):
                results[n] = result

        if self.jobs <= 1 or len(batches) <= 1:
            for batch in batches:
                run(batch)
        else:
            with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="harness-tf") as pool:
                list(pool.map(run, batches))
        return [r if r is not None else EvaluationError("not planned") for r in results]


def _cleanup(tmp: str, _: list[None]) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
