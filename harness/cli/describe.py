"""``harness describe stacks|component|dependents|affected``: Atmos-compatible views of the resolved stacks."""

from __future__ import annotations

from pathlib import Path

import click

from harness.atmos.affected import affected as affected_items
from harness.atmos.dependents import describe_dependents
from harness.cli.common import emit, format_option, make_resolver, resolver_options, split_list

_USE_MOCKS_HELP = ("Resolve !terraform.output / !terraform.state from the producer component's 'mocks' section "
                   "(Atmos 1.224+); a missing mocks section or output is an error unless the expression has a "
                   "'// default'.")


@click.group()
def describe() -> None:
    """Show resolved stack configuration the way `atmos describe` does."""


@describe.command("stacks")
@click.option("-s", "--stack", "stacks", multiple=True, help="Only these stacks (name or manifest key); repeatable.")
@click.option("--components", multiple=True, help="Only these components (comma-separated or repeated).")
@click.option("--include-empty-stacks", is_flag=True, help="Also list manifests that define no component.")
@click.option("--use-mocks", is_flag=True, help=_USE_MOCKS_HELP)
@format_option
@resolver_options
def describe_stacks(stacks: tuple[str, ...], components: tuple[str, ...], include_empty_stacks: bool,
                    use_mocks: bool, fmt: str, base_path: Path | None, process_templates: bool,
                    process_functions: bool, allow_exec: bool) -> None:
    """Every stack and its component instances: {stack: {components: {terraform: {...}}}}."""
    resolver = make_resolver(base_path, process_templates=process_templates, process_functions=process_functions,
                             allow_exec=allow_exec, use_mocks=use_mocks)
    emit(resolver.describe_stacks(split_list(stacks) or None, split_list(components) or None,
                                  include_empty=include_empty_stacks), fmt)


@describe.command("component")
@click.argument("component")
@click.option("-s", "--stack", required=True, help="Stack name (e.g. plat-ue1-dev).")
@click.option("--provenance", is_flag=True,
              help="Print each value with the manifest file:line that set it and the values it overrode.")
@click.option("--use-mocks", is_flag=True, help=_USE_MOCKS_HELP)
@format_option
@resolver_options
def describe_component(component: str, stack: str, provenance: bool, use_mocks: bool, fmt: str,
                       base_path: Path | None, process_templates: bool, process_functions: bool,
                       allow_exec: bool) -> None:
    """One component in one stack, fully resolved (vars, settings, env, backend, workspace, ...)."""
    resolver = make_resolver(base_path, process_templates=process_templates, process_functions=process_functions,
                             allow_exec=allow_exec, use_mocks=use_mocks)
    if provenance:
        from harness.atmos.provenance import describe_provenance, provenance_text

        described = describe_provenance(resolver, component, stack)
        if fmt == "json":
            emit(described, fmt)
        else:
            click.echo(provenance_text(described), nl=False)
        return
    emit(resolver.describe_component(component, stack), fmt)


@describe.command("dependents")
@click.argument("component")
@click.option("-s", "--stack", required=True, help="Stack of the component.")
@click.option("--include-settings", is_flag=True, help="Add each dependent's settings.")
@format_option
@resolver_options
def dependents(component: str, stack: str, include_settings: bool, fmt: str, base_path: Path | None,
               process_templates: bool, process_functions: bool, allow_exec: bool) -> None:
    """Components that depend on COMPONENT in STACK (Atmos's rules, JSON list like Atmos's)."""
    resolver = make_resolver(base_path, process_templates=process_templates, process_functions=process_functions,
                             allow_exec=allow_exec)
    emit(describe_dependents(resolver.describe_stacks(), component, stack, include_settings=include_settings), fmt)


@describe.command("affected")
@click.option("--base", "base_ref", required=True, help="Git ref to compare against (branch, tag or sha).")
@click.option("--head", "head_ref", default=None, help="Git ref of HEAD (default: the working tree).")
@click.option("--include-dependents", is_flag=True, help="Attach each affected component's dependents.")
@click.option("--include-settings", is_flag=True, help="Add each item's settings.")
@click.option("--exclude-locked", is_flag=True, help="Leave out components with metadata.locked: true.")
@click.option("-s", "--stack", default=None, help="Only this stack.")
@format_option
@resolver_options
def affected(base_ref: str, head_ref: str | None, include_dependents: bool, include_settings: bool,
             exclude_locked: bool, stack: str | None, fmt: str, base_path: Path | None, process_templates: bool,
             process_functions: bool, allow_exec: bool) -> None:
    """Instances that differ between --base and HEAD (changed sections, files, imports, dependencies)."""
    resolver = make_resolver(base_path, process_templates=process_templates, process_functions=process_functions,
                             allow_exec=allow_exec)
    emit(affected_items(resolver.config, base_ref=base_ref, head_ref=head_ref, process_templates=process_templates,
                        process_functions=process_functions, allow_exec=resolver.allow_exec,
                        include_settings=include_settings, include_dependents=include_dependents,
                        exclude_locked=exclude_locked, stack=stack), fmt)
