"""``harness affected``: instances a change affects, each with its reasons (for selective CI runs)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.atmos import load_config
from harness.cli.common import base_path_option, progress_printer
from harness.select import affected_instances


@click.command("affected")
@click.option("--base", "base_ref", required=True, help="Git ref to compare against (e.g. origin/main).")
@click.option("--head", "head_ref", default=None, help="Git ref of HEAD (default: the working tree).")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True)
@click.option("--allow-exec", is_flag=True, help="Let stacks run !exec shell commands.")
@click.option("--stack-index", default=None, metavar="FILE|off",
              help="Stack index cache (default: <base>/.harness-cache/stack-index.sqlite): lets a working-tree "
                   "comparison resolve only the manifests a change touches. 'off' resolves both revisions "
                   "in full; the answer is the same.")
@base_path_option
def affected(base_ref: str, head_ref: str | None, fmt: str, allow_exec: bool, stack_index: str | None,
             base_path: Path | None) -> None:
    """Instances affected between --base and HEAD: changed sections, component folders and local modules,
    changed manifests through the import graph, declared file/folder dependencies, and dependents.

    When it cannot decide (e.g. the base is unreachable) it says so; run everything then."""
    index = None if stack_index is None else stack_index if stack_index.lower() == "off" else Path(stack_index)
    result = affected_instances(load_config(base_path, allow_exec=allow_exec or None), base_ref, head_ref,
                                allow_exec=allow_exec, index=index, progress=progress_printer())
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    if not result.decided:
        click.echo(result.note)
        return
    for instance_id, reasons in sorted(result.instances.items()):
        click.echo(f"{instance_id}: {', '.join(reasons)}")
    shown = ", ".join(result.harness_changes[:3]) + (", ..." if len(result.harness_changes) > 3 else "")
    extra = f" (the harness changed: {shown})" if result.harness_changed else ""
    click.echo(f"{len(result.instances)} affected instance(s), {len(result.changed_files)} changed file(s){extra}; "
               f"{result.method} comparison, {result.resolved_manifests} manifest(s) resolved", err=True)
