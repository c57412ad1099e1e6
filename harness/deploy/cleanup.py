"""Destroy what crashed or killed runs left, from their ledgers (``harness cleanup``).

A ledger that still exists belongs to a run that did not finish its teardown. For each instance it
applied and did not destroy, the working copy is rebuilt from the recorded spec (or reused when the
folder is still there), the state is backed up, and ``terraform destroy`` runs; the ledger is deleted
once nothing is left. Runs whose process is still alive on this host are skipped unless ``force``.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.aws.emulator import Emulator
from harness.aws.sessions import SessionFactory
from harness.deploy.backend import backend_session
from harness.deploy.ledger import DEFAULT_LEDGER_DIR, Ledger, iter_ledgers, pending_applies, process_alive, run_record
from harness.deploy.state import Backup, backup_state, holds_nothing
from harness.deploy.workdir import Workdir, WorkdirSpec
from harness.errors import HarnessError
from harness.tools.terraform import TerraformBinary, terraform_binary

log = logging.getLogger("harness.deploy")


@dataclass
class PendingApply:
    """An instance a run applied and did not destroy."""

    run_id: str
    instance_id: str
    workdir: str
    emulator: dict[str, Any] | None
    ledger: Path


@dataclass
class CleanupReport:
    """What ``cleanup`` found and did."""

    pending: list[PendingApply] = field(default_factory=list)
    destroyed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # their emulator no longer exists: nothing left to destroy
    failed: dict[str, str] = field(default_factory=dict)
    skipped_runs: dict[str, str] = field(default_factory=dict)
    removed_ledgers: list[str] = field(default_factory=list)
    backups: list[Backup] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {"pending": [p.instance_id for p in self.pending], "destroyed": self.destroyed, "gone": self.gone,
                "failed": self.failed, "skipped_runs": self.skipped_runs, "removed_ledgers": self.removed_ledgers,
                "backups": [b.to_json() for b in self.backups]}


def find_pending(ledger_dir: str | os.PathLike[str] = DEFAULT_LEDGER_DIR) -> list[PendingApply]:
    """Every instance left applied by any run with a ledger in ``ledger_dir`` (a dry run of ``cleanup``)."""
    out = []
    for path, entries in iter_ledgers(ledger_dir):
        for record in pending_applies(entries):
            spec = record.get("spec") or {}
            out.append(PendingApply(path.stem, str(record["instance"]), str(record.get("workdir") or ""),
                                    spec.get("emulator"), path))
    return out


def _run_alive(entries: list[dict[str, Any]]) -> int | None:
    run = run_record(entries)
    if run is None or run.get("host") != socket.gethostname():
        return None
    pid = run.get("pid")
    if isinstance(pid, int) and pid != os.getpid() and process_alive(pid):
        return pid
    return None


def cleanup(ledger_dir: str | os.PathLike[str] = DEFAULT_LEDGER_DIR, *,
            terraform: str | os.PathLike[str] | TerraformBinary | None = None, force: bool = False,
            dry_run: bool = False, lock_timeout: str = "60s", timeout: float = 900.0,
            workdir_root: Path | None = None, plugin_cache: Path | None = None,
            sessions: SessionFactory | None = None) -> CleanupReport:
    """Destroy, consumers first, whatever the runs recorded in ``ledger_dir`` applied and left behind."""
    report = CleanupReport()
    for path, entries in iter_ledgers(ledger_dir):
        run_id = path.stem
        pending = pending_applies(entries)
        alive = _run_alive(entries)
        if alive is not None and not force:
            report.skipped_runs[run_id] = f"still running (pid {alive}); pass force=True to clean it anyway"
            continue
        report.pending.extend(PendingApply(run_id, str(r["instance"]), str(r.get("workdir") or ""),
                                           (r.get("spec") or {}).get("emulator"), path) for r in pending)
        if dry_run:
            continue
        ledger = Ledger(path.parent, run_id)
        workdirs: list[Path] = []
        for record in reversed(pending):
            instance_id = str(record["instance"])
            try:
                outcome = _destroy_recorded(record, ledger, report, terraform=terraform, lock_timeout=lock_timeout,
                                            timeout=timeout, workdir_root=workdir_root, plugin_cache=plugin_cache,
                                            sessions=sessions)
            except Exception as exc:  # noqa: BLE001 - report and go on with the next instance
                log.error("cleanup of %s (run %s) failed: %s", instance_id, run_id, exc)
                report.failed[f"{run_id}/{instance_id}"] = str(exc)
                continue
            (report.destroyed if outcome == "destroyed" else report.gone).append(instance_id)
            if record.get("workdir"):
                workdirs.append(Path(str(record["workdir"])))
        if not pending_applies(ledger.entries()):
            ledger.remove()
            report.removed_ledgers.append(run_id)
            for folder in workdirs:
                _remove_workdir(folder)
    return report


def _remove_workdir(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if folder.parent.name.startswith("harness-deploy-"):
        shutil.rmtree(folder.parent, ignore_errors=True)


def _destroy_recorded(record: dict[str, Any], ledger: Ledger, report: CleanupReport, *,
                      terraform: str | os.PathLike[str] | TerraformBinary | None, lock_timeout: str, timeout: float,
                      workdir_root: Path | None, plugin_cache: Path | None,
                      sessions: SessionFactory | None) -> str:
    spec = WorkdirSpec.from_json(record["spec"])
    emulator = None
    if spec.emulator:
        emulator = Emulator.connect(str(spec.emulator.get("kind") or "url"), str(spec.emulator["endpoint"]))
        if not emulator.healthy(timeout=5.0):
            if emulator.is_loopback:
                # A loopback emulator that no longer answers took its resources with it.
                ledger.append("gone", instance=spec.instance_id, endpoint=emulator.endpoint)
                return "gone"
            raise HarnessError(f"the emulator at {emulator.endpoint} does not answer")
    session = backend_session(spec.backend, emulator, sessions)
    if holds_nothing(session, spec.backend.bucket, spec.backend.key):
        ledger.append("destroy", instance=spec.instance_id, backup=None, skipped="state holds nothing", by="cleanup")
        return "destroyed"
    if isinstance(terraform, TerraformBinary):
        binary = terraform
    else:
        binary = terraform_binary(terraform or record.get("binary"))
    recorded = Path(str(record.get("workdir") or ""))
    path = recorded if record.get("workdir") and (recorded / ".terraform").is_dir() else None
    workdir = Workdir(spec, binary, path=path, root=workdir_root, plugin_cache=plugin_cache, timeout=timeout)
    workdir.prepare(lock_timeout=lock_timeout)
    try:
        backup = backup_state(session, spec.backend.bucket, spec.backend.key, reason="cleanup-destroy")
        if backup is not None:
            report.backups.append(backup)
        workdir.destroy(lock_timeout=lock_timeout)
        ledger.append("destroy", instance=spec.instance_id, backup=backup.to_json() if backup else None,
                      by="cleanup")
    finally:
        if path is None:
            workdir.remove()
    return "destroyed"
