"""``harness report merge|markdown|html`` and ``harness gate``: join, show and judge run reports."""

from __future__ import annotations

import json
from pathlib import Path

import click

from harness.errors import HarnessError
from harness.report import (
    SEVERITIES,
    evaluate_gate,
    load_report,
    merge_files,
    render_html,
    render_markdown,
)
from harness.report.checkout import read_checkout
from harness.report.model import write_atomic

_IN = click.Path(dir_okay=False, path_type=Path)


class GateInputError(click.ClickException):
    """The gate could not read its inputs: exit 2, so CI tells 'blocked' (1) from 'broken' (2)."""

    exit_code = 2


@click.group("report")
def report() -> None:
    """Join shard reports and render a report as Markdown or HTML.

    Reports are the JSON files the pytest plugin writes (one per run or shard); see
    docs/report-format.md.
    """


@report.command("merge")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("inputs", nargs=-1, required=True, type=_IN)
@click.option("--allow-incomplete", is_flag=True,
              help="Merge even when some shards K/N are missing (the result then lacks their tests).")
def merge(out: Path, inputs: tuple[Path, ...], allow_incomplete: bool) -> None:
    """Join shard reports INPUTS into OUT: the same report a full run would have written."""
    merged = merge_files(out, list(inputs), require_complete=not allow_incomplete)
    s = merged.summary()
    click.echo(f"merged {len(inputs)} report(s) into {out}: {s['tests']['total']} tests, "
               f"{s['instances']['total']} instances, {s['findings']['total']} findings", err=True)


@report.command("markdown")
@click.argument("file", type=_IN)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: stdout). Append it to $GITHUB_STEP_SUMMARY in CI.")
@click.option("--title", default="Harness report", show_default=True)
@click.option("--max-items", type=click.IntRange(min=1), default=50, show_default=True,
              help="At most this many entries per list.")
def markdown(file: Path, output: Path | None, title: str, max_items: int) -> None:
    """The stack x component matrix, failures and findings of FILE as Markdown (PR comment, step summary)."""
    text = render_markdown(load_report(file), title=title, max_items=max_items)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


@report.command("html")
@click.argument("file", type=_IN)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write.")
@click.option("--title", default="Harness report", show_default=True)
def html(file: Path, output: Path, title: str) -> None:
    """One self-contained HTML page of FILE: colour-coded matrix, click a cell for its failures and findings."""
    write_atomic(output, render_html(load_report(file), title=title))
    click.echo(f"wrote {output}", err=True)


@click.command("gate")
@click.option("--report", "report_path", type=_IN, required=True, help="The (merged) report to judge.")
@click.option("--baseline", type=_IN, default=None,
              help="The last release's report: failures and findings are split into new and known.")
@click.option("--threshold", type=click.Choice(SEVERITIES, case_sensitive=False), default=None,
              help="Failing findings at or above this severity block the release (default: the run's own "
                   "threshold, settings.harness.fail_on, recorded in the report).")
@click.option("--fail-on-new", is_flag=True,
              help="With --baseline: any new failing finding blocks, whatever its severity.")
@click.option("--allow-shard", is_flag=True, help="Accept a report of a single shard (normally refused).")
@click.option("--commit", "release_commit", default=None, metavar="SHA",
              help="The commit being released (default: HEAD of the current directory's git checkout).")
@click.option("--allow-commit-mismatch", is_flag=True,
              help="Accept a report made at another commit, from a dirty tree, or that records no commit.")
@click.option("--allow-no-policies", is_flag=True,
              help="Accept a report without the built-in policy and contract results.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def gate(ctx: click.Context, report_path: Path, baseline: Path | None, threshold: str | None, fail_on_new: bool,
         allow_shard: bool, release_commit: str | None, allow_commit_mismatch: bool, allow_no_policies: bool,
         fmt: str) -> None:
    """The release gate: exit 0 only with no failed test, no expired waiver, no failing finding >= THRESHOLD,
    and a sound report: tests and instances ran, policy and contract results are in it, it was made at the
    commit being released from a clean tree, and its run had no usage error, collection error or interruption.

    Exit 1 when the release is blocked (each reason on one line), 2 when a report cannot be read.
    """
    try:
        current = load_report(report_path)
        base = load_report(baseline) if baseline is not None else None
    except HarnessError as exc:
        raise GateInputError(str(exc)) from None
    if release_commit is None and not allow_commit_mismatch:
        release_commit = read_checkout(Path.cwd()).commit
    result = evaluate_gate(current, baseline=base, threshold=threshold, fail_on_new=fail_on_new,
                           allow_shard=allow_shard, release_commit=release_commit,
                           allow_commit_mismatch=allow_commit_mismatch, allow_no_policies=allow_no_policies)
    result.report_path = str(report_path)
    result.baseline_path = None if baseline is None else str(baseline)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.format_text())
    ctx.exit(result.exit_code)
