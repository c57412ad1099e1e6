"""``harness sandbox up|status|down``: stacks deployed into a local moto server that stays up."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import click
import yaml

from harness.atmos import load_config
from harness.cli.common import base_path_option, make_resolver, resolver_options, split_list
from harness.errors import ConfigError, HarnessError
from harness.sandbox import DEFAULT_DIR, SandboxRecord, down, status, up


def _directory(directory: Path | None, base_path: Path | None) -> Path:
    """``--dir``, else ``.harness/sandbox`` in the repository (the current directory outside one)."""
    if directory is not None:
        return directory
    try:
        return load_config(base_path).base_path / DEFAULT_DIR
    except HarnessError:
        return Path.cwd() / DEFAULT_DIR


def _progress(message: str) -> None:
    click.echo(f"sandbox: {message}", err=True)


def _vars_file(path: Path | None) -> dict[str, dict[str, Any]] | None:
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {exc}", file=path, line=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError("--vars takes a map of instance id (stack/component) or component name to a map of "
                          "variables", file=path)
    return {str(k): dict(v) for k, v in data.items()}


def _exports(record: SandboxRecord) -> str:
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in record.environment().items())


dir_option = click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
                          help=f"The sandbox folder (default: {DEFAULT_DIR} in the repository).")
format_option = click.option("--format", "fmt", type=click.Choice(["table", "json", "env"]), default="table",
                             show_default=True, help="env: export lines for a shell (eval \"$(...)\").")


@click.group("sandbox")
def sandbox() -> None:
    """A local environment: stacks deployed with real terraform into a moto server that stays up.

    `up` starts the server (first time), deploys and prints the environment that boto3, the aws CLI,
    terraform and `harness verify` need; `status` shows what is deployed; `down` destroys it all,
    stops the server and removes the folder.
    """


@sandbox.command("up")
@click.option("-s", "--stack", "stacks", multiple=True, required=True,
              help="Stack to deploy (comma-separated or repeated).")
@click.option("--component", "components", multiple=True,
              help="Only this component (Atmos name or Terraform folder); repeatable.")
@click.option("--with-dependencies", is_flag=True, default=False,
              help="Also deploy what the components read (remote state, !terraform.output, depends_on), first.")
@click.option("--vars", "vars_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="YAML: instance id or component -> variables that replace the stack's (e.g. for what moto "
                   "does not model).")
@click.option("--terraform", "binary", default=None, help="Terraform or OpenTofu binary (default: found on PATH).")
@click.option("--jobs", type=int, default=None, help="Instances applied at once (default: the cores).")
@dir_option
@format_option
@resolver_options
def sandbox_up(stacks: tuple[str, ...], components: tuple[str, ...], with_dependencies: bool,
               vars_file: Path | None, binary: str | None, jobs: int | None, directory: Path | None, fmt: str,
               base_path: Path | None, process_templates: bool, process_functions: bool, allow_exec: bool) -> None:
    """Deploy STACK into the sandbox (starting its moto server on first use) and print how to reach it."""
    resolver = make_resolver(base_path, process_templates=process_templates, process_functions=process_functions,
                             allow_exec=allow_exec)
    folder = directory if directory is not None else resolver.config.base_path / DEFAULT_DIR
    extra_vars = _vars_file(vars_file)
    try:
        record = up(resolver, split_list(stacks), directory=folder, components=split_list(components),
                    with_dependencies=with_dependencies, extra_vars=extra_vars, terraform=binary, jobs=jobs,
                    progress=_progress)
    except (HarnessError, KeyboardInterrupt):
        if status(folder).record is not None:
            _progress(f"what was applied stays up: harness sandbox down --dir {shlex.quote(str(folder))} removes it")
        raise
    _show(record, folder, fmt)


def _show(record: SandboxRecord, folder: Path, fmt: str) -> None:
    if fmt == "env":
        click.echo(_exports(record))
        return
    report = status(folder)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, sort_keys=True))
        return
    click.echo(f"sandbox {folder}: moto at {record.endpoint} (pid {record.pid}, "
               f"{'running' if report.server_alive else 'NOT RUNNING'})")
    if report.instances:
        click.echo("deployed:")
        width = max(len(i.instance_id) for i in report.instances)
        for item in report.instances:
            held = "state not found" if item.resources is None else f"{item.resources} resource(s)"
            where = f" in {item.role_arn} ({item.region})" if item.role_arn else ""
            click.echo(f"  {item.instance_id:<{width}}  {held}{where}, outputs: {', '.join(item.outputs) or '-'}")
    else:
        click.echo("deployed: nothing")
    for instance_id, reason in sorted(record.unserved.items()):
        click.echo(f"not served by moto: {instance_id}: {reason}")
    click.echo("\nenvironment for boto3, the aws CLI and terraform (or: eval \"$(harness sandbox status "
               f"--dir {shlex.quote(str(folder))} --format env)\"); resources live in each stack's account: "
               "assume the role shown beside it:")
    click.echo(_exports(record))
    if record.stacks:
        click.echo(f"\nverify: harness verify -s {','.join(record.stacks)} --emulator {record.endpoint}")
    if record.workdirs:
        click.echo("terraform: each working copy is initialised against the sandbox, e.g. "
                   f"cd {shlex.quote(next(iter(record.workdirs.values())))} && terraform plan")


@sandbox.command("status")
@dir_option
@format_option
@base_path_option
def sandbox_status(directory: Path | None, fmt: str, base_path: Path | None) -> None:
    """What the sandbox holds: its server, each deployed instance's resources and outputs. Exit 1: none."""
    folder = _directory(directory, base_path)
    report = status(folder)
    if report.record is None:
        if fmt == "json":
            click.echo(json.dumps(report.to_json(), indent=2, sort_keys=True))
        else:
            click.echo(f"no sandbox in {folder} (harness sandbox up -s STACK starts one)", err=True)
        raise click.exceptions.Exit(1)
    _show(report.record, folder, fmt)


@sandbox.command("down")
@click.option("--terraform", "binary", default=None, help="Terraform or OpenTofu binary (default: as recorded).")
@dir_option
@base_path_option
def sandbox_down(binary: str | None, directory: Path | None, base_path: Path | None) -> None:
    """Destroy everything in the sandbox (consumers first), stop its server and remove its folder."""
    folder = _directory(directory, base_path)
    report = down(folder, terraform=binary, progress=_progress)
    for instance_id in report.destroyed:
        click.echo(f"destroyed: {instance_id}")
    for instance_id in report.gone:
        click.echo(f"gone with the server: {instance_id}")
    click.echo(f"sandbox {folder} removed")
