"""The ``harness`` command line: thin shells over the library, one clear line per user error."""

from __future__ import annotations

import sys

import click

from harness import __version__
from harness.cli.affected import affected
from harness.cli.check import check, policies
from harness.cli.common import run_guarded
from harness.cli.describe import describe
from harness.cli.init import init
from harness.cli.plan import plan
from harness.cli.report import gate, report
from harness.cli.sandbox import sandbox
from harness.cli.state import cleanup, state
from harness.cli.validate import validate
from harness.cli.verify import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="harness")
def cli() -> None:
    """Test harness for an Atmos-managed, multi-account AWS Terraform repository.

    The commands that read stacks find atmos.yaml upward from the current directory, or in
    --base-path DIR; `report`, `gate` and `cleanup` read files only; `init DIR` sets up a repository.
    Output of the describe commands is Atmos-compatible JSON or YAML, so it can be diffed against
    `atmos describe ...`.
    """


cli.add_command(describe)
cli.add_command(validate)
cli.add_command(plan)
cli.add_command(affected)
cli.add_command(check)
cli.add_command(policies)
cli.add_command(report)
cli.add_command(gate)
cli.add_command(verify)
cli.add_command(state)
cli.add_command(cleanup)
cli.add_command(sandbox)
cli.add_command(init)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors exit 1 with one line on stderr, Ctrl-C exits 130."""
    sys.exit(run_guarded(cli, argv))
