"""``harness state inspect|locks`` and ``harness cleanup``: state safety tools over the deploy library."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import click

from harness.atmos import load_config
from harness.atmos.resolver import Resolver
from harness.aws import Emulator
from harness.cli.common import base_path_option
from harness.deploy.cleanup import cleanup as cleanup_runs
from harness.deploy.ledger import DEFAULT_LEDGER_DIR
from harness.deploy.state import inspect_state, list_locks
from harness.errors import ConfigError

_DURATION = re.compile(r"^(\d+)([smhd])$")


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if match is None:
        raise ConfigError(f"--stale-after takes a duration like 30m, 2h or 1d, got '{text}'")
    amount, unit = int(match.group(1)), match.group(2)
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    return timedelta(**{units[unit]: amount})


def _emulator(url: str | None) -> Emulator | None:
    return Emulator.connect("url", url) if url else None


emulator_option = click.option("--emulator", "emulator_url", default=None, metavar="URL",
                               help="Read the backend in this AWS emulator (default: real AWS, usual credentials).")


@click.group()
def state() -> None:
    """Inspect Terraform state and its locks (read-only: nothing is changed or unlocked)."""


@state.command("inspect")
@click.argument("component")
@click.option("-s", "--stack", required=True, help="Stack of the component.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@emulator_option
@base_path_option
def inspect(component: str, stack: str, fmt: str, emulator_url: str | None, base_path: Path | None) -> None:
    """Resources, outputs, serial, lineage and size of COMPONENT's state in STACK."""
    instance = Resolver(load_config(base_path)).instance(component, stack)
    info = inspect_state(instance, _emulator(emulator_url))
    if info is None:
        raise ConfigError(f"{instance.id}: no state object in its backend")
    if fmt == "json":
        click.echo(json.dumps(info.to_json(), indent=2, default=str))
        return
    data = info.to_json()
    click.echo(f"state s3://{data['bucket']}/{data['key']}")
    click.echo(f"serial {data['serial']}  lineage {data['lineage']}  size {data['size']} bytes  "
               f"terraform {data['terraform_version']}")
    click.echo(f"resources ({len(data['resources'])}):")
    for resource in data["resources"]:
        click.echo(f"  {json.dumps(resource, default=str)}")
    click.echo(f"outputs ({len(data['outputs'])}): {', '.join(sorted(data['outputs'])) or '-'}")


@state.command("locks")
@click.argument("component", required=False)
@click.option("-s", "--stack", required=True, help="Stack whose backend lock table to read.")
@click.option("--stale-after", default="1h", show_default=True, help="Flag locks older than this (30m, 2h, 1d).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@emulator_option
@base_path_option
def locks(component: str | None, stack: str, stale_after: str, fmt: str, emulator_url: str | None,
          base_path: Path | None) -> None:
    """Locks in the stack's DynamoDB lock table with holder, operation and age; stale ones flagged,
    never deleted (break a lock yourself with `terraform force-unlock` once you know it is dead)."""
    resolver = Resolver(load_config(base_path))
    if component is None:
        names = sorted(resolver.index().get(stack, {}))
        if not names:
            raise ConfigError(f"stack '{stack}' not found")
        component = names[0]
    instance = resolver.instance(component, stack)
    entries = list_locks(instance, _emulator(emulator_url), stale_after=_duration(stale_after))
    if fmt == "json":
        click.echo(json.dumps([e.to_json() for e in entries], indent=2, default=str))
        return
    if not entries:
        click.echo("no locks held")
        return
    for entry in entries:
        flag = "STALE " if entry.stale else ""
        click.echo(f"{flag}{entry.path}: held by {entry.who or '?'} for {entry.operation or '?'} "
                   f"since {entry.created} (age {entry.age}) id {entry.id}")
    stale = sum(1 for e in entries if e.stale)
    click.echo(f"{len(entries)} lock(s), {stale} stale (older than {stale_after}); none was changed", err=True)


@click.command("cleanup")
@click.option("--ledger-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_LEDGER_DIR,
              show_default=True, help="Where runs record what they applied.")
@click.option("--dry-run", is_flag=True, help="Only list what would be destroyed.")
@click.option("--force", is_flag=True, help="Also clean runs whose process still seems alive.")
@click.option("--terraform", "binary", default=None, help="Terraform or OpenTofu binary.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def cleanup(ledger_dir: Path, dry_run: bool, force: bool, binary: str | None, fmt: str) -> None:
    """Destroy what crashed or killed runs applied and left behind (from their run ledgers)."""
    report = cleanup_runs(ledger_dir, terraform=binary, force=force, dry_run=dry_run)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        for pending in report.pending:
            click.echo(f"pending: {pending.instance_id} (run {pending.run_id})")
        for item in report.destroyed:
            click.echo(f"destroyed: {item}")
        for item in report.gone:
            click.echo(f"gone with its emulator: {item}")
        for run_id, why in report.skipped_runs.items():
            click.echo(f"skipped run {run_id}: {why}")
        for item, why in report.failed.items():
            click.echo(f"FAILED: {item}: {why}")
        click.echo(f"{len(report.destroyed)} destroyed, {len(report.failed)} failed, "
                   f"{len(report.removed_ledgers)} ledger(s) closed", err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)
