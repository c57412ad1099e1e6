"""``up``, ``status`` and ``down`` of a sandbox folder (see :mod:`harness.sandbox`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.atmos import Instance, Resolver
from harness.aws import Emulator
from harness.aws.sessions import region_for, role_arn_for
from harness.deploy import ApplyResult, CleanupReport, Deployment, cleanup
from harness.deploy.backend import backend_session
from harness.deploy.ledger import iter_ledgers, pending_applies
from harness.deploy.state import read_state, state_info
from harness.deploy.workdir import WorkdirSpec
from harness.errors import ConfigError, HarnessError
from harness.sandbox.record import SandboxRecord, load_record, save_record
from harness.sandbox.server import ServerProcess
from harness.tools.terraform import TerraformBinary

DEFAULT_DIR = Path(".harness") / "sandbox"
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _targets(resolver: Resolver, stacks: Sequence[str], components: Sequence[str]) -> list[Instance]:
    known = {i.stack for i in resolver.instances()}
    for stack in stacks:
        if stack not in known:
            raise ConfigError(f"no stack named '{stack}' (harness describe stacks lists them)")
    chosen = [i for i in resolver.instances() if i.stack in stacks and i.deployable
              and (not components or i.component in components or i.folder in components)]
    if not chosen:
        what = f" matching {', '.join(components)}" if components else ""
        raise ConfigError(f"{', '.join(stacks)} deploys no component{what}")
    return chosen


def _server(directory: Path, progress: Progress) -> SandboxRecord:
    record = load_record(directory)
    if record is not None:
        if ServerProcess(record.pid, record.endpoint).alive():
            return record
        raise HarnessError(f"a sandbox is recorded in {directory} but its server (pid {record.pid}) is gone: "
                           "run harness sandbox down first")
    progress("starting the moto server")
    server = ServerProcess.start(directory)
    emulator = Emulator.connect("moto", server.endpoint)
    record = SandboxRecord(endpoint=server.endpoint, pid=server.pid, region=emulator.region,
                           access_key=emulator.access_key, secret_key=emulator.secret_key, base_path="")
    save_record(directory, record)
    return record


def _account(resolver: Resolver, instance_id: str) -> dict[str, str]:
    stack, component = instance_id.split("/", 1)
    instance = resolver.instance(component, stack)
    role = role_arn_for(instance)
    return {"region": region_for(instance), **({"role_arn": role} if role else {})}


def _state_file(directory: Path, instance_id: str) -> Path:
    return directory / "state" / (instance_id.replace("/", "__") + ".tfstate")


def _keep_state(directory: Path, emulator: Emulator, result: ApplyResult) -> None:
    found = read_state(backend_session(result.backend, emulator), result.backend.bucket, result.backend.key)
    if found is not None:
        path = _state_file(directory, result.instance_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found[0], indent=2) + "\n", encoding="utf-8")


def up(resolver: Resolver, stacks: Sequence[str], *, directory: Path = DEFAULT_DIR, components: Sequence[str] = (),
       with_dependencies: bool = False, extra_vars: Mapping[str, Mapping[str, Any]] | None = None,
       terraform: str | TerraformBinary | None = None, jobs: int | None = None,
       progress: Progress = _quiet) -> SandboxRecord:
    """Deploy the stacks' components (and, ``with_dependencies``, what they read) into the sandbox's server.

    The server is started on first use and left running; a later ``up`` deploys into the same one. What
    was applied is recorded even when the deploy fails half way, so ``down`` can always remove it.
    """
    directory = directory.resolve()
    targets = _targets(resolver, stacks, components)
    record = _server(directory, progress)
    record.base_path = str(resolver.config.base_path)
    record.stacks = sorted({*record.stacks, *stacks})
    emulator = Emulator.connect("moto", record.endpoint)
    (directory / "work").mkdir(parents=True, exist_ok=True)
    deployment = Deployment(resolver, emulator, terraform=terraform, ledger_dir=directory / "ledger",
                            workdir_root=directory / "work", keep_workdirs=True, handle_signals=False, jobs=jobs)
    progress(f"deploying {len(targets)} instance(s){' and their dependencies' if with_dependencies else ''} "
             f"into {record.endpoint}")
    try:
        deployment.deploy(targets, with_dependencies=with_dependencies, extra_vars=extra_vars, skip_unserved=True)
    finally:
        for result in deployment.results:
            record.workdirs[result.instance_id] = str(result.workdir)
            record.accounts[result.instance_id] = _account(resolver, result.instance_id)
            _keep_state(directory, emulator, result)
            progress(f"applied {result.instance_id} in {result.seconds:.1f} s")
        record.deployed += [i for i in deployment.applied if i not in record.deployed]
        record.unserved.update({u.instance_id: u.reason for u in deployment.unserved})
        save_record(directory, record)
    return record


@dataclass(frozen=True)
class InstanceStatus:
    """One deployed instance: its state's resource count and output names (None: no state found)."""

    instance_id: str
    resources: int | None
    outputs: tuple[str, ...]
    workdir: str
    role_arn: str | None = None
    region: str | None = None


@dataclass
class SandboxStatus:
    """What ``harness sandbox status`` shows."""

    directory: Path
    record: SandboxRecord | None
    server_alive: bool = False
    instances: list[InstanceStatus] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        record = self.record
        return {"directory": str(self.directory), "up": record is not None, "server_alive": self.server_alive,
                "endpoint": record.endpoint if record else None, "pid": record.pid if record else None,
                "stacks": record.stacks if record else [],
                "unserved": record.unserved if record else {},
                "environment": record.environment() if record else {},
                "instances": [{"instance": i.instance_id, "resources": i.resources, "outputs": list(i.outputs),
                               "workdir": i.workdir, "role_arn": i.role_arn, "region": i.region}
                              for i in self.instances]}


def _pending_specs(ledger_dir: Path) -> list[WorkdirSpec]:
    specs: list[WorkdirSpec] = []
    for _, entries in iter_ledgers(ledger_dir):
        specs += [WorkdirSpec.from_json(r["spec"]) for r in pending_applies(entries) if r.get("spec")]
    return specs


def status(directory: Path = DEFAULT_DIR) -> SandboxStatus:
    """The sandbox's server and, per instance still applied, what its state holds (read from the server)."""
    directory = directory.resolve()
    record = load_record(directory)
    report = SandboxStatus(directory, record)
    if record is None:
        return report
    report.server_alive = ServerProcess(record.pid, record.endpoint).alive()
    emulator = Emulator.connect("moto", record.endpoint)
    for spec in _pending_specs(directory / "ledger"):
        resources: int | None = None
        outputs: tuple[str, ...] = ()
        if report.server_alive:
            ref = spec.backend
            found = read_state(backend_session(ref, emulator), ref.bucket, ref.key)
            if found is not None:
                info = state_info(found[0], bucket=ref.bucket, key=ref.key, size=found[1])
                resources, outputs = len(info.resources), tuple(sorted(info.outputs))
        account = record.accounts.get(spec.instance_id, {})
        report.instances.append(InstanceStatus(spec.instance_id, resources, outputs,
                                               record.workdirs.get(spec.instance_id, ""), account.get("role_arn"),
                                               account.get("region")))
    return report


def down(directory: Path = DEFAULT_DIR, *, terraform: str | TerraformBinary | None = None,
         progress: Progress = _quiet) -> CleanupReport:
    """Destroy everything the sandbox applied (consumers first), stop its server, remove its folder.

    A failed destroy keeps the server and the folder, so ``down`` can be run again.
    """
    directory = directory.resolve()
    record = load_record(directory)
    if record is None:
        raise ConfigError(f"no sandbox in {directory} (harness sandbox up starts one)")
    server = ServerProcess(record.pid, record.endpoint)
    progress(f"destroying {len(record.deployed)} instance(s)")
    report = cleanup(directory / "ledger", terraform=terraform, force=True, workdir_root=directory / "work")
    if not report.ok:
        failed = "; ".join(f"{name}: {why}" for name, why in report.failed.items())
        raise HarnessError(f"the sandbox could not be destroyed ({failed}); it is left up: run harness sandbox "
                           "down again")
    progress("stopping the moto server")
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)
    return report
