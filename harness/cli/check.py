"""``harness check`` and ``harness policies``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.check import CheckResult, run_check
from harness.cli.common import base_path_option, echo, progress_printer
from harness.masking import mask
from harness.policy import format_table, full_catalog, load_user_policies
from harness.policy import to_json as policies_json
from harness.policy.checkov_run import checkov_absent
from harness.select import affected_instances
from harness.session import HarnessSession, SessionOptions

_COLUMNS = ("critical", "high", "medium", "low", "info", "contract", "warning", "error", "waived", "undetermined")


def _print_table(result: CheckResult) -> None:
    cells = result.matrix()
    rows = [("STACK", "COMPONENT", *(c.upper() for c in _COLUMNS))]
    for (stack, component), counts in sorted(cells.items()):
        rows.append((stack, component, *(str(counts.get(c, 0)) if counts.get(c) else "." for c in _COLUMNS)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def _print_details(result: CheckResult, folders: dict[tuple[str, str], str]) -> None:
    for problem in result.problems:
        echo(f"stack problem: {problem}")
    for contract in result.contracts:
        echo(f"contract: {contract}")
    for instance_id, error in sorted(result.plan_errors.items()):
        echo(f"plan error: {instance_id}: {error}")
    for policy_result in result.policies:
        for error in policy_result.errors:
            echo(f"policy error: {error}")
    for finding in result.failures():
        folder = folders.get((finding.stack, finding.component), "")
        where = f" ({folder}/{finding.source})" if finding.source and folder else (
            f" ({finding.source})" if finding.source else "")
        controls = f" [{', '.join(finding.controls)}]" if finding.controls else ""
        echo(f"{finding.severity.name.lower()}: {finding.policy}: {finding.stack}/{finding.component}: "
                   f"{finding.address or ''}{where}: {finding.message}{controls}")
    for empty in result.empty_instances():
        echo(f"empty: {empty.stack}/{empty.component}: no planned resource, nothing checked "
             f"({len(empty.not_applicable)} policies not applicable, none passed)")
    for policy_result in result.policies:
        for waiver in policy_result.stale:
            echo(f"stale waiver: {policy_result.stack}/{policy_result.component}: {waiver.describe()}")


@click.command("check")
@click.option("--stacks", default=None, help="Only stacks matching these globs (comma-separated).")
@click.option("--components", default=None, help="Only these components (comma-separated).")
@click.option("--engine", type=click.Choice(["auto", "static", "terraform", "recorded"]), default="static",
              show_default=True, help="How plans are made for the policies.")
@click.option("--plans-dir", type=click.Path(path_type=Path), default=None, help="Recorded plans folder.")
@click.option("--threshold", type=click.Choice(["critical", "high", "medium", "low", "info"]), default=None,
              help="Fail on unwaived findings at or above this severity (default: settings.harness.fail_on, "
                   "else info: every unwaived finding).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--allow-exec", is_flag=True, help="Let stacks run !exec shell commands.")
@click.option("--use-mocks", is_flag=True,
              help="As Atmos --use-mocks: !terraform.output/!terraform.state read the producer's 'mocks' section.")
@click.option("--affected-since", default=None, metavar="REF",
              help="Only instances affected since this git ref (everything when that cannot be decided).")
@base_path_option
def check(stacks: str | None, components: str | None, engine: str, plans_dir: Path | None, threshold: str | None,
          fmt: str, allow_exec: bool, use_mocks: bool, affected_since: str | None, base_path: Path | None) -> None:
    """Validate stacks, check contracts and run policies on every instance; exit 1 on any unwaived
    finding at or above the threshold, any expired waiver, contract error or stack problem (a stack
    whose name cannot be resolved included), and when nothing was checked: no deployable instance, or
    a --stacks/--components selection that matches none. Only --affected-since with nothing affected
    checks nothing and passes, saying so. Contract warnings (an undeclared var) are listed, not fatal."""
    session = HarnessSession(SessionOptions(base_path=base_path, start=Path.cwd(), stacks=stacks,
                                            components=components, engine=engine, plans_dir=plans_dir,
                                            allow_exec=allow_exec, use_mocks=use_mocks))
    nothing_selected = None
    try:
        if affected_since:
            affected = affected_instances(session.resolver.config, affected_since, allow_exec=allow_exec)
            if affected.decided:
                session.selected = [i for i in session.selected if i.id in affected.instances]
                echo(f"{len(session.selected)} affected instance(s) since {affected_since}", err=True)
                nothing_selected = f"no instance is affected since {affected_since}"
            else:
                echo(affected.note, err=True)
        result = run_check(session, threshold=threshold, progress=progress_printer(total_threshold=40),
                           nothing_selected=nothing_selected)
        folders = {(i.stack, i.component): session.resolver.config.relative(i.component_path)
                   for i in session.selected} if not result.problems else {}
    finally:
        session.close()
    if fmt == "json":
        echo(json.dumps(mask(result.to_json()), indent=2, default=str))
    else:
        _print_table(result)
        _print_details(result, folders)
        verdict = "passed" if result.ok else "FAILED"
        warnings = len(result.contracts) - len(result.blocking_contracts)
        if result.empty is not None:
            echo(f"check FAILED: {result.empty}", err=True)
        elif result.nothing_selected is not None and not result.problems:
            echo(f"check passed: {result.nothing_selected}: 0 instances checked", err=True)
        else:
            echo(f"check {verdict}: {result.checked} instances, {len(result.failures())} failing finding(s) "
                       f"at or above {result.threshold.name.lower()}, {len(result.blocking_contracts)} contract "
                       f"error(s), {warnings} contract warning(s), {len(result.problems)} stack problem(s)"
                 + (f", {len(result.empty_instances())} empty instance(s) (nothing planned)"
                    if result.empty_instances() else ""),
                       err=not result.ok)
    if not result.ok:
        raise click.exceptions.Exit(1)


@click.command("policies")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@base_path_option
def policies(fmt: str, base_path: Path | None) -> None:
    """Every policy with id, severity, source, control ids and title: built-in, the repository's own
    (policies/ and entry points), organization policies (across instances) and, when checkov is found
    ($HARNESS_CHECKOV or on PATH), the checkov checks the harness maps to a severity and controls."""
    load_user_policies(base_path or Path.cwd())
    rows = full_catalog()
    echo(policies_json(rows) if fmt == "json" else format_table(rows))
    if not any(p.origin == "checkov" for p in rows):
        echo(f"{checkov_absent()}: its checks are not listed", err=True)
