"""``harness plan``: the normalized plan of one instance, or of a recorded plan JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.cli.common import base_path_option
from harness.engines import load_plan_file
from harness.errors import ConfigError
from harness.masking import mask, mask_text
from harness.plan import Plan
from harness.session import HarnessSession, SessionOptions


def _compare(component: str | None, stack: str | None, components: str | None, binary: str | None, verbose: bool,
             fmt: str, base_path: Path | None) -> None:
    from harness.plan.compare import compare_engines

    single = component is not None and stack is not None and not any(c in stack for c in "*?[,")
    if component is not None and not single:
        components = ",".join(filter(None, [components, component]))
    options = SessionOptions(base_path=base_path, start=Path.cwd(), stacks=None if single else stack,
                             components=components, terraform=binary)
    report = compare_engines(options, [f"{stack}/{component}"] if single else None, only=single)
    if fmt == "json":
        click.echo(json.dumps(mask(report.to_json()), indent=2, sort_keys=True))
    else:
        for line in report.lines(verbose=verbose):
            click.echo(mask_text(line))
    if not report.ok:
        click.get_current_context().exit(1)


def _table(plan: Plan) -> str:
    rows = [("ADDRESS", "ACTIONS", "UNKNOWN", "SOURCE")]
    for res in plan.resources():
        source = str(res.source) if res.source else ""
        rows.append((res.address, ",".join(res.actions), str(len(res.unknown)), source))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append("")
    lines.append(f"{plan.stack}/{plan.component}: engine={plan.engine} complete={str(plan.complete).lower()} "
                 f"resources={len(plan.addresses)} outputs={len(plan.outputs)}")
    for deferred in plan.unexpanded:
        lines.append(f"unexpanded: {deferred.address}: {deferred.reason}")
    for deferred in plan.conditional:
        lines.append(f"conditional: {deferred.address}: {deferred.reason}")
    return "\n".join(lines)


@click.command("plan")
@click.argument("component", required=False)
@click.option("-s", "--stack", default=None, help="Stack of the component.")
@click.option("--engine", type=click.Choice(["auto", "static", "terraform", "recorded"]), default="auto",
              show_default=True, help="How the plan is made.")
@click.option("--plans-dir", type=click.Path(path_type=Path), default=None,
              help="Recorded plans: DIR/<stack>/<component>.json.")
@click.option("--plan-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Normalize this plan JSON file (terraform show -json) instead of planning.")
@click.option("--terraform", "binary", default=None, help="Terraform or OpenTofu binary.")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True)
@click.option("--show-sensitive", is_flag=True, default=False,
              help="Print sensitive values and Atmos-masked text in clear (on purpose; never in CI logs).")
@click.option("--compare-engines", is_flag=True, default=False,
              help="Fidelity check: compare the static plan with the terraform plan of each instance (COMPONENT "
                   "and -s STACK: that one; else every instance, -s/--components as globs and names); exit 1 on "
                   "any difference.")
@click.option("--components", default=None, help="With --compare-engines: only these components (comma-separated).")
@click.option("-v", "--verbose", is_flag=True, default=False,
              help="With --compare-engines: list the acceptable differences too (static unknown, not in static).")
@base_path_option
def plan(component: str | None, stack: str | None, engine: str, plans_dir: Path | None, plan_file: Path | None,
         binary: str | None, fmt: str, show_sensitive: bool, compare_engines: bool, components: str | None,
         verbose: bool, base_path: Path | None) -> None:
    """Print the normalized plan of COMPONENT in STACK (unknown values marked as unknown).

    Sensitive values (Terraform's sensitive variables, outputs and provider attributes) show as
    {"__sensitive__": true}, and atmos.yaml's settings.terminal.mask applies, unless --show-sensitive.
    With --plan-file, normalize a recorded plan JSON instead; no Atmos repository is needed then.
    With --compare-engines, check the static engine against real terraform plans instead (see
    harness.plan.compare): same addresses, no known value that differs, nothing static calls known that
    terraform calls unknown.
    """
    if compare_engines:
        _compare(component, stack, components, binary, verbose, fmt, base_path)
        return
    if plan_file is not None:
        result = load_plan_file(plan_file, stack=stack or "", component=component or plan_file.stem)
    else:
        if component is None or stack is None:
            raise ConfigError("give COMPONENT and -s STACK, or --plan-file FILE")
        session = HarnessSession(SessionOptions(base_path=base_path, start=Path.cwd(), engine=engine,
                                                plans_dir=plans_dir, terraform=binary, cache="off"))
        try:
            instance = session.resolver.instance(component, stack)
            session.plan_groups = {}  # this instance only, not its whole batch
            chosen, reason = session.engine
            click.echo(f"harness: engine={chosen.name} ({reason})", err=True)
            result = session.plan(instance)
        finally:
            session.close()
    if fmt == "json":
        data = result.to_json(reveal=show_sensitive)
        click.echo(json.dumps(data if show_sensitive else mask(data), indent=2, sort_keys=True))
    else:
        click.echo(_table(result) if show_sensitive else mask_text(_table(result)))
