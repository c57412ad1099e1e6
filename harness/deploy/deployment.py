"""Apply instances in dependency order and destroy them again, whatever happens.

``Deployment`` is a context manager: leaving the block (normally, by an exception, or by SIGINT/SIGTERM,
whose handlers turn the signal into an exception, run the teardown, then re-raise) destroys everything
it applied, consumers first. Each apply is written to the run ledger before it starts, so a run that
is killed outright (SIGKILL, power loss) can still be cleaned up by :func:`cleanup`. Every apply and
destroy is preceded by a backup of the state object.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from harness.aws.sessions import AccountSession, SessionFactory
from harness.deploy.backend import BackendRef, Bootstrap, backend_session, bootstrap_backend
from harness.deploy.graph import dependency_ids, deploy_order
from harness.deploy.inputs import resolve_inputs
from harness.deploy.ledger import DEFAULT_LEDGER_DIR, Ledger
from harness.deploy.schedule import default_jobs, run_graph
from harness.deploy.state import Backup, backup_state, holds_nothing, read_state, state_info
from harness.deploy.workdir import DEFERRAL, TerraformError, Workdir, spec_for
from harness.errors import HarnessError
from harness.tools.terraform import TerraformBinary, terraform_binary

if TYPE_CHECKING:
    from harness.atmos import Instance, Resolver
    from harness.aws.emulator import Emulator

log = logging.getLogger("harness.deploy")
SignalHandler = Callable[[int, FrameType | None], Any] | int | None


class DeployInterrupted(KeyboardInterrupt):
    """SIGTERM arrived during a deployment; teardown runs before it propagates.

    SIGINT raises a plain ``KeyboardInterrupt`` (so an uncaught one still ends the process the way
    Ctrl-C does); ``Deployment.interrupted_by`` says which signal it was in both cases.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


# What an emulator answers for an API (or a part of one) it does not model: moto's "not implemented" family.
_EMULATOR_GAP = re.compile(r"not (?:yet )?(?:been )?implemented|NotImplemented|InvalidAction|UnknownOperation|"
                           r"UnrecognizedClientException|StatusCode: 501", re.IGNORECASE)


# An SDK error for an action the emulator fails on: moto answers 500 Internal Server Error to an action it lacks.
_SERVER_FAULT = re.compile(r"operation error ([^:]+): (\w+),.*StatusCode: 50[01]")


def emulator_gap(output: str) -> str | None:
    """The emulator's own reason when terraform's error says it does not serve an API; None for any other failure."""
    lines = [line.strip(" │╷╵") for line in output.splitlines()]
    for line in lines:
        fault = _SERVER_FAULT.search(line)
        if fault:
            return (f"{fault.group(1)} {fault.group(2)}: the emulator answers 500 Internal Server Error "
                    "(not implemented)")
    for index, line in enumerate(lines):
        if _EMULATOR_GAP.search(line):
            error = next((lines[i] for i in range(index, -1, -1) if lines[i].startswith("Error:")), "")
            detail = line if len(line) <= 300 else line[:297] + "..."
            return f"{error} {detail}".strip() if error and error != line else detail
    return None


@dataclass(frozen=True)
class Unserved:
    """An instance the emulator cannot serve: why (the emulator's reason, or the producer it needs that failed)."""

    instance_id: str
    reason: str


class TeardownError(HarnessError):
    """Some instances could not be destroyed; the ledger is kept so ``cleanup`` can retry."""

    def __init__(self, message: str, report: TeardownReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class ApplyResult:
    """One apply: where it ran, the backup taken before it, the outputs after it."""

    instance_id: str
    workdir: Path
    backend: BackendRef
    backup: Backup | None
    outputs: dict[str, Any]
    seconds: float
    variables: dict[str, Any] = field(repr=False)


@dataclass
class DestroyResult:
    instance_id: str
    backup: Backup | None
    seconds: float
    error: str | None = None


@dataclass
class TeardownReport:
    """What a teardown destroyed and what it could not."""

    destroyed: list[DestroyResult] = field(default_factory=list)
    failed: list[DestroyResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def backups(self) -> list[Backup]:
        return [r.backup for r in self.destroyed + self.failed if r.backup is not None]


class Deployment:
    """Applies instances into an emulator (or real AWS when ``emulator`` is None) and guarantees their teardown."""

    def __init__(self, resolver: Resolver, emulator: Emulator | None = None, *,
                 terraform: str | os.PathLike[str] | TerraformBinary | None = None,
                 ledger_dir: str | os.PathLike[str] = DEFAULT_LEDGER_DIR, run_id: str | None = None,
                 workdir_root: Path | None = None, lock_timeout: str = "60s", timeout: float = 900.0,
                 handle_signals: bool = True, bootstrap: bool = True, plugin_cache: Path | None = None,
                 keep_workdirs: bool = False, sessions: SessionFactory | None = None,
                 jobs: int | None = None) -> None:
        self.resolver = resolver
        self.emulator = emulator
        self.binary = terraform if isinstance(terraform, TerraformBinary) else terraform_binary(terraform)
        self.ledger = Ledger(ledger_dir, run_id)
        self.workdir_root = workdir_root
        self.lock_timeout = lock_timeout
        self.timeout = timeout
        self.handle_signals = handle_signals
        self.bootstrap = bootstrap and emulator is not None
        self.plugin_cache = plugin_cache
        self.keep_workdirs = keep_workdirs
        self.jobs = default_jobs() if jobs is None else max(1, jobs)
        self._lock = threading.RLock()
        self.sessions = sessions or (None if emulator is not None else SessionFactory(endpoint_url=None))
        self.results: list[ApplyResult] = []
        self.unserved: list[Unserved] = []
        self.backups: list[Backup] = []
        self.bootstraps: list[Bootstrap] = []
        self.last_teardown: TeardownReport | None = None
        self._instances: dict[str, Instance] = {}
        self._workdirs: dict[str, Workdir] = {}
        self._applied: list[str] = []  # instance ids whose apply started, in order
        self._previous: dict[int, SignalHandler] = {}
        self._tearing_down = False
        self._deferred: list[int] = []
        self.interrupted_by: int | None = None
        self._bootstrapped: set[tuple[str, str | None, str | None, str]] = set()

    @property
    def run_id(self) -> str:
        return self.ledger.run_id

    @property
    def applied(self) -> list[str]:
        """Instance ids applied and not destroyed yet, in apply order."""
        return list(self._applied)

    # -- selection ---------------------------------------------------------------------------------
    def select(self, components: str | Instance | Sequence[str | Instance], stack: str | None = None) -> list[Instance]:
        """Instances for Atmos component names (or Terraform folder names) in ``stack``, or given instances."""
        items: list[str | Instance] = (
            [components] if isinstance(components, str) or not isinstance(components, Sequence) else list(components))
        out: list[Instance] = []
        for item in items:
            if not isinstance(item, str):
                out.append(item)
                continue
            if stack is None:
                raise HarnessError(f"deploy('{item}') needs stack=")
            try:
                out.append(self.resolver.instance(item, stack))
                continue
            except HarnessError as exc:
                error = exc
            by_folder = [i for i in self.resolver.instances() if i.stack == stack and i.folder == item
                         and i.deployable]
            if not by_folder:
                raise error
            out.extend(by_folder)
        for instance in out:
            if not instance.deployable:
                raise HarnessError(f"{instance.id} is abstract or disabled: it cannot be deployed",
                                   file=instance.stack_file_path)
        return out

    # -- state access ------------------------------------------------------------------------------
    def backend_session(self, instance: Instance) -> tuple[BackendRef, AccountSession]:
        ref = BackendRef.from_instance(instance)
        return ref, backend_session(ref, self.emulator, self.sessions)

    def read_outputs(self, instance: Instance) -> dict[str, Any] | None:
        """Outputs in the instance's real state; None when it has no (or an empty) state."""
        ref, session = self.backend_session(instance)
        found = read_state(session, ref.bucket, ref.key)
        if found is None:
            return None
        info = state_info(found[0], bucket=ref.bucket, key=ref.key, size=found[1])
        return None if info.empty else dict(info.outputs)

    def outputs(self, instance: Instance) -> dict[str, Any]:
        """Outputs in the instance's state (empty when it has none)."""
        return self.read_outputs(instance) or {}

    # -- apply / destroy -----------------------------------------------------------------------------
    def deploy(self, components: str | Instance | Sequence[str | Instance], stack: str | None = None, *,
               with_dependencies: bool = False, extra_vars: Mapping[str, Mapping[str, Any]] | None = None,
               jobs: int | None = None, skip_unserved: bool = False) -> list[ApplyResult]:
        """Apply the instances producers first (``with_dependencies``: their dependencies too).

        Up to ``jobs`` (default: the deployment's) independent instances apply at once; a consumer starts
        when its producers are applied. Results come back in deploy order.

        ``skip_unserved`` (emulator only): an apply that fails because the emulator does not implement an API
        is recorded in :attr:`unserved` with the emulator's reason instead of failing the deploy, and so are
        its consumers (they need it); whatever it applied is still destroyed by the teardown.
        """
        targets = self.select(components, stack)
        order = deploy_order(targets, self.resolver, with_dependencies=with_dependencies)
        log.info("deploy order: %s", ", ".join(i.id for i in order))
        by_id = {i.id: i for i in order}
        results: dict[str, ApplyResult] = {}

        def work(instance_id: str) -> None:
            instance = by_id[instance_id]
            extra = None
            if extra_vars:
                extra = extra_vars.get(instance.id) or extra_vars.get(instance.component)
            if skip_unserved:
                with self._lock:
                    missing = [u.instance_id for u in self.unserved if u.instance_id in dependency_ids(instance)]
                    if missing:
                        self.unserved.append(Unserved(instance_id, f"needs {', '.join(missing)}, which the "
                                                                   "emulator cannot serve"))
                        return
            try:
                results[instance_id] = self.apply(instance, extra_vars=extra)
            except TerraformError as exc:
                reason = emulator_gap(exc.output or str(exc)) if skip_unserved and self.emulator else None
                if reason is None:
                    raise
                log.warning("%s: the emulator cannot serve it: %s", instance_id, reason)
                with self._lock:
                    self.unserved.append(Unserved(instance_id, f"{self.emulator.kind if self.emulator else ''}: "
                                                               f"{reason}"))

        run_graph(list(by_id), {i.id: dependency_ids(i) for i in order}, work,
                  jobs=self.jobs if jobs is None else jobs, on_interrupt=self.interrupt_running)
        return [results[i] for i in by_id if i in results]

    def interrupt_running(self) -> None:
        """Ctrl-C every terraform command running for this deployment (they stop cleanly and unlock)."""
        for workdir in list(self._workdirs.values()):
            workdir.interrupt()

    def _variables(self, instance: Instance, extra_vars: Mapping[str, Any] | None) -> dict[str, Any]:
        variables = resolve_inputs(instance, self.resolver, self.read_outputs)
        if extra_vars:
            variables.update(extra_vars)
        return variables

    def workdir(self, instance: Instance, *, extra_vars: Mapping[str, Any] | None = None) -> Workdir:
        """The instance's initialised working copy (made on first use; inputs refreshed every time)."""
        ref = BackendRef.from_instance(instance)
        marker = (ref.bucket, ref.dynamodb_table, ref.role_arn, ref.region)
        with self._lock:
            if self.bootstrap and self.emulator is not None and marker not in self._bootstrapped:
                session = backend_session(ref, self.emulator, self.sessions)
                made = bootstrap_backend(ref, session)
                self._bootstrapped.add(marker)
                if made.created_bucket or made.created_table:
                    self.bootstraps.append(made)
        spec = spec_for(instance, self._variables(instance, extra_vars), emulator=self.emulator, binary=self.binary)
        current = self._workdirs.get(instance.id)
        if current is not None and current.ready:
            current.spec = spec
            current.write_files()
            return current
        workdir = Workdir(spec, self.binary, root=self.workdir_root, plugin_cache=self.plugin_cache,
                          timeout=self.timeout)
        self._workdirs[instance.id] = workdir
        self._instances[instance.id] = instance
        workdir.prepare(lock_timeout=self.lock_timeout)
        return workdir

    def apply(self, instance: Instance, *, extra_vars: Mapping[str, Any] | None = None,
              lock_timeout: str | None = None) -> ApplyResult:
        """Back up the state, then ``terraform apply``; recorded in the ledger before it starts."""
        started = time.monotonic()
        workdir = self.workdir(instance, extra_vars=extra_vars)
        ref, session = self.backend_session(instance)
        backup = backup_state(session, ref.bucket, ref.key, reason="apply")
        with self._lock:
            if backup is not None:
                self.backups.append(backup)
            self.ledger.append("apply-start", instance=instance.id, spec=workdir.spec.to_json(),
                               workdir=str(workdir.path), binary=self.binary.path,
                               backup=backup.to_json() if backup else None)
            if instance.id not in self._applied:
                self._applied.append(instance.id)
        log.info("apply %s in %s", instance.id, workdir.path)
        workdir.apply(lock_timeout=lock_timeout or self.lock_timeout)
        outputs = self.outputs(instance)
        result = ApplyResult(instance.id, workdir.path, ref, backup, outputs, time.monotonic() - started,
                             dict(workdir.spec.variables))
        with self._lock:
            self.ledger.append("apply", instance=instance.id, outputs=sorted(outputs))
            self.results.append(result)
        return result

    def destroy(self, instance: Instance | str, *, lock_timeout: str | None = None) -> DestroyResult:
        """Back up the state, then ``terraform destroy`` an instance this deployment applied."""
        instance_id = instance if isinstance(instance, str) else instance.id
        workdir = self._workdirs.get(instance_id)
        if workdir is None:
            raise HarnessError(f"{instance_id} was not applied by this deployment")
        started = time.monotonic()
        ref = workdir.spec.backend
        session = backend_session(ref, self.emulator, self.sessions)
        backup = None
        if holds_nothing(session, ref.bucket, ref.key):
            # The apply never got as far as writing anything (e.g. it failed at plan): nothing to destroy.
            log.info("destroy %s: its state holds nothing", instance_id)
            with self._lock:
                self.ledger.append("destroy", instance=instance_id, backup=None, skipped="state holds nothing")
        else:
            backup = backup_state(session, ref.bucket, ref.key, reason="destroy")
            if backup is not None:
                with self._lock:
                    self.backups.append(backup)
            if not workdir.ready:
                workdir.prepare(lock_timeout=self.lock_timeout)
            log.info("destroy %s", instance_id)
            workdir.destroy(lock_timeout=lock_timeout or self.lock_timeout)
            with self._lock:
                self.ledger.append("destroy", instance=instance_id, backup=backup.to_json() if backup else None)
        with self._lock:
            if instance_id in self._applied:
                self._applied.remove(instance_id)
            if not self.keep_workdirs:
                workdir.remove()
                del self._workdirs[instance_id]
        return DestroyResult(instance_id, backup, time.monotonic() - started)

    def _consumers(self, applied: Sequence[str]) -> dict[str, list[str]]:
        """For each applied instance, the applied instances that read it (they are destroyed before it)."""
        consumers: dict[str, list[str]] = {i: [] for i in applied}
        for instance_id in applied:
            instance = self._instances.get(instance_id)
            for producer in dependency_ids(instance) if instance is not None else []:
                if producer in consumers:
                    consumers[producer].append(instance_id)
        return consumers

    def teardown(self, *, jobs: int | None = None) -> TeardownReport:
        """Destroy everything applied, consumers first; keep going past failures and report them.

        Up to ``jobs`` instances are destroyed at once, each after every applied instance that reads it.
        """
        report = TeardownReport()
        self._tearing_down = True
        order = list(reversed(self._applied))

        def work(instance_id: str) -> None:
            try:
                result = self.destroy(instance_id)
            except Exception as exc:  # noqa: BLE001 - one failure must not stop the others' teardown
                log.error("teardown of %s failed: %s", instance_id, exc)
                with self._lock:
                    report.failed.append(DestroyResult(instance_id, None, 0.0, str(exc)))
                return
            with self._lock:
                report.destroyed.append(result)

        try:
            run_graph(order, self._consumers(order), work, jobs=self.jobs if jobs is None else jobs)
            if report.ok:
                self.ledger.remove()
                if not self.keep_workdirs:
                    for workdir in self._workdirs.values():
                        workdir.remove()
                    self._workdirs.clear()
        finally:
            self._tearing_down = False
        self.last_teardown = report
        return report

    # -- context manager and signals ---------------------------------------------------------------
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if DEFERRAL.depth:  # a terraform process is being started: raise once we hold its handle
            DEFERRAL.pending.append(signum)
            return
        if self._tearing_down:
            self._deferred.append(signum)
            log.warning("%s during teardown: finishing the teardown first", signal.Signals(signum).name)
            return
        self.interrupted_by = signum
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise DeployInterrupted(signum)

    def _install_signals(self) -> None:
        if not self.handle_signals or threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def _restore_signals(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous.clear()

    def __enter__(self) -> Deployment:
        self._install_signals()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        previous = dict(self._previous)
        try:
            report = self.teardown()
        finally:
            self._restore_signals()
        if not report.ok:
            names = ", ".join(f"{r.instance_id} ({r.error})" for r in report.failed)
            message = (f"teardown failed for {names}; ledger kept at {self.ledger.path}: run cleanup() "
                       "(harness cleanup) to retry")
            if exc is None:
                raise TeardownError(message, report)
            exc.add_note(message)
        if isinstance(exc, DeployInterrupted) and exc.signum == signal.SIGTERM:
            handler = previous.get(signal.SIGTERM, signal.SIG_DFL)
            if handler in (signal.SIG_DFL, None):
                signal.raise_signal(signal.SIGTERM)  # end the process the way SIGTERM does, now that teardown ran
            elif callable(handler):
                with contextlib.suppress(Exception):
                    handler(signal.SIGTERM, None)
