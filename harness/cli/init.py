"""``harness init [DIR]``: set up an existing Atmos repository for the harness (see harness.scaffold)."""

from __future__ import annotations

from pathlib import Path

import click

from harness.atmos import load_config
from harness.errors import ConfigError
from harness.scaffold import init as scaffold


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, default=False, help="Overwrite files that exist (otherwise they are skipped).")
def init(directory: Path | None, force: bool) -> None:
    """Write a noxfile, starter component tests, pytest settings, CI workflows and a pre-commit hook.

    The repository is found by its atmos.yaml, upward from DIRECTORY (default: the current directory).
    Files go next to atmos.yaml (workflows and pre-commit config at the top of the git work tree). An
    existing file is never replaced without --force, so running it twice changes nothing. Then:
    `pip install nox` and `nox -s unit check` (docs/adopting.md).
    """
    start = (directory or Path.cwd()).resolve()
    config = load_config(cwd=start)
    if config.config_file is None:
        raise ConfigError(f"no atmos.yaml in {start} or above: run harness init inside an Atmos repository")
    click.echo(f"harness init: resolving the stacks of {config.config_file} ...", err=True)
    result = scaffold(config, force=force)
    for rel in result.written:
        click.echo(f"wrote    {rel}")
    for rel in result.skipped:
        click.echo(f"skipped  {rel} (exists{'' if force else '; --force overwrites'})")
    click.echo(f"{len(result.written)} file(s) written, {len(result.skipped)} skipped, "
               f"{len(result.components)} component test(s) under {result.root}", err=True)
