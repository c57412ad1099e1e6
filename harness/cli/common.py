"""Options and output helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from harness.atmos import AtmosConfig, Resolver, load_config
from harness.errors import HarnessError

F = TypeVar("F", bound=Callable[..., Any])


def split_list(values: tuple[str, ...]) -> list[str]:
    """Repeated and comma-separated option values as one list (``-s a,b -s c`` -> a, b, c)."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def base_path_option(func: F) -> F:
    return click.option(
        "--base-path",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Repository holding atmos.yaml (default: found upward from the current directory).",
    )(func)


def resolver_options(func: F) -> F:
    func = click.option("--allow-exec", is_flag=True, default=False,
                        help="Let stacks run !exec shell commands (off by default).")(func)
    func = click.option("--process-functions/--no-process-functions", default=True, show_default=True,
                        help="Evaluate YAML functions (!env, !exec, ...).")(func)
    func = click.option("--process-templates/--no-process-templates", default=True, show_default=True,
                        help="Render Go templates in stack values.")(func)
    return base_path_option(func)


def format_option(func: F) -> F:
    return click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="yaml",
                        show_default=True, help="Output format.")(func)


def progress_printer(total_threshold: int = 50) -> Callable[[int, int, str], None]:
    """A stderr progress line for long resolutions (only when stderr is a terminal or the run is large)."""
    tty = sys.stderr.isatty()

    def report(done: int, total: int, name: str) -> None:
        if total < total_threshold:
            return
        step = max(1, total // 10)
        if tty:
            sys.stderr.write(f"\rresolving stacks {done}/{total} {name[:60]:<60}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif done % step == 0 or done == total:
            sys.stderr.write(f"resolving stacks {done}/{total}\n")

    return report


def make_resolver(
    base_path: Path | None,
    *,
    process_templates: bool = True,
    process_functions: bool = True,
    allow_exec: bool = False,
    use_mocks: bool = False,
) -> Resolver:
    config: AtmosConfig = load_config(base_path, allow_exec=allow_exec or None)
    return Resolver(
        config,
        process_templates=process_templates,
        process_functions=process_functions,
        progress=progress_printer(),
        use_mocks=use_mocks,
    )


def echo(message: str = "", **kwargs: Any) -> None:
    """``click.echo`` through ``harness.masking.mask_text``: for command output that may carry stack values."""
    from harness.masking import mask_text

    click.echo(mask_text(message), **kwargs)


def plain(data: Any) -> Any:
    """Plain JSON types only (deferred references become their text)."""
    return json.loads(json.dumps(data, default=str))


def emit(data: Any, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(plain(data), indent=2, sort_keys=True))
    else:
        click.echo(yaml.safe_dump(plain(data), sort_keys=True, default_flow_style=False, allow_unicode=True), nl=False)


def run_guarded(cli: click.Group, argv: list[str] | None) -> int:
    try:
        code = cli.main(args=argv, prog_name="harness", standalone_mode=False)
    except HarnessError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    return code if isinstance(code, int) else 0
