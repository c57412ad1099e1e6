"""``harness validate stacks``: configuration problems, each with file and line; exit 1 if any."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.atmos.validate import validate_stacks
from harness.cli.common import make_resolver, resolver_options


@click.group()
def validate() -> None:
    """Check configuration without planning anything."""


@validate.command("stacks")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@resolver_options
def stacks(fmt: str, base_path: Path | None, process_templates: bool, process_functions: bool,
           allow_exec: bool) -> None:
    """Parse every manifest, check it against the manifest schema(s), process every stack and check
    references (component folders, dependencies, !terraform.output targets). Lists every problem."""
    resolver = make_resolver(base_path, process_templates=process_templates, process_functions=process_functions,
                             allow_exec=allow_exec)
    problems = validate_stacks(resolver)
    if fmt == "json":
        click.echo(json.dumps({"problems": [p.to_json() for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        files = len(resolver.stack_files()) if not problems else None
        summary = f"{len(problems)} problem(s)" if problems else f"stacks valid ({files} manifests)"
        click.echo(summary, err=bool(problems))
    if problems:
        raise click.exceptions.Exit(1)
