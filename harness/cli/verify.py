"""``harness verify``: post-deploy validation of what is deployed against the stack config (read-only)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from harness.cli.common import make_resolver, resolver_options, split_list
from harness.errors import ConfigError
from harness.sandbox import load_record
from harness.verify import render_json, render_table, verify_stacks


@click.command("verify")
@click.option("-s", "--stack", "stacks", multiple=True, required=True,
              help="Stack name or glob (comma-separated or repeated).")
@click.option("--component", "components", multiple=True,
              help="Only this component (Atmos name or Terraform folder); repeatable.")
@click.option("--emulator", default=None, metavar="URL",
              help="Verify against an AWS emulator at URL (default: $HARNESS_AWS_ENDPOINT when set).")
@click.option("--sandbox", "sandbox_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Verify what `harness sandbox up` deployed: the emulator recorded in this sandbox folder.")
@click.option("--live", is_flag=True, default=False,
              help="Verify real AWS accounts (read-only; needs --allow-account or settings.harness.live).")
@click.option("--allow-account", "allow_accounts", multiple=True, metavar="ID",
              help="Account id live mode may read; repeatable.")
@click.option("--role-name", default=None,
              help="Role to assume in each account (default: settings.harness.live.role_name, else the stack's "
                   "settings.account.terraform_role_arn).")
@click.option("--profile", default=None, help="AWS profile for the base credentials in live mode.")
@click.option("--outputs-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Recorded outputs: DIR/<stack>/<component>.json (terraform output -json or a plain map).")
@click.option("--state/--no-state", "from_state", default=True, show_default=True,
              help="Read outputs from the state in the backend when no outputs file is given.")
@click.option("--settle", type=float, default=None,
              help="Seconds a failing check keeps re-reading before it counts as drift (default: 0 on an "
                   "emulator, 10 live).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@resolver_options
def verify(stacks: tuple[str, ...], components: tuple[str, ...], emulator: str | None, sandbox_dir: Path | None,
           live: bool,
           allow_accounts: tuple[str, ...], role_name: str | None, profile: str | None, outputs_dir: Path | None,
           from_state: bool, settle: float | None, fmt: str, base_path: Path | None, process_templates: bool,
           process_functions: bool, allow_exec: bool) -> None:
    """Check deployed resources against the stack config, read-only; exit 1 on drift.

    Prints a table per stack (check, status, expected, actual). A failed check is drift; an
    undetermined one (API not served, access denied, unknown input) is listed with its reason.
    """
    resolver = make_resolver(base_path, process_templates=process_templates, process_functions=process_functions,
                             allow_exec=allow_exec)
    if sandbox_dir is not None:
        record = load_record(sandbox_dir.resolve())
        if record is None:
            raise ConfigError(f"no sandbox in {sandbox_dir} (harness sandbox up -s STACK starts one)")
        emulator = record.endpoint
    if emulator is None and not live:
        emulator = os.environ.get("HARNESS_AWS_ENDPOINT") or None
    reports = verify_stacks(resolver, split_list(stacks), split_list(components), emulator=emulator, live=live,
                            allow_accounts=split_list(allow_accounts), outputs_dir=outputs_dir, from_state=from_state,
                            settle=settle, role_name=role_name, profile=profile)
    click.echo(render_json(reports) if fmt == "json" else render_table(reports))
    if any(r.drift for r in reports):
        raise click.exceptions.Exit(1)
